// An API-server refusal as a value: HTTP status, the Status reason and the server's own message,
// so callers can branch on NotFound/Conflict and users read the server's words.
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly details: unknown;
  constructor(status: number, reason: string, message: string, details?: unknown) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.details = details;
  }

  static fromResponse(status: number, body: string, what: string): KubeApiError {
    try {
      const parsed = JSON.parse(body) as { kind?: string; reason?: string; message?: string; details?: unknown };
      if (parsed.kind === 'Status') {
        return new KubeApiError(status, parsed.reason ?? 'Unknown', `${what}: ${parsed.message ?? `HTTP ${status}`}`, parsed.details);
      }
    } catch {
      // not JSON: fall through to the raw text
    }
    return new KubeApiError(status, status === 404 ? 'NotFound' : 'Unknown', `${what}: HTTP ${status} ${body.trim().slice(0, 300)}`);
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404;
}

export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409;
}
