// What a host's normaliser makes of one delivery: the port's events (a Bitbucket push can carry
// several refs, so a list), or the reason it is of no use to Sluice.
import type { WebhookEvent } from '../ports/webhook-events.ts';

export type Normalised = { events: WebhookEvent[] } | { ignored: string };

/** A normaliser: the host's event name (from its header), the parsed body and the delivery id. */
export type Normaliser = (event: string, payload: unknown, deliveryId: string) => Normalised;

export const ZERO_SHA = '0000000000000000000000000000000000000000';

export function notUsed(event: string): Normalised {
  return { ignored: `event "${event}" is not used by Sluice` };
}
