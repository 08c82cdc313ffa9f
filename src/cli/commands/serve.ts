// `sluice serve --config FILE`: run the service until SIGTERM/SIGINT, then shut down cleanly
// within server.shutdownTimeoutSeconds (exiting anyway if something hangs).
import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.ts';
import { createLogger } from '../../observability/logger.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the Sluice service (sync, rollouts controller, HTTP API)')
    .requiredOption('-c, --config <file>', 'YAML config file (schema: config/config.schema.json)')
    .action(async (opts: { config: string }) => {
      const config = loadConfig(opts.config);
      const logger = createLogger({ level: config.log.level, format: config.log.format });
      // Loaded here, not at the top: every other command would pay for the whole service at start-up.
      const { startService } = await import('../../service/start-service.ts');
      const service = await startService({ config, logger });
      let signalled = false;
      const shutdown = (signal: NodeJS.Signals) => {
        if (signalled) return;
        signalled = true;
        logger.info({ signal }, 'shutting down');
        const deadline = setTimeout(() => {
          logger.error({ timeoutSeconds: config.server.shutdownTimeoutSeconds }, 'shutdown timed out; exiting');
          process.exit(1);
        }, config.server.shutdownTimeoutSeconds * 1000);
        deadline.unref();
        service.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', shutdown);
      process.on('SIGINT', shutdown);
    });
}
