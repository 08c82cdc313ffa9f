// Hands normalised events to their handlers, one after another in delivery order. A handler that
// throws (the port says they should not) is logged and does not stop the others.
import type { Logger } from 'pino';
import type { WebhookEvent, WebhookHandlers } from '../ports/webhook-events.ts';

/** Whether `handlers` has one for this kind of event. */
export function hasHandler(handlers: WebhookHandlers, event: WebhookEvent): boolean {
  switch (event.kind) {
    case 'push':
      return handlers.push !== undefined;
    case 'pull_request':
      return handlers.pullRequest !== undefined;
    case 'comment':
      return handlers.comment !== undefined;
    case 'review':
      return handlers.review !== undefined;
  }
}

export async function dispatchEvents(events: readonly WebhookEvent[], handlers: WebhookHandlers, log: Logger): Promise<void> {
  for (const event of events) {
    try {
      switch (event.kind) {
        case 'push':
          await handlers.push?.(event);
          break;
        case 'pull_request':
          await handlers.pullRequest?.(event);
          break;
        case 'comment':
          await handlers.comment?.(event);
          break;
        case 'review':
          await handlers.review?.(event);
          break;
      }
    } catch (err) {
      log.error({ err, kind: event.kind, host: event.host, delivery: event.deliveryId }, 'webhook handler failed');
    }
  }
}
