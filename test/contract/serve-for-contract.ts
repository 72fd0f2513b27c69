/**
 * The app as the contract test serves it: the real service in-process, listening on 127.0.0.1, on
 * the embedded stack (PostgreSQL with SCRAM, the local Secrets Manager endpoint), with the OpenAPI
 * document switched on.
 */
import { loadConfig } from '../../app/src/config.js';
import { startService, type RunningService } from '../../app/src/service.js';
import { startEmbeddedStack, type EmbeddedStack } from '../../local/embedded-stack.js';
import { captureLogs } from '../helpers/log-capture.js';

/**
 * Writes per minute a run may make without meeting the limiter: above anything one run sends, so
 * the limiter stays in every write's path (its headers are checked against the document) but
 * never answers 429 to a request the test expects to succeed.
 */
export const CONTRACT_WRITES_PER_MINUTE = 100_000;

export interface ContractTarget {
  url: string;
  stack: EmbeddedStack;
  service: RunningService;
  logs: ReturnType<typeof captureLogs>;
  stop(): Promise<void>;
}

export async function serveForContract(): Promise<ContractTarget> {
  const stack = await startEmbeddedStack();
  try {
    const logs = captureLogs('info');
    const config = loadConfig({
      ...stack.env,
      HOST: '127.0.0.1',
      PORT: '0',
      OPENAPI_DOCS: 'true',
      RATE_LIMIT_WRITES_PER_MINUTE: String(CONTRACT_WRITES_PER_MINUTE),
      SHUTDOWN_DELAY_SECONDS: '0',
    });
    const service = await startService({
      config,
      logger: logs.logger,
      scrubber: logs.scrubber,
      secretsManager: stack.secretsManagerClient('app'),
    });
    return {
      url: service.url,
      stack,
      service,
      logs,
      async stop() {
        await service.shutdown(0);
        await stack.stop();
      },
    };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}
