import type { SecretVersion, StageMap } from '../../app/src/credentials/secret-source.js';
import type { VersionStage } from '../../app/src/credentials/stages.js';

/** A secret's JSON in the rotation shape. */
export const secret = (password: string, username = 'app') =>
  JSON.stringify({ engine: 'postgres', host: 'db', port: 5432, dbname: 'app', username, password });

/** In-memory stand-in for the two Secrets Manager calls the credential store makes, counting them. */
export class FakeSecretSource {
  versions = new Map<string, string>();
  stageMap: StageMap = {};
  calls = { getByStage: 0, stages: 0 };
  failing = false;
  gate: Promise<void> | undefined;

  put(versionId: string, secretString: string, stage: VersionStage) {
    this.versions.set(versionId, secretString);
    this.stageMap[stage] = versionId;
  }

  async getByStage(stage: VersionStage): Promise<SecretVersion | undefined> {
    this.calls.getByStage++;
    await this.gate;
    if (this.failing) throw Object.assign(new Error('service unavailable'), { name: 'InternalServiceError' });
    const versionId = this.stageMap[stage];
    if (!versionId) return undefined;
    return { versionId, stages: [stage], secretString: this.versions.get(versionId) };
  }

  async stages(): Promise<StageMap> {
    this.calls.stages++;
    await this.gate;
    if (this.failing) throw Object.assign(new Error('service unavailable'), { name: 'InternalServiceError' });
    return { ...this.stageMap };
  }
}
