// Pull requests end to end: a real `sluice serve` syncing from the real Git server, Rollouts run by
// its controller on the real API server (pods by the node simulator), webhooks POSTed to
// /webhooks/github signed as GitHub signs them (payloads from @octokit/webhooks-examples), and the
// GitHub API played by the double, which checks every request against GitHub's OpenAPI description.
//   PR #7 opened, then updated → one plan comment with the diff and the steps, edited; nothing applied
//   PR #7 merged → its Rollout's comment is created and edited in place through every step (one
//     comment), commit status pending → success on the merge commit
//   /promote --fulll → usage; /promote from a user without write access → refused, still paused;
//   /promote from a collaborator with write → reaction, reply, the Rollout advances; an approving
//   review at the next indefinite pause promotes too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testCluster } from '../helpers/cluster.ts';
import { installCrds } from '../helpers/crds.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { cloneWorkdir } from '../helpers/git-repo.ts';
import { serveSluice, writeServeConfig } from '../helpers/sluice-process.ts';
import { githubDelivery, githubExample, githubPushTo } from '../helpers/webhook-payloads.ts';
import { startGitHubDouble, type DoubleComment, type DoublePullRequest } from '../helpers/github-double.ts';
import { startGitServer } from '../testbed/git-server.ts';
import { KubeClient } from '../../src/kube/kube-client.ts';
import type { KubeObject } from '../../src/ports/cluster.ts';
import type { Rollout } from '../../src/engine/types.ts';

const SECRET = 'github-webhook-secret-for-pull-requests';
const REPOSITORY = 'acme/deploy';

function rolloutYaml(ns: string, image: string): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
  namespace: ${ns}
spec:
  replicas: 4
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: app
          image: ${image}
  strategy:
    canary:
      steps:
        - setWeight: 25
        - pause: {}
        - setWeight: 50
        - pause: {}
        - setWeight: 75
        - pause: { duration: 2s }
`;
}

/** The repository part GitHub puts in every payload, moved to our repository and Git server. */
function withRepository(payload: Record<string, unknown>, cloneUrl: string): Record<string, unknown> {
  Object.assign(payload.repository as Record<string, unknown>, { full_name: REPOSITORY, name: 'deploy', clone_url: cloneUrl, html_url: `https://github.com/${REPOSITORY}` });
  return payload;
}

