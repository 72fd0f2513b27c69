/**
 * Standalone Secrets Manager-compatible endpoint.
 *
 *   npx tsx local/secrets-manager/main.ts [--port 4566] [--host 127.0.0.1] [--region us-east-1]
 *
 * Prints one line with the URL; stops cleanly on SIGINT/SIGTERM. Faults and the call log are
 * reachable over HTTP under /_local (see control-api.ts).
 */
import { parseArgs } from 'node:util';
import { startSecretsManagerEndpoint } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4566' },
    host: { type: 'string', default: '127.0.0.1' },
    region: { type: 'string', default: process.env.AWS_REGION ?? 'us-east-1' },
  },
  strict: true,
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got ${values.port}`);
  process.exit(2);
}

const endpoint = await startSecretsManagerEndpoint({ port, host: values.host, region: values.region });
console.log(`Secrets Manager endpoint listening on ${endpoint.url} (region ${endpoint.region})`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  endpoint.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('Secrets Manager endpoint did not close cleanly:', error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
