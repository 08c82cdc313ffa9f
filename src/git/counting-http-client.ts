// isomorphic-git's Node HTTP client, wrapped to count requests and response bytes by kind
// ('refs' for the ref advertisement, 'fetch' for upload-pack), for metrics and benchmarks.
import http from 'isomorphic-git/http/node';
import type { HttpClient, GitHttpRequest, GitHttpResponse } from 'isomorphic-git';

export type GitRequestKind = 'refs' | 'fetch' | 'push' | 'other';

export function classifyGitRequest(url: string): GitRequestKind {
  if (url.includes('/info/refs')) return 'refs';
  if (url.endsWith('/git-upload-pack')) return 'fetch';
  if (url.endsWith('/git-receive-pack')) return 'push';
  return 'other';
}

export function countingHttpClient(onResponse: (kind: GitRequestKind, status: number, bytes: number) => void): HttpClient {
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const kind = classifyGitRequest(req.url);
      const res = await http.request(req);
      const body = res.body;
      if (!body) {
        onResponse(kind, res.statusCode, 0);
        return res;
      }
      let bytes = 0;
      async function* counted(): AsyncGenerator<Uint8Array> {
        try {
          for await (const chunk of body as AsyncIterable<Uint8Array>) {
            bytes += chunk.byteLength;
            yield chunk;
          }
        } finally {
          onResponse(kind, res.statusCode, bytes);
        }
      }
      return { ...res, body: counted() };
    },
  };
}