test('pull requests: plan comment, a Rollout comment upserted through every step, commit statuses, /promote and approving reviews', async (t) => {
  const cluster = testCluster();
  await installCrds(cluster.kubeConfig);
  const client = new KubeClient(cluster.kubeConfig);
  t.after(() => client.close());
  const ns = await cluster.newNamespace(t, 'pull-requests');
  const git = await startGitServer();
  t.after(() => git.close());
  await git.createRepo('deploy');
  const cloneUrl = git.repoUrl('deploy');
  const work = await cloneWorkdir(git, 'deploy', { branch: 'main' });
  t.after(() => work.cleanup());
  await work.write('deploy/web.yaml', rolloutYaml(ns, 'example/web:1'));
  await work.commit('web 1');
  await work.push();

  const gh = await startGitHubDouble({ repository: REPOSITORY });
  t.after(() => gh.close());
  gh.setRole('alice', 'write');
  gh.setRole('mallory', 'read');

  const config = writeServeConfig('sluice-prs-', { kubeconfigPath: cluster.kubeconfigPath, ns }, [
    'webhooks:',
    '  github: { secretEnv: GITHUB_WEBHOOK_SECRET }',
    'repos:',
    '  - name: deploy',
    `    url: ${cloneUrl}`,
    '    ref: { branch: main }',
    '    paths: [deploy]',
    `    namespace: ${ns}`,
    // Polls once a year: every sync after the first is a webhook's doing.
    '    schedule: "0 0 1 1 *"',
    `    credentials: { username: ${git.credentials.username}, tokenEnv: GIT_TOKEN }`,
    `    host: { type: github, apiUrl: "${gh.url}", repository: ${REPOSITORY}, tokenEnv: GITHUB_TOKEN }`,
  ]);
  const s = await serveSluice(config, { GITHUB_WEBHOOK_SECRET: SECRET, GIT_TOKEN: git.credentials.password, GITHUB_TOKEN: gh.token });
  t.after(() => s.stop('SIGKILL'));
  const deliver = async (event: string, payload: unknown) => {
    const d = githubDelivery(event, payload, SECRET);
    const res = await fetch(`${s.url}/webhooks/github`, { method: 'POST', headers: d.headers, body: d.body });
    assert.equal(res.status, 202, `${event}: ${await res.text()}`);
  };
  const rollout = async () => (await client.get<KubeObject>({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', namespace: ns, name: 'web' })) as unknown as Rollout | undefined;
  const waitForRollout = async (what: string, check: (ro: Rollout) => boolean, timeoutMs = 60_000) => {
    let last: Rollout | undefined;
    await waitFor(what, async () => check((last = await rollout()) ?? ({} as Rollout)), timeoutMs, 200).catch((err: Error) => {
      throw new Error(`${err.message}; last status: ${JSON.stringify(last?.status)}\n${s.output().slice(-3000)}`);
    });
    return last as Rollout;
  };
  const image = (ro: Rollout) => (ro.spec.template?.spec?.containers as Array<{ image: string }> | undefined)?.[0]?.image;
  await waitForRollout('web 1 Healthy', (ro) => ro.status?.phase === 'Healthy' && image(ro) === 'example/web:1');

  // PR #7 opened: commit on a branch, served by the Git server under refs/pull/7/head as GitHub does.
  await work.branch('feature');
  await work.write('deploy/web.yaml', rolloutYaml(ns, 'example/web:2'));
  const head1 = await work.commit('web 2');
  await work.push('feature');
  await work.push('HEAD:refs/pull/7/head');
  const pr: DoublePullRequest = { number: 7, state: 'open', headSha: head1, headRef: 'feature', baseRef: 'main', commits: [head1] };
  gh.addPullRequest(pr);
  const prPayload = (action: string, sha: string) => {
    const p = withRepository(githubExample('pull_request', (e) => e.action === 'opened'), cloneUrl);
    p.action = action;
    p.number = 7;
    const body = p.pull_request as Record<string, Record<string, unknown>>;
    Object.assign(body, { number: 7, merged: false, state: 'open' });
    Object.assign(body.head as object, { sha, ref: 'feature' });
    Object.assign(body.base as object, { ref: 'main' });
    return p;
  };
  const live1 = await rollout();
  await deliver('pull_request', prPayload('opened', head1));
  const planComment = () => gh.comments(7).find((c) => c.body.startsWith('<!-- sluice:plan -->'));
  await waitFor('the plan comment', () => planComment() !== undefined, 60_000, 200);
  const plan = planComment() as DoubleComment;
  assert.match(plan.body, new RegExp(`^### 📋 Sluice plan for \`${head1.slice(0, 7)}\``, 'm'));
  assert.match(plan.body, new RegExp(`^#### \`deploy\` \\(branch main\\): 0 to create, 1 to change, 0 unchanged, 0 to prune$`, 'm'));
  assert.match(plan.body, new RegExp(`^\\| ✏️ change \\| \`Rollout ${ns}/web\` \\| \`deploy/web\\.yaml:1\` \\|$`, 'm'));
  assert.match(plan.body, /^-\s+- image: example\/web:1$/m);
  assert.match(plan.body, /^\+\s+- image: example\/web:2$/m);
  assert.match(plan.body, /^\| 2 \| pause until promoted \| 25% \| 1 \/ 3 \|$/m);
  const afterPlan = await rollout();
  assert.equal(image(afterPlan as Rollout), 'example/web:1', 'planning applied nothing');
  assert.equal(afterPlan?.metadata.generation, live1?.metadata.generation);
  const repoStatus = (await (await fetch(`${s.url}/api/v1/repos/deploy`)).json()) as { source: { lastFetchedCommit?: string }; lastAppliedCommit?: string };
  assert.notEqual(repoStatus.source.lastFetchedCommit, head1, 'the repository status is that of the sync, not of the plan');
  assert.notEqual(repoStatus.lastAppliedCommit, head1);

  // New commits on the pull request: the same comment, re-planned.
  await work.write('deploy/web.yaml', rolloutYaml(ns, 'example/web:3'));
  const head2 = await work.commit('web 3');
  await work.push('feature');
  await work.push('+HEAD:refs/pull/7/head');
  pr.headSha = head2;
  pr.commits.push(head2);
  await deliver('pull_request', prPayload('synchronize', head2));
  await waitFor('the plan of the new head', () => plan.body.includes(`Sluice plan for \`${head2.slice(0, 7)}\``), 60_000, 200);
  assert.match(plan.body, /^\+\s+- image: example\/web:3$/m);
  assert.equal(gh.comments(7).filter((c) => c.body.startsWith('<!-- sluice:plan -->')).length, 1);
  assert.equal(image((await rollout()) as Rollout), 'example/web:1');

  // Merged: a merge commit on main, announced by a push webhook.
  await work.branch('main');
  await work.git('merge', '--no-ff', '--quiet', '-m', 'Merge pull request #7 from acme/feature', 'feature');
  const merge = await work.head();
  await work.push('main');
  Object.assign(pr, { state: 'closed', mergedAt: '2026-01-01T00:00:00Z', mergeCommitSha: merge });
  await deliver('push', githubPushTo(cloneUrl, { ref: 'refs/heads/main', after: merge }));

  const marker = `<!-- sluice:rollout ${ns}/web -->`;
  const rolloutComments = () => gh.comments(7).filter((c) => c.body.startsWith(marker));
  const paused2 = await waitForRollout('paused at step 2 (pause until promoted)', (ro) => ro.status?.currentStepIndex === 1 && (ro.status?.pauseConditions?.length ?? 0) > 0 && image(ro) === 'example/web:3');
  assert.equal(paused2.status?.pauseConditions?.[0]?.reason, 'CanaryPauseStep');
  await waitFor('the comment at the pause', () => /is Paused at step 2 of 6/.test(rolloutComments()[0]?.body ?? ''), 30_000, 200);
  const comment = rolloutComments()[0] as DoubleComment;
  assert.match(comment.body, /^- `\/promote` — go on to the next step$/m);
  assert.match(comment.body, new RegExp(`Deployed from \`${merge.slice(0, 7)}\``));
  await waitFor('a pending status on the merge commit', () => gh.statuses(merge).some((st) => st.state === 'pending' && st.context === `sluice/${ns}/web`), 30_000, 200);

  const commentPayload = (c: DoubleComment) => {
    const p = withRepository(githubExample('issue_comment', (e) => e.action === 'created'), cloneUrl);
    const issue = p.issue as Record<string, unknown>;
    // GitHub marks comments on a pull request's conversation with issue.pull_request.
    Object.assign(issue, { number: 7, pull_request: { url: `${gh.url}/repos/${REPOSITORY}/pulls/7`, html_url: `https://github.com/${REPOSITORY}/pull/7`, diff_url: '', patch_url: '', merged_at: null } });
    const body = p.comment as Record<string, Record<string, unknown>>;
    Object.assign(body, { id: c.id, body: c.body });
    Object.assign(body.user as object, { login: c.user });
    return p;
  };
  const repliesAfter = (c: DoubleComment) => gh.comments(7).filter((x) => x.user === gh.botLogin && x.id > c.id && !x.body.startsWith('<!--'));

  // Bad arguments: usage, nothing done.
  const typo = gh.addComment(7, 'alice', '/promote --fulll');
  await deliver('issue_comment', commentPayload(typo));
  await waitFor('the usage reply', () => repliesAfter(typo).length === 1, 30_000, 200);
  assert.match(repliesAfter(typo)[0]?.body ?? '', /^@alice: unknown option `--fulll`; nothing was done\.\n\nUsage: /);
  await waitFor('the refused reaction', () => typo.reactions.some((r) => r.content === 'confused'), 10_000, 100);

  // Someone with read access only: refused with the reason, the Rollout stays paused.
  const refused = gh.addComment(7, 'mallory', '/promote');
  await deliver('issue_comment', commentPayload(refused));
  await waitFor('the refusal', () => repliesAfter(refused).length === 1, 30_000, 200);
  assert.match(repliesAfter(refused)[0]?.body ?? '', /^@mallory: @mallory has read access to acme\/deploy; only people with write access/);
  await waitFor('the refused reaction', () => refused.reactions.some((r) => r.content === 'confused'), 10_000, 100);
  assert.deepEqual(refused.reactions.map((r) => r.content), ['eyes', 'confused']);
  const still = await rollout();
  assert.equal(still?.status?.currentStepIndex, 1);
  assert.ok((still?.status?.pauseConditions?.length ?? 0) > 0, 'still paused');

  // A collaborator with write access: promoted.
  const ok = gh.addComment(7, 'alice', 'Canary looks fine.\n/promote');
  await deliver('issue_comment', commentPayload(ok));
  await waitForRollout('paused at step 4 after /promote', (ro) => ro.status?.currentStepIndex === 3 && (ro.status?.pauseConditions?.length ?? 0) > 0);
  await waitFor('the done reaction', () => ok.reactions.some((r) => r.content === '+1'), 30_000, 200);
  await waitFor('the result reply', () => repliesAfter(ok).length === 1, 30_000, 200);
  assert.equal(repliesAfter(ok)[0]?.body, `@alice: rollout 'web' promoted (\`${ns}/web\`, as asked with \`/promote\`).`);
  await waitFor('the comment at step 4', () => /is Paused at step 4 of 6/.test(comment.body), 30_000, 200);

  // An approving review at the next pause promotes it.
  const review = withRepository(githubExample('pull_request_review', (e) => e.action === 'submitted'), cloneUrl);
  Object.assign(review.review as object, { state: 'approved' });
  Object.assign((review.review as Record<string, object>).user as object, { login: 'alice' });
  Object.assign(review.pull_request as object, { number: 7 });
  await deliver('pull_request_review', review);
  await waitForRollout('Healthy after the approving review', (ro) => ro.status?.phase === 'Healthy' && ro.status?.currentStepIndex === 6 && image(ro) === 'example/web:3');
  await waitFor('the comment says Healthy', () => /### ✅ Rollout `[^`]+` is Healthy$/m.test(comment.body), 30_000, 200);
  await waitFor('the success status', () => gh.statuses(merge).at(-1)?.state === 'success', 30_000, 200);

  // One comment for the Rollout, edited in place through the steps, in order.
  assert.equal(rolloutComments().length, 1);
  const headline = (body: string) => /^### .*$/m.exec(body)?.[0] ?? '';
  const seen = [...new Set(comment.history.map(headline))];
  t.diagnostic(`comment versions: ${comment.history.length}; headlines: ${seen.join(' → ')}`);
  t.diagnostic(`statuses: ${gh.statuses(merge).map((st) => `${st.state} (${st.description})`).join(' → ')}`);
  assert.ok(seen.includes(`### ⏸️ Rollout \`${ns}/web\` is Paused at step 2 of 6`), seen.join('\n'));
  assert.ok(seen.includes(`### ⏸️ Rollout \`${ns}/web\` is Paused at step 4 of 6`), seen.join('\n'));
  assert.equal(seen.at(-1), `### ✅ Rollout \`${ns}/web\` is Healthy`);
  const steps = seen.map((h) => Number(/step (\d) of 6/.exec(h)?.[1] ?? 7));
  assert.deepEqual(steps, [...steps].sort(), `the comment followed the steps in order: ${seen.join(' | ')}`);
  const states = gh.statuses(merge).map((st) => st.state);
  assert.equal(states[0], 'pending');
  assert.equal(states.at(-1), 'success');
  assert.ok(gh.statuses(merge).every((st) => st.context === `sluice/${ns}/web`));

  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /^sluice_pr_commands_total\{command="\/promote",result="refused"\} 1$/m);
  assert.match(metrics, /^sluice_pr_commands_total\{command="\/promote",result="done"\} 1$/m);
  assert.match(metrics, /^sluice_pr_commands_total\{command="\/promote",result="bad_arguments"\} 1$/m);
  assert.match(metrics, /^sluice_pr_commands_total\{command="review",result="done"\} 1$/m);
  assert.match(metrics, /^sluice_githost_requests_total\{host="github",result="success"\} \d+$/m);
  assert.ok(!s.output().includes(gh.token), 'the GitHub token never reaches the log');
  const problems = s.output().split('\n').filter((l) => l.includes('"component":"pull-requests"') && /"level":(4|5)\d/.test(l));
  assert.deepEqual(problems, [], 'no warnings or errors from the pull-request integration');
  assert.deepEqual(gh.violations, []);
});
