/**
 * Whether a Docker-compatible engine answers, the way Testcontainers and docker-compose find it:
 * DOCKER_HOST (unix:// or tcp://), else /var/run/docker.sock. A GET /_ping, no CLI needed, so a
 * podman API service (DOCKER_HOST=unix:///run/podman/podman.sock) counts as well as Docker.
 *
 * `REQUIRE_CONTAINERS=1` makes the container suites mandatory: they fail instead of skipping.
 */
import { request } from 'node:http';

export const containersRequired = process.env.REQUIRE_CONTAINERS === '1';

let answers: Promise<boolean> | undefined;

function engineTarget(): { socketPath: string } | { host: string; port: number } {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375) };
}

/** One GET on the engine's Docker API: its status and JSON body (undefined when not JSON). */
export function engineGet(path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ ...engineTarget(), path, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text) as unknown;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.once('error', reject);
    });
    req.once('timeout', () => {
      req.destroy(new Error(`engine API ${path}: no answer within 10 s`));
    });
    req.once('error', reject);
    req.end();
  });
}

export function containerEngineAnswers(): Promise<boolean> {
  answers ??= engineGet('/_ping').then(
    (answer) => answer.status === 200,
    () => false,
  );
  return answers;
}

/** Why the container suites do not run here (undefined when they run, or must). */
export async function containerSkipReason(): Promise<string | undefined> {
  if (containersRequired || (await containerEngineAnswers())) return undefined;
  return 'no Docker-compatible engine answers at DOCKER_HOST (set REQUIRE_CONTAINERS=1 to make this run mandatory)';
}
