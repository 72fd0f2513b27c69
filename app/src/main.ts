import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig } from './config.js';
import { createLogger, SecretScrubber } from './logger.js';
import { startService } from './service.js';

const scrubber = new SecretScrubber();

let config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

const logger = createLogger({ level: config.logLevel, scrubber, name: 'orders-api' });

try {
  const service = await startService({ config, logger, scrubber });
  const { delaySeconds, graceSeconds } = config.shutdown;
  closeWithGrace({ delay: graceSeconds * 1000, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'unexpected error; shutting down');
    logger.info({ signal, delaySeconds }, 'shutting down: readiness is now 503');
    await service.shutdown(delaySeconds);
    logger.info('shutdown complete');
  });
} catch (err) {
  logger.fatal({ err }, 'startup failed');
  logger.flush(() => process.exit(1));
}
