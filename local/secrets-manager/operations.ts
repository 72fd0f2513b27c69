/**
 * One handler per Secrets Manager operation: read and validate the input as the service does, apply
 * it to the store, and shape the output as the service returns it (timestamps in epoch seconds).
 */
import {
  isJsonObject,
  optionalBoolean,
  optionalInteger,
  optionalObject,
  optionalString,
  optionalStringList,
  optionalTags,
  requiredString,
  requiredStringList,
  requiredTags,
  type JsonObject,
} from './input.js';
import { generateRandomPassword } from './random-password.js';
import type { RotationRequest } from './rotation-dispatcher.js';
import {
  isDeprecated,
  newClientRequestToken,
  type RotationRules,
  type Secret,
  type SecretStore,
  type SecretValue,
  type SecretVersion,
} from './secret-store.js';
import { invalidParameter, invalidRequest, ServiceError, validationError } from './service-error.js';

export interface OperationContext {
  store: SecretStore;
  rotation: {
    /** Whether a rotation handler (the stand-in for the rotation Lambda) is registered. */
    readonly registered: boolean;
    /** Invokes the handler after the response has been sent. */
    start(request: RotationRequest): void;
  };
}

export type OperationHandler = (input: JsonObject, context: OperationContext) => JsonObject;

// Model constraints of the Secrets Manager API.
const SECRET_ID = { min: 1, max: 2048 };
const TOKEN = { min: 32, max: 64 };
const VERSION_ID = { min: 32, max: 64 };
const STAGE = { min: 1, max: 256 };
const SECRET_VALUE = { max: 65536, sensitive: true };

const epochSeconds = (date: Date): number => date.getTime() / 1000;

function readValue(input: JsonObject): SecretValue | undefined {
  const secretString = optionalString(input, 'SecretString', SECRET_VALUE);
  const secretBinary = optionalString(input, 'SecretBinary', { sensitive: true });
  if (secretString !== undefined && secretBinary !== undefined) {
    throw invalidParameter('You can only specify one of SecretString or SecretBinary, not both.');
  }
  if (secretString !== undefined) return { secretString };
  if (secretBinary === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(secretBinary) || secretBinary.length % 4 !== 0) {
    throw new ServiceError('SerializationException', "Expected base64 for member 'secretBinary'");
  }
  if (Buffer.byteLength(secretBinary, 'base64') > 65536) {
    throw validationError('secretBinary', 'Member must have length less than or equal to 65536', undefined, {
      sensitive: true,
    });
  }
  return { secretBinary };
}

const valueOutput = (value: SecretValue): JsonObject =>
  value.secretString !== undefined
    ? { SecretString: value.secretString }
    : { SecretBinary: value.secretBinary };

function versionsToStages(secret: Secret): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const version of secret.versions.values()) {
    if (!isDeprecated(version)) map[version.versionId] = [...version.stages];
  }
  return map;
}

function nextRotationDate(secret: Secret): Date | undefined {
  const days = secret.rotation?.rules?.AutomaticallyAfterDays;
  if (!secret.rotation?.enabled || days === undefined) return undefined;
  const from = secret.lastRotatedDate ?? secret.lastChangedDate;
  return new Date(from.getTime() + days * 24 * 60 * 60 * 1000);
}

/** DescribeSecret's shape; ListSecrets uses the same with SecretVersionsToStages. */
function secretMetadata(
  secret: Secret,
  versionsKey: 'VersionIdsToStages' | 'SecretVersionsToStages',
): JsonObject {
  const out: JsonObject = { ARN: secret.arn, Name: secret.name };
  if (secret.description !== undefined) out.Description = secret.description;
  if (secret.kmsKeyId !== undefined) out.KmsKeyId = secret.kmsKeyId;
  if (secret.rotation) {
    out.RotationEnabled = secret.rotation.enabled;
    if (secret.rotation.lambdaArn !== undefined) out.RotationLambdaARN = secret.rotation.lambdaArn;
    if (secret.rotation.rules !== undefined) out.RotationRules = secret.rotation.rules;
  }
  if (secret.lastRotatedDate) out.LastRotatedDate = epochSeconds(secret.lastRotatedDate);
  out.LastChangedDate = epochSeconds(secret.lastChangedDate);
  if (secret.lastAccessedDate) out.LastAccessedDate = epochSeconds(secret.lastAccessedDate);
  if (secret.deletionDate) out.DeletedDate = epochSeconds(secret.deletionDate);
  const next = nextRotationDate(secret);
  if (next) out.NextRotationDate = epochSeconds(next);
  if (secret.tags.length > 0) out.Tags = secret.tags.map((t) => ({ ...t }));
  out[versionsKey] = versionsToStages(secret);
  out.CreatedDate = epochSeconds(secret.createdDate);
  return out;
}

