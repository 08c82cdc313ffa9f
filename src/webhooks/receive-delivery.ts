// One webhook delivery from authenticity to a decision, independent of the HTTP framework:
//   no secret configured for the host, or a missing or wrong signature  → 401
//   no event header, a form-encoded or unparseable body, a payload
//   lacking what its event needs                                         → 400
//   a delivery id seen before (bounded window, see recent-deliveries.ts) → 202 {duplicate: true}
//   an event Sluice does not use, a push no repository follows           → 202 {ignored: reason}
//   otherwise                                                            → 202 {accepted: kind}
// and the work to do, which the endpoint runs only after the answer is sent. Oversized bodies
// never get here (the HTTP layer stops reading them); tooLarge() counts and answers them.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { WebhooksConfig } from '../config/config-types.ts';
import type { GitHostName, PushEvent, WebhookEvent, WebhookHandlers } from '../ports/webhook-events.ts';
import { HOSTS } from './hosts.ts';
import type { PushMatch } from './match-push.ts';
import { MalformedPayloadError } from './payload-fields.ts';
import { RecentDeliveries } from './recent-deliveries.ts';
import { verifySignature } from './verify-signature.ts';
import { dispatchEvents, hasHandler } from './dispatch-events.ts';
import { noWebhookMetrics, type DeliveryResult, type WebhookMetrics } from './webhook-metrics.ts';

export interface Receipt {
  statusCode: number;
  body: Record<string, unknown>;
  /** The handlers' work; run after the answer was sent. */
  run?: () => Promise<void>;
}

export interface WebhookReceiver {
  readonly maxBodyBytes: number;
  receive(host: GitHostName, headers: IncomingHttpHeaders, body: Buffer): Receipt;
  tooLarge(host: GitHostName, headers: IncomingHttpHeaders): Receipt;
}

export interface WebhookReceiverDeps {
  config: WebhooksConfig;
  handlers: WebhookHandlers;
  /** Which repositories a push concerns; a push that concerns none is answered `ignored`. */
  pushMatch?: (event: PushEvent) => PushMatch;
  log: Logger;
  metrics?: WebhookMetrics;
  recent?: RecentDeliveries;
}

const ERROR_CODES: Partial<Record<DeliveryResult, string>> = { unauthorized: 'UNAUTHORIZED', malformed: 'MALFORMED_PAYLOAD', too_large: 'PAYLOAD_TOO_LARGE' };
const STATUS: Record<DeliveryResult, number> = { accepted: 202, ignored: 202, duplicate: 202, unauthorized: 401, malformed: 400, too_large: 413 };

export function createWebhookReceiver(deps: WebhookReceiverDeps): WebhookReceiver {
  const metrics = deps.metrics ?? noWebhookMetrics;
  const recent = deps.recent ?? new RecentDeliveries();
  const { log, handlers } = deps;

  const finish = (host: GitHostName, eventName: string | undefined, result: DeliveryResult, body: Record<string, unknown>, fields: Record<string, unknown> = {}): Receipt => {
    const known = eventName !== undefined && HOSTS[host].knownEvents.has(eventName);
    metrics.delivery(host, known ? eventName : 'other', result);
    const line = { host, event: eventName, result, ...fields };
    if (STATUS[result] >= 400) log.warn(line, `webhook delivery refused: ${String(body.message)}`);
    else log.info(line, `webhook delivery ${result}`);
    return { statusCode: STATUS[result], body };
  };
  const refuse = (host: GitHostName, eventName: string | undefined, result: DeliveryResult, message: string) =>
    finish(host, eventName, result, { error: ERROR_CODES[result], message, statusCode: STATUS[result] });

  return {
    maxBodyBytes: deps.config.maxBodyBytes,
    tooLarge(host, headers) {
      return refuse(host, header(headers, HOSTS[host].eventHeader), 'too_large', `payload larger than webhooks.maxBodyBytes (${deps.config.maxBodyBytes} bytes)`);
    },
    receive(host, headers, body) {
      const proto = HOSTS[host];
      const eventName = header(headers, proto.eventHeader);
      const secret = deps.config[host]?.secret;
      if (!secret) return refuse(host, eventName, 'unauthorized', `no secret is configured for ${host} webhooks (webhooks.${host}.secretEnv or secretFile)`);
      const given = header(headers, proto.signature.header);
      if (given === undefined) return refuse(host, eventName, 'unauthorized', `missing ${proto.signature.header} header`);
      if (!verifySignature(proto.signature.scheme, given, body, secret)) {
        return refuse(host, eventName, 'unauthorized', proto.signature.scheme === 'token' ? `${proto.signature.header} does not match the configured secret` : `${proto.signature.header} does not match the body`);
      }
      if (!eventName) return refuse(host, eventName, 'malformed', `missing ${proto.eventHeader} header`);
      if (/^application\/x-www-form-urlencoded/i.test(header(headers, 'content-type') ?? '')) {
        return refuse(host, eventName, 'malformed', 'form-encoded payload: set the webhook content type to application/json');
      }
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch (err) {
        return refuse(host, eventName, 'malformed', `payload is not JSON: ${(err as Error).message}`);
      }
      const delivery = proto.deliveryHeaders.map((h) => header(headers, h)).find((v) => v) ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
      let normalised;
      try {
        normalised = proto.normalise(eventName, payload, delivery);
      } catch (err) {
        if (!(err instanceof MalformedPayloadError)) throw err;
        return refuse(host, eventName, 'malformed', `${eventName}: ${err.message}`);
      }
      if (!recent.firstTime(`${host}\u0000${delivery}`)) return finish(host, eventName, 'duplicate', { duplicate: true, delivery }, { delivery });
      if ('ignored' in normalised) return finish(host, eventName, 'ignored', { ignored: normalised.ignored, delivery }, { delivery, reason: normalised.ignored });

      const reasons: string[] = [];
      const acting: WebhookEvent[] = [];
      const repos = new Set<string>();
      for (const event of normalised.events) {
        if (!hasHandler(handlers, event)) {
          reasons.push(`${event.kind} events are not handled by this Sluice`);
          continue;
        }
        if (event.kind === 'push' && deps.pushMatch) {
          const match = deps.pushMatch(event);
          if (!match.repos.length) {
            reasons.push(`push of ${event.ref}: ${match.reason ?? 'no repository follows it'}`);
            continue;
          }
          for (const r of match.repos) repos.add(r);
        }
        acting.push(event);
      }
      if (!acting.length) {
        const reason = [...new Set(reasons)].join('; ');
        return finish(host, eventName, 'ignored', { ignored: reason, delivery }, { delivery, reason, repository: normalised.events[0]?.repository.fullName });
      }
      const kind = acting[0]?.kind;
      const receipt = finish(host, eventName, 'accepted', { accepted: kind, delivery, ...(repos.size ? { repos: [...repos] } : {}) }, { delivery, kind, repos: [...repos] });
      return { ...receipt, run: () => dispatchEvents(acting, handlers, log) };
    },
  };
}

/** A header's value (the first, when repeated), trimmed; undefined when absent or empty. */
function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value ? value : undefined;
}
