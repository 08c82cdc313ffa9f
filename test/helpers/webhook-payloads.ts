// Real GitHub webhook payloads (@octokit/webhooks-examples, the payloads GitHub documents) and
// deliveries signed as GitHub signs them (X-Hub-Signature-256: sha256=HMAC-SHA256 of the body), for
// the webhook tests and the webhook benchmark.
import { createRequire } from 'node:module';
import { createHmac, randomUUID } from 'node:crypto';

interface ExampleGroup {
  name: string;
  examples: Array<Record<string, unknown>>;
}

const require = createRequire(import.meta.url);
const EXAMPLES = require('@octokit/webhooks-examples/api.github.com/index.json') as ExampleGroup[];

/** A deep copy of the first example of `event` that satisfies `pick`. */
export function githubExample(event: string, pick: (payload: Record<string, unknown>) => boolean = () => true): Record<string, unknown> {
  const found = EXAMPLES.find((g) => g.name === event)?.examples.find(pick);
  if (!found) throw new Error(`@octokit/webhooks-examples has no ${event} example that matches`);
  return structuredClone(found);
}

/**
 * GitHub's branch push example with its repository moved to `cloneUrl` (a test Git server's
 * URL), pushed to `ref` with head `after`. Every URL GitHub puts under `repository` that names the
 * repository is rewritten, so matching cannot succeed through a field left over from github.com.
 */
export function githubPushTo(cloneUrl: string, opts: { ref: string; after: string; before?: string }): Record<string, unknown> {
  const payload = githubExample('push', (p) => p.ref === 'refs/heads/master' && Array.isArray(p.commits) && p.commits.length > 0);
  const repo = payload.repository as Record<string, unknown>;
  const url = new URL(cloneUrl);
  const path = url.pathname.replace(/^\//, '').replace(/\.git$/, '');
  const page = `${url.origin}/${path}`;
  Object.assign(repo, {
    clone_url: cloneUrl,
    html_url: page,
    url: page,
    git_url: `git://${url.host}/${path}.git`,
    ssh_url: `git@${url.hostname}:${path}.git`,
    svn_url: page,
    full_name: `sluice-test/${path}`,
    name: path,
  });
  payload.ref = opts.ref;
  payload.after = opts.after;
  if (opts.before) payload.before = opts.before;
  const head = payload.head_commit as Record<string, unknown> | null;
  if (head) head.id = opts.after;
  return payload;
}

export interface SignedDelivery {
  headers: Record<string, string>;
  body: string;
}

/** The request GitHub would send: JSON body, event and delivery headers, HMAC signature. */
export function githubDelivery(event: string, payload: unknown, secret: string, delivery: string = randomUUID()): SignedDelivery {
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/test',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
  };
}