function readRotationRules(input: JsonObject): RotationRules | undefined {
  const rules = optionalObject(input, 'RotationRules');
  if (!rules) return undefined;
  const out: RotationRules = {};
  const days = optionalInteger(rules, 'AutomaticallyAfterDays', { min: 1, max: 1000 });
  const duration = optionalString(rules, 'Duration', { min: 1, max: 3 });
  const schedule = optionalString(rules, 'ScheduleExpression', { min: 1, max: 256 });
  if (days !== undefined && schedule !== undefined) {
    throw invalidParameter('You can specify either AutomaticallyAfterDays or ScheduleExpression, not both.');
  }
  if (days !== undefined) out.AutomaticallyAfterDays = days;
  if (duration !== undefined) out.Duration = duration;
  if (schedule !== undefined) out.ScheduleExpression = schedule;
  return out;
}

/** NextToken for the offset-based pages of ListSecrets and ListSecretVersionIds. */
function page<T>(items: T[], input: JsonObject): { items: T[]; nextToken?: string } {
  const maxResults = optionalInteger(input, 'MaxResults', { min: 1, max: 100 }) ?? 100;
  const token = optionalString(input, 'NextToken', { min: 1, max: 4096 });
  let start = 0;
  if (token !== undefined) {
    start = Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(start) || start < 0) throw invalidParameter('The NextToken value is not valid.');
  }
  const end = start + maxResults;
  const result: { items: T[]; nextToken?: string } = { items: items.slice(start, end) };
  if (end < items.length) result.nextToken = Buffer.from(String(end), 'utf8').toString('base64url');
  return result;
}

const createSecret: OperationHandler = (input, { store }) => {
  const name = requiredString(input, 'Name', { min: 1, max: 512 });
  const value = readValue(input);
  const description = optionalString(input, 'Description', { max: 2048 });
  const kmsKeyId = optionalString(input, 'KmsKeyId', { max: 2048 });
  const tags = optionalTags(input);
  const token = optionalString(input, 'ClientRequestToken', TOKEN) ?? newClientRequestToken();
  const { secret, version } = store.create({
    name,
    token,
    ...(value && { value }),
    ...(description !== undefined && { description }),
    ...(kmsKeyId !== undefined && { kmsKeyId }),
    ...(tags && { tags }),
  });
  return { ARN: secret.arn, Name: secret.name, ...(version && { VersionId: version.versionId }) };
};

const describeSecret: OperationHandler = (input, { store }) => {
  const secret = store.get(requiredString(input, 'SecretId', SECRET_ID), { allowScheduledForDeletion: true });
  return secretMetadata(secret, 'VersionIdsToStages');
};

const getSecretValue: OperationHandler = (input, { store }) => {
  const secret = store.get(requiredString(input, 'SecretId', SECRET_ID));
  const versionId = optionalString(input, 'VersionId', VERSION_ID);
  const stage = optionalString(input, 'VersionStage', STAGE);
  const version = store.getValue(secret, versionId, stage);
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.versionId,
    ...valueOutput(version.value),
    VersionStages: [...version.stages],
    CreatedDate: epochSeconds(version.createdDate),
  };
};

const putSecretValue: OperationHandler = (input, { store }) => {
  const secret = store.get(requiredString(input, 'SecretId', SECRET_ID));
  const value = readValue(input);
  if (!value) throw invalidRequest('You must provide either SecretString or SecretBinary.');
  const token = optionalString(input, 'ClientRequestToken', TOKEN) ?? newClientRequestToken();
  const stages = optionalStringList(input, 'VersionStages', { minItems: 1, maxItems: 20, item: STAGE });
  const { version } = store.putValue(secret, { token, value, ...(stages && { stages }) });
  return {
    ARN: secret.arn,
    Name: secret.name,
    VersionId: version.versionId,
    VersionStages: [...version.stages],
  };
};

const updateSecret: OperationHandler = (input, { store }) => {
  const secret = store.get(requiredString(input, 'SecretId', SECRET_ID));
  const value = readValue(input);
  const description = optionalString(input, 'Description', { max: 2048 });
  const kmsKeyId = optionalString(input, 'KmsKeyId', { max: 2048 });
  const token = optionalString(input, 'ClientRequestToken', TOKEN) ?? newClientRequestToken();
  store.setDescription(secret, description, kmsKeyId);
  const out: JsonObject = { ARN: secret.arn, Name: secret.name };
  if (value) out.VersionId = store.putValue(secret, { token, value }).version.versionId;
  return out;
};

