// The push handler: a push to a watched repository and ref enqueues that repository's sync at
// once. RepoSyncService.sync coalesces: while a sync runs, any number of pushes share one follow-up
// sync, which resolves the ref afresh, so the latest push is never lost.
import type { Logger } from 'pino';
import type { RepoConfig } from '../config/config-types.ts';
import type { RepoSyncService } from '../ports/repo-sync.ts';
import type { PushEvent } from '../ports/webhook-events.ts';
import { matchPush, type PushMatch } from './match-push.ts';

export interface PushHandler {
  /** Which repositories the push concerns (the endpoint answers `ignored` when none). */
  match(event: PushEvent): PushMatch;
  /** Enqueues their syncs; never throws. */
  push(event: PushEvent): Promise<void>;
}

export function createPushHandler(deps: { repos: readonly RepoConfig[]; repoSync: RepoSyncService; log: Logger }): PushHandler {
  const match = (event: PushEvent) => matchPush(deps.repos, event);
  return {
    match,
    async push(event) {
      for (const name of match(event).repos) {
        const done = deps.repoSync.sync(name, 'webhook');
        if (!done) {
          deps.log.warn({ repo: name, delivery: event.deliveryId }, 'webhook push: repository sync is not available (stopping?)');
          continue;
        }
        deps.log.info({ repo: name, ref: event.ref, after: event.after, host: event.host, delivery: event.deliveryId }, 'webhook push: sync enqueued');
        // The sync reports its own outcome; this only keeps a rejection from going unhandled.
        done.catch((err: unknown) => deps.log.error({ err, repo: name }, 'webhook push: sync failed'));
      }
    },
  };
}
