// Prometheus metrics for the webhook endpoint, on the injected registry.
import { Counter, type Registry } from 'prom-client';
import type { WebhookMetrics } from '../webhooks/webhook-metrics.ts';

export function createWebhookMetrics(registry: Registry): WebhookMetrics {
  const deliveries = new Counter({
    name: 'sluice_webhooks_total',
    help: 'Webhook deliveries by host, event (the host\'s name for it; other for names Sluice does not know) and result (accepted, ignored, duplicate, unauthorized, too_large, malformed).',
    labelNames: ['host', 'event', 'result'],
    registers: [registry],
  });
  return {
    delivery(host, event, result) {
      deliveries.inc({ host, event, result });
    },
  };
}