const updateSecretVersionStage: OperationHandler = (input, { store }) => {
  const secret = store.get(requiredString(input, 'SecretId', SECRET_ID));
  const stage = requiredString(input, 'VersionStage', STAGE);
  const removeFrom = optionalString(input, 'RemoveFromVersionId', VERSION_ID);
  const moveTo = optionalString(input, 'MoveToVersionId', VERSION_ID);
  store.updateVersionStage(secret, stage, moveTo, removeFrom);
  return { ARN: secret.arn, Name: secret.name };
};

const listSecretVersionIds: OperationHandler = (input, { store }) => {
  const secret = store.get(requiredString(input, 'SecretId', SECRET_ID), { allowScheduledForDeletion: true });
  const includeDeprecated = optionalBoolean(input, 'IncludeDeprecated') ?? false;
  const versions = [...secret.versions.values()]
    .filter((v) => includeDeprecated || !isDeprecated(v))
    .reverse(); // newest first
  const { items, nextToken } = page(versions, input);
  return {
    ARN: secret.arn,
    Name: secret.name,
    Versions: items.map((v: SecretVersion) => ({
      VersionId: v.versionId,
      ...(v.stages.size > 0 && { VersionStages: [...v.stages] }),
      ...(v.lastAccessedDate && { LastAccessedDate: epochSeconds(v.lastAccessedDate) }),
      CreatedDate: epochSeconds(v.createdDate),
    })),
    ...(nextToken && { NextToken: nextToken }),
  };
};

const getRandomPassword: OperationHandler = (input) => ({
  RandomPassword: generateRandomPassword({
    passwordLength: optionalInteger(input, 'PasswordLength', { min: 1, max: 4096 }) ?? 32,
    excludeCharacters: optionalString(input, 'ExcludeCharacters', { max: 4096 }) ?? '',
    excludeNumbers: optionalBoolean(input, 'ExcludeNumbers') ?? false,
    excludePunctuation: optionalBoolean(input, 'ExcludePunctuation') ?? false,
    excludeUppercase: optionalBoolean(input, 'ExcludeUppercase') ?? false,
    excludeLowercase: optionalBoolean(input, 'ExcludeLowercase') ?? false,
    includeSpace: optionalBoolean(input, 'IncludeSpace') ?? false,
    requireEachIncludedType: optionalBoolean(input, 'RequireEachIncludedType') ?? true,
  }),
});

/**
 * Enables rotation and, unless RotateImmediately is false, starts one: with a rotation handler
 * registered, an AWSPENDING version named by the token is reserved (no value yet) and the handler is
 * invoked after the response; without one, rotation is only recorded as enabled.
 */
const rotateSecret: OperationHandler = (input, { store, rotation }) => {
  const secretId = requiredString(input, 'SecretId', SECRET_ID);
  const secret = store.get(secretId);
  const token = optionalString(input, 'ClientRequestToken', TOKEN) ?? newClientRequestToken();
  const lambdaArn = optionalString(input, 'RotationLambdaARN', { max: 2048 });
  const rules = readRotationRules(input);
  const rotateImmediately = optionalBoolean(input, 'RotateImmediately') ?? true;

  store.assertNoRotationInProgress(secret);
  const starts = rotateImmediately && rotation.registered;
  if (starts) store.reservePendingVersion(secret, token);
  store.configureRotation(secret, { ...(lambdaArn !== undefined && { lambdaArn }), ...(rules && { rules }) });
  if (starts) rotation.start({ secretId, arn: secret.arn, token });
  if (!rotateImmediately) return { ARN: secret.arn, Name: secret.name };
  return { ARN: secret.arn, Name: secret.name, VersionId: token };
};

const cancelRotateSecret: OperationHandler = (input, { store }) => {
  const secret = store.get(requiredString(input, 'SecretId', SECRET_ID));
  const pending = store.cancelRotation(secret);
  return { ARN: secret.arn, Name: secret.name, ...(pending && { VersionId: pending.versionId }) };
};

const deleteSecret: OperationHandler = (input, { store }) => {
  const secret = store.get(requiredString(input, 'SecretId', SECRET_ID), { allowScheduledForDeletion: true });
  const window = optionalInteger(input, 'RecoveryWindowInDays');
  const force = optionalBoolean(input, 'ForceDeleteWithoutRecovery') ?? false;
  if (force && window !== undefined) {
    throw invalidParameter(
      "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
    );
  }
  if (window !== undefined && (window < 7 || window > 30)) {
    throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
  }
  const deletionDate = force ? store.deleteNow(secret) : store.scheduleDeletion(secret, window ?? 30);
  return { ARN: secret.arn, Name: secret.name, DeletionDate: epochSeconds(deletionDate) };
};

