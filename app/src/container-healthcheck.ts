/**
 * Container HEALTHCHECK without curl in the image: liveness only, so a database outage does not make
 * the orchestrator kill healthy tasks (readiness is the load balancer's business).
 */
const TIMEOUT_MS = 2000; // /health/live answers at once; Docker's own --timeout (3 s) is the outer bound
const port = process.env.PORT ?? '3000';
const response = await fetch(`http://127.0.0.1:${port}/health/live`, {
  signal: AbortSignal.timeout(TIMEOUT_MS),
}).catch(() => undefined);
process.exit(response?.ok ? 0 : 1);
