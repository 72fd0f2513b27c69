import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Metrics } from '../metrics.js';
import { errorName } from '../util/error-name.js';
import { isVersionStage, type VersionStage } from './stages.js';

export interface SecretVersion {
  versionId: string;
  stages: string[];
  secretString: string | undefined;
}

/** Stage → version id, as DescribeSecret reports it. */
export type StageMap = Partial<Record<VersionStage, string>>;

/**
 * The only two Secrets Manager calls the app makes (the task role allows nothing else).
 * Each call is counted by operation and outcome.
 */
export class SecretSource {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly metrics: Metrics,
  ) {}

  /** The version holding `stage`, or undefined when no version holds it. */
  async getByStage(stage: VersionStage): Promise<SecretVersion | undefined> {
    try {
      const out = await this.counted('GetSecretValue', () =>
        this.client.send(new GetSecretValueCommand({ SecretId: this.secretId, VersionStage: stage })),
      );
      if (!out.VersionId) throw new Error('GetSecretValue returned no VersionId');
      return { versionId: out.VersionId, stages: out.VersionStages ?? [], secretString: out.SecretString };
    } catch (err) {
      if (err instanceof ResourceNotFoundException && stage !== 'AWSCURRENT') return undefined;
      throw err;
    }
  }

  /** Which version holds which stage: one cheap call, no secret value moves. */
  async stages(): Promise<StageMap> {
    const out = await this.counted('DescribeSecret', () =>
      this.client.send(new DescribeSecretCommand({ SecretId: this.secretId })),
    );
    const map: StageMap = {};
    for (const [versionId, stages] of Object.entries(out.VersionIdsToStages ?? {})) {
      for (const stage of stages) {
        if (isVersionStage(stage)) map[stage] = versionId;
      }
    }
    return map;
  }

  private async counted<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      this.metrics.secretsManagerCalls.inc({ operation, outcome: 'success' });
      return result;
    } catch (err) {
      this.metrics.secretsManagerCalls.inc({ operation, outcome: errorName(err) });
      throw err;
    }
  }
}
