// A sync asks the Git server for its refs twice in a row: resolve() reads the ref advertisement to
// see where the ref points, and isomorphic-git's fetch, called right after when the commit moved,
// asks for the same advertisement again before it negotiates the pack. This lets the fetch reuse
// the answer resolve() just received: one HTTP request (a CGI process on most servers) less per
// changed sync, and the fetch sees exactly the refs that were resolved.
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { classifyGitRequest } from './counting-http-client.ts';

/** An advertisement older than this is asked for again. */
const REUSE_WITHIN_MS = 10_000;

interface Advertisement {
  url: string;
  at: number;
  response: Omit<GitHttpResponse, 'body'>;
  body: Uint8Array[];
}

export interface RefAdvertisementReuse {
  /** For resolve(): requests go out; a successful ref advertisement is kept. */
  recording: HttpClient;
  /** For the fetch that follows: the kept advertisement of the same URL answers once. */
  replaying: HttpClient;
  /** Drops what was kept (after each fetch, and whenever a resolve does not lead to one). */
  forget(): void;
}

export function refAdvertisementReuse(http: HttpClient, now: () => number = Date.now): RefAdvertisementReuse {
  let kept: Advertisement | undefined;
  const isAdvertisement = (req: GitHttpRequest) => (req.method ?? 'GET') === 'GET' && classifyGitRequest(req.url) === 'refs';
  const replay = (ad: Advertisement): GitHttpResponse => ({
    ...ad.response,
    body: (async function* () {
      yield* ad.body;
    })(),
  });
  return {
    recording: {
      async request(req) {
        const res = await http.request(req);
        if (!isAdvertisement(req) || res.statusCode !== 200 || !res.body) return res;
        // Read whole (it is small) so that it can be handed out again.
        const body: Uint8Array[] = [];
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) body.push(chunk);
        const { body: _consumed, ...response } = res;
        kept = { url: req.url, at: now(), response, body };
        return replay(kept);
      },
    },
    replaying: {
      async request(req) {
        const ad = kept;
        if (ad && isAdvertisement(req) && ad.url === req.url && now() - ad.at <= REUSE_WITHIN_MS) {
          kept = undefined;
          return replay(ad);
        }
        return http.request(req);
      },
    },
    forget() {
      kept = undefined;
    },
  };
}