const restoreSecret: OperationHandler = (input, { store }) => {
  const secret = store.get(requiredString(input, 'SecretId', SECRET_ID), { allowScheduledForDeletion: true });
  store.restore(secret);
  return { ARN: secret.arn, Name: secret.name };
};

const tagResource: OperationHandler = (input, { store }) => {
  const secret = store.get(requiredString(input, 'SecretId', SECRET_ID), { allowScheduledForDeletion: true });
  store.tag(secret, requiredTags(input));
  return {};
};

const untagResource: OperationHandler = (input, { store }) => {
  const secret = store.get(requiredString(input, 'SecretId', SECRET_ID), { allowScheduledForDeletion: true });
  store.untag(secret, requiredStringList(input, 'TagKeys', { item: { min: 1, max: 128 } }));
  return {};
};

type ListFilter = { key: string; values: string[] };

function readFilters(input: JsonObject): ListFilter[] {
  const raw = input.Filters;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw new ServiceError('SerializationException', "Expected a list for member 'filters'");
  return raw.map((entry: unknown) => {
    if (!isJsonObject(entry))
      throw new ServiceError('SerializationException', "Expected a list of filters for member 'filters'");
    const key = requiredString(entry, 'Key');
    if (!['name', 'description', 'tag-key', 'tag-value', 'all'].includes(key)) {
      throw invalidParameter(
        `Invalid filter key: ${key}. Supported keys are name, description, tag-key, tag-value, all.`,
      );
    }
    return { key, values: optionalStringList(entry, 'Values') ?? [] };
  });
}

const words = (text: string): string[] =>
  text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

/**
 * ListSecrets filters: name, tag-key and tag-value match by prefix, case-sensitive; description and
 * all match words, case-insensitive. A value starting with "!" negates. The values of one filter are
 * alternatives; every filter must match.
 */
function matches(secret: Secret, filter: ListFilter): boolean {
  const byKey: Record<string, string[]> = {
    name: [secret.name],
    description: secret.description === undefined ? [] : [secret.description],
    'tag-key': secret.tags.map((t) => t.Key),
    'tag-value': secret.tags.map((t) => t.Value),
  };
  const byWord = filter.key === 'all' || filter.key === 'description';
  const candidates = filter.key === 'all' ? Object.values(byKey).flat() : (byKey[filter.key] ?? []);
  const matchOne = (value: string): boolean =>
    byWord
      ? words(value).every((word) => candidates.some((c) => words(c).some((w) => w.startsWith(word))))
      : candidates.some((candidate) => candidate.startsWith(value));
  return filter.values.some((value) => (value.startsWith('!') ? !matchOne(value.slice(1)) : matchOne(value)));
}

const listSecrets: OperationHandler = (input, { store }) => {
  const filters = readFilters(input);
  const includePlannedDeletion = optionalBoolean(input, 'IncludePlannedDeletion') ?? false;
  const sortOrder = optionalString(input, 'SortOrder') ?? 'asc';
  if (sortOrder !== 'asc' && sortOrder !== 'desc') throw invalidParameter('SortOrder must be asc or desc.');
  const secrets = store
    .list({ includePlannedDeletion })
    .filter((secret) => filters.every((filter) => matches(secret, filter)));
  if (sortOrder === 'desc') secrets.reverse();
  const { items, nextToken } = page(secrets, input);
  return {
    SecretList: items.map((secret) => secretMetadata(secret, 'SecretVersionsToStages')),
    ...(nextToken && { NextToken: nextToken }),
  };
};

export const operations: Readonly<Record<string, OperationHandler>> = {
  CreateSecret: createSecret,
  DescribeSecret: describeSecret,
  GetSecretValue: getSecretValue,
  PutSecretValue: putSecretValue,
  UpdateSecret: updateSecret,
  UpdateSecretVersionStage: updateSecretVersionStage,
  ListSecretVersionIds: listSecretVersionIds,
  GetRandomPassword: getRandomPassword,
  RotateSecret: rotateSecret,
  CancelRotateSecret: cancelRotateSecret,
  DeleteSecret: deleteSecret,
  RestoreSecret: restoreSecret,
  TagResource: tagResource,
  UntagResource: untagResource,
  ListSecrets: listSecrets,
};

/** The secret a call names, for the call log (never a value). */
export function secretIdOf(operation: string, input: JsonObject): string | undefined {
  const id = operation === 'CreateSecret' ? input.Name : input.SecretId;
  return typeof id === 'string' ? id : undefined;
}
