// The YAML files `sluice lint` and `sluice plan` read: one file, or every .yaml/.yml under a
// directory (hidden entries skipped), named as the user would write them so `file:line` is clickable.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceFile } from '../sync/manifest-types.ts';
import { failWith } from './fail-with.ts';

const YAML_FILE = /\.ya?ml$/;

export async function readManifestFiles(path: string): Promise<SourceFile[]> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => failWith(2, `${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`));
  if (info.isFile()) {
    if (!YAML_FILE.test(path)) return failWith(2, `${path}: not a .yaml or .yml file`);
    return [{ path, content: await readFile(path) }];
  }
  const files: SourceFile[] = [];
  const walk = async (dir: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && YAML_FILE.test(entry.name)) files.push({ path: full, content: await readFile(full) });
    }
  };
  await walk(path);
  return files;
}
