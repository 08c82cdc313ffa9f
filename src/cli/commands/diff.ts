// `sluice diff --config FILE [--repo NAME] [--revision SHA]`: what a sync would change, computed
// with server-side-apply dry runs against the live cluster; changes nothing. Exit 0 when nothing
// differs, 1 when something does, 2 on any error (unreachable Git, broken manifests, API errors).
import type { Command } from 'commander';
import { loadConfig, ConfigError } from '../../config/load-config.ts';
import { formatSyncProblem, type SyncReport } from '../../ports/repo-sync.ts';
import { ExitCode } from '../exit-code.ts';

export function formatSyncPlan(repo: string, ref: string, report: SyncReport, color: boolean): string {
  const c = (code: string, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const lines = [`repo ${repo} (${ref})${report.commit ? ` at ${report.commit.slice(0, 7)}` : ''}:`];
  for (const ch of report.changes) {
    const mark = ch.outcome === 'created' ? c('32', '+ created') : ch.outcome === 'changed' ? c('33', '~ changed') : ch.outcome === 'pruned' ? c('31', '- pruned ') : c('31', '! failed ');
    lines.push(`${mark} ${ch.object}${ch.source ? ` (${ch.source})` : ''}`);
    if (ch.diff && ch.outcome === 'changed') {
      for (const l of ch.diff.split('\n').slice(2)) lines.push(`    ${l.startsWith('+') ? c('32', l) : l.startsWith('-') ? c('31', l) : l}`);
    }
  }
  for (const e of report.errors) lines.push(`${c('31', '! error  ')} ${formatSyncProblem(e)}`);
  if (report.pruneSkipped) lines.push(`  prune skipped: ${report.pruneSkipped}`);
  const o = report.objects;
  lines.push(`${o.created} to create, ${o.changed} to change, ${o.unchanged} unchanged, ${o.pruned} to prune, ${report.errors.length} problem(s)`);
  return lines.join('\n');
}

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('show what a sync would change in the cluster, changing nothing (exit 0: no changes, 1: changes, 2: error)')
    .requiredOption('-c, --config <file>', 'Sluice config file')
    .option('-r, --repo <name>', 'only this repository')
    .option('--revision <sha>', 'diff this commit instead of the one the ref names')
    .action(async (opts: { config: string; repo?: string; revision?: string }) => {
      const config = loadConfig(opts.config);
      const repos = opts.repo ? config.repos.filter((r) => r.name === opts.repo) : config.repos;
      if (opts.repo && !repos.length) throw new ConfigError(`no repository named "${opts.repo}" in ${opts.config} (have: ${config.repos.map((r) => r.name).join(', ') || 'none'})`);
      if (opts.revision && !/^[0-9a-f]{40}$/.test(opts.revision)) throw new ConfigError(`--revision must be a full 40-character commit id, got "${opts.revision}"`);
      // The sync machinery is loaded only when diff runs (start-up time of the other commands).
      const [{ Registry }, { createLogger }, { loadKubeConfig }, { KubeClient }, { createGitSync }] = await Promise.all([
        import('prom-client'),
        import('../../observability/logger.ts'),
        import('../../kube/load-kube-config.ts'),
        import('../../kube/kube-client.ts'),
        import('../../service/git-sync.ts'),
      ]);
      const logger = createLogger({ level: 'silent', format: 'json' });
      const client = new KubeClient(loadKubeConfig({ kubeconfig: config.kubernetes.kubeconfig, context: config.kubernetes.context }));
      try {
        const sync = await createGitSync({ config: { ...config, repos }, cluster: client, registry: new Registry(), logger });
        let differs = false;
        let failed = false;
        for (const syncer of sync.syncers) {
          const report = await syncer.plan(opts.revision);
          process.stdout.write(`${formatSyncPlan(syncer.name, syncer.status().ref, report, process.stdout.isTTY === true)}\n`);
          if (report.errors.length || report.result === 'unavailable' || report.result === 'failed') failed = true;
          if (report.objects.created + report.objects.changed + report.objects.pruned > 0) differs = true;
        }
        if (failed) throw new ExitCode(2);
        if (differs) throw new ExitCode(1);
      } catch (err) {
        if (err instanceof ExitCode) throw err;
        // Any failure of diff is an error (2), never "differs" (1).
        process.stderr.write(`sluice: ${(err as Error).message}\n`);
        throw new ExitCode(2);
      } finally {
        client.close();
      }
    });
}
