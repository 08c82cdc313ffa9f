// What the webhook endpoint reports to metrics; src/observability/webhook-metrics.ts implements it
// with prom-client.
import type { GitHostName } from '../ports/webhook-events.ts';

export type DeliveryResult = 'accepted' | 'ignored' | 'duplicate' | 'unauthorized' | 'too_large' | 'malformed';

export interface WebhookMetrics {
  /** One delivery's outcome; `event` is the host's event name, or `other` for names not known to Sluice. */
  delivery(host: GitHostName, event: string, result: DeliveryResult): void;
}

export const noWebhookMetrics: WebhookMetrics = { delivery() {} };
