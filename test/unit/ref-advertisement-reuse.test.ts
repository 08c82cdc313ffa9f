// The fetch that follows resolve() reuses its ref advertisement: once, for the same URL, while
// fresh, and only a successful one; everything else goes to the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { refAdvertisementReuse } from '../../src/git/ref-advertisement-reuse.ts';

const REFS = 'https://git.example/apps.git/info/refs?service=git-upload-pack';
const PACK = 'https://git.example/apps.git/git-upload-pack';

// A server stand-in: answers every request with its running number, in two chunks.
function server(status = 200) {
  const seen: string[] = [];
  const http: HttpClient = {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      seen.push(`${req.method ?? 'GET'} ${req.url}`);
      const n = seen.length;
      return {
        url: req.url,
        method: req.method ?? 'GET',
        statusCode: status,
        statusMessage: status === 200 ? 'OK' : 'Error',
        headers: { 'content-type': 'application/x-git-upload-pack-advertisement' },
        body: (async function* () {
          yield Buffer.from(`answer ${n} `);
          yield Buffer.from('end');
        })(),
      };
    },
  };
  return { http, seen };
}

const read = async (res: GitHttpResponse) => {
  let out = '';
  for await (const c of res.body as AsyncIterable<Uint8Array>) out += Buffer.from(c).toString();
  return out;
};

test('the fetch right after resolve() gets the same advertisement without a request, once', async () => {
  const s = server();
  const reuse = refAdvertisementReuse(s.http);
  const first = await reuse.recording.request({ url: REFS, method: 'GET', headers: {} });
  assert.equal(await read(first), 'answer 1 end');
  const again = await reuse.replaying.request({ url: REFS, method: 'GET', headers: {} });
  assert.equal(again.statusCode, 200);
  assert.equal(again.headers?.['content-type'], 'application/x-git-upload-pack-advertisement');
  assert.equal(await read(again), 'answer 1 end');
  // The pack request goes out; a second advertisement request does too (reuse is one-shot).
  await read(await reuse.replaying.request({ url: PACK, method: 'POST', headers: {} }));
  assert.equal(await read(await reuse.replaying.request({ url: REFS, method: 'GET', headers: {} })), 'answer 3 end');
  assert.deepEqual(s.seen, [`GET ${REFS}`, `POST ${PACK}`, `GET ${REFS}`]);
});

test('not reused: another URL, after forget(), when stale, or when the server refused', async () => {
  let clock = 0;
  const s = server();
  const reuse = refAdvertisementReuse(s.http, () => clock);
  await reuse.recording.request({ url: REFS, method: 'GET', headers: {} });
  assert.equal(await read(await reuse.replaying.request({ url: REFS.replace('apps', 'other'), method: 'GET', headers: {} })), 'answer 2 end');
  reuse.forget();
  assert.equal(await read(await reuse.replaying.request({ url: REFS, method: 'GET', headers: {} })), 'answer 3 end');
  await reuse.recording.request({ url: REFS, method: 'GET', headers: {} });
  clock = 10_001;
  assert.equal(await read(await reuse.replaying.request({ url: REFS, method: 'GET', headers: {} })), 'answer 5 end');

  const refused = server(401);
  const r = refAdvertisementReuse(refused.http);
  assert.equal((await r.recording.request({ url: REFS, method: 'GET', headers: {} })).statusCode, 401);
  await r.replaying.request({ url: REFS, method: 'GET', headers: {} });
  assert.equal(refused.seen.length, 2);
});
