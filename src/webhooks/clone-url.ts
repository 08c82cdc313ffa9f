// One comparable key per repository URL, so a webhook's clone URLs can be matched against
// `repos[].url` whatever form either side uses: https or ssh (`ssh://git@host/path`, scp-style
// `git@host:path`), any case, with or without `.git`, a trailing slash, or credentials
// (`https://user:token@host/...`). Keys keep a non-default http(s) port (two services on one
// host are different servers) but drop an ssh port, which never equals the https one.

/** `host[:port]/owner/repo` in lower case, or undefined for something that is not a repository URL. */
export function cloneUrlKey(url: string): string | undefined {
  const text = url.trim();
  let host: string;
  let path: string;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(text);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    host = scp[1] ?? '';
    path = scp[2] ?? '';
  } else {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      return undefined;
    }
    const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
    if (!['http', 'https', 'ssh', 'git', 'git+ssh', 'ssh+git'].includes(scheme)) return undefined;
    // URL already drops the default port of http and https.
    host = parsed.hostname + (parsed.port && (scheme === 'http' || scheme === 'https') ? `:${parsed.port}` : '');
    path = safeDecode(parsed.pathname);
  }
  path = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/i, '').replace(/\/+$/, '');
  if (!host || !path) return undefined;
  return `${host}/${path}`.toLowerCase();
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
