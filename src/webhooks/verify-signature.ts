// Authenticity of a webhook delivery, checked on the exact bytes received and compared in constant
// time. GitHub and Bitbucket send `sha256=<hex HMAC-SHA256 of the body>`, Gitea the bare hex, and
// GitLab the configured secret token itself.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureScheme =
  /** `sha256=` + hex HMAC-SHA256 of the raw body (GitHub X-Hub-Signature-256, Bitbucket X-Hub-Signature). */
  | 'hmac-sha256-prefixed'
  /** Hex HMAC-SHA256 of the raw body, no prefix (Gitea X-Gitea-Signature). */
  | 'hmac-sha256-hex'
  /** The secret itself (GitLab X-Gitlab-Token). */
  | 'token';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** True when `given` (the header's value) proves the sender knows `secret` for this `body`. */
export function verifySignature(scheme: SignatureScheme, given: string | undefined, body: Buffer, secret: string): boolean {
  if (given === undefined || secret === '') return false;
  if (scheme === 'token') {
    // Digests of both sides: equal lengths for timingSafeEqual, and the token's length stays secret.
    return timingSafeEqual(sha256(given), sha256(secret));
  }
  const hex = scheme === 'hmac-sha256-prefixed' ? (given.startsWith('sha256=') ? given.slice('sha256='.length) : '') : given.trim();
  if (!HEX_SHA256.test(hex)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const received = Buffer.from(hex, 'hex');
  return received.length === expected.length && timingSafeEqual(received, expected);
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
