/**
 * The rotation function's AWS SDK, as Lambda starts it (credentials and region in the
 * environment), reaches the configured Secrets Manager endpoint and nothing else: no fall-through
 * to the instance metadata service. The suite's egress guard (test/helpers/egress-guard.ts) refuses
 * and counts anything but loopback; the second test shows it catching that fall-through when the
 * environment holds no credentials.
 */
import {
  CreateSecretCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  startSecretsManagerEndpoint,
  type SecretsManagerEndpoint,
} from '../../local/secrets-manager/index.js';
import { handler } from '../../rotation/index.js';
import { suiteEgressGuard } from '../helpers/egress-guard.js';

let endpoint: SecretsManagerEndpoint;

beforeAll(async () => {
  endpoint = await startSecretsManagerEndpoint();
});

afterAll(async () => {
  await endpoint.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** No shared config or credentials file of this machine's user can supply credentials. */
function noCredentialFiles(): void {
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
  vi.stubEnv('AWS_PROFILE', undefined);
}

describe('egress of the rotation function', () => {
  it('with credentials in the environment, calls only the configured endpoint', async () => {
    const admin = new SecretsManagerClient({
      endpoint: endpoint.url,
      region: endpoint.region,
      credentials: { accessKeyId: 'AKIDEGRESSADMIN', secretAccessKey: 'egress-admin-dummy' },
    });
    const { ARN } = await admin.send(new CreateSecretCommand({ Name: 'egress/app', SecretString: '{}' }));
    admin.destroy();
    noCredentialFiles();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEGRESSLAMBDA');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'egress-lambda-dummy');
    vi.stubEnv('AWS_REGION', endpoint.region);
    vi.stubEnv('ROTATION_STRATEGY', 'single-user');
    vi.stubEnv('LOG_LEVEL', 'silent');
    vi.stubEnv('SECRETS_MANAGER_ENDPOINT', endpoint.url);
    const before = suiteEgressGuard().allowed.get(`127.0.0.1:${endpoint.port}`) ?? 0;

    await expect(
      handler({ SecretId: ARN ?? '', ClientRequestToken: 'egress-token', Step: 'createSecret' }),
    ).rejects.toThrow(/has no stage for rotation/);
    expect(suiteEgressGuard().allowed.get(`127.0.0.1:${endpoint.port}`) ?? 0).toBeGreaterThan(before);
    expect(suiteEgressGuard().refused).toEqual([]);
  });

  it('the guard catches the fall-through to the metadata service when no credentials are given', async () => {
    noCredentialFiles();
    vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined);
    vi.stubEnv('AWS_SESSION_TOKEN', undefined);
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', undefined);
    vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', undefined);
    vi.stubEnv('AWS_WEB_IDENTITY_TOKEN_FILE', undefined);
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', undefined);
    const client = new SecretsManagerClient({ endpoint: endpoint.url, region: endpoint.region });
    await expect(client.send(new ListSecretsCommand({}))).rejects.toThrow();
    client.destroy();
    // Taken here, so the suite's after-test check does not fail this test for it.
    const refused = suiteEgressGuard().take();
    expect(refused.map((r) => r.destination)).toContain('169.254.169.254:80');
  });
});
