import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
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

// One stdout writer for log lines and CloudWatch EMF records, so the two never interleave mid-line.
const stdout = pino.destination({ fd: 1, sync: false });
const logger = createLogger({ level: config.logLevel, scrubber, name: 'orders-api', destination: stdout });

try {
  const service = await startService({
    config,
    logger,
    scrubber,
    emfOutput: (line) => stdout.write(`${line}\n`),
  });
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
