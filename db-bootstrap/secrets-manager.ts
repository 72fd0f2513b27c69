/** The bootstrap's Secrets Manager calls and secret parsing; errors never carry a secret value. */
import {
  CreateSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  DEFAULT_EXCLUDE_CHARACTERS,
  DEFAULT_PASSWORD_LENGTH,
  awsErrorName,
  errorMessage,
} from '../rotation/public.js';
import { BootstrapError } from './errors.js';
import type { BootstrapOptions } from './options.js';

export interface MasterSecret {
  username: string;
  password: string;
}

export interface AppSecret {
  username: string;
  password: string;
  masterarn?: string;
}

export async function readSecret(
  sm: SecretsManagerClient,
  secretId: string,
  what: string,
): Promise<{ arn: string; secretString: string } | undefined> {
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (out.ARN === undefined || out.SecretString === undefined) {
      throw new BootstrapError(`${what} ${secretId} has no SecretString`);
    }
    return { arn: out.ARN, secretString: out.SecretString };
  } catch (err) {
    if (awsErrorName(err) === 'ResourceNotFoundException') return undefined;
    if (err instanceof BootstrapError) throw err;
    throw new BootstrapError(
      `could not read ${what} ${secretId}: ${awsErrorName(err) ?? 'error'}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

export async function createSecret(
  sm: SecretsManagerClient,
  input: { name: string; description: string; kmsKeyId: string | undefined; value: Record<string, unknown> },
): Promise<{ arn: string; created: boolean }> {
  try {
    const out = await sm.send(
      new CreateSecretCommand({
        Name: input.name,
        Description: input.description,
        ...(input.kmsKeyId !== undefined && { KmsKeyId: input.kmsKeyId }),
        SecretString: JSON.stringify(input.value),
      }),
    );
    if (out.ARN === undefined) throw new BootstrapError(`CreateSecret ${input.name} returned no ARN`);
    return { arn: out.ARN, created: true };
  } catch (err) {
    if (awsErrorName(err) === 'ResourceExistsException') {
      const existing = await readSecret(sm, input.name, 'secret');
      if (existing) return { arn: existing.arn, created: false };
    }
    if (err instanceof BootstrapError) throw err;
    throw new BootstrapError(
      `could not create secret ${input.name}: ${awsErrorName(err) ?? 'error'}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

export async function randomPassword(
  sm: SecretsManagerClient,
  rules: BootstrapOptions['password'] = {},
): Promise<string> {
  try {
    const out = await sm.send(
      new GetRandomPasswordCommand({
        PasswordLength: rules.length ?? DEFAULT_PASSWORD_LENGTH,
        ExcludeCharacters: rules.excludeCharacters ?? DEFAULT_EXCLUDE_CHARACTERS,
        RequireEachIncludedType: true,
      }),
    );
    if (!out.RandomPassword) throw new BootstrapError('GetRandomPassword returned no password');
    return out.RandomPassword;
  } catch (err) {
    if (err instanceof BootstrapError) throw err;
    throw new BootstrapError(
      `GetRandomPassword failed: ${awsErrorName(err) ?? 'error'}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** JSON.parse's own error message quotes the input (the password with it), so it is never passed on. */
function parseSecretJson(secretString: string, secretId: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    throw new BootstrapError(`secret ${secretId} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BootstrapError(`secret ${secretId} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

export function parseMasterSecret(secretString: string, secretId: string): MasterSecret {
  const value = parseSecretJson(secretString, secretId);
  const { username, password } = value;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new BootstrapError(`master secret ${secretId} must have string fields "username" and "password"`);
  }
  return { username, password };
}

export function parseAppSecret(secretString: string, secretId: string, allowedUsers: string[]): AppSecret {
  const value = parseSecretJson(secretString, secretId);
  const { username, password, masterarn } = value;
  if (typeof username !== 'string' || typeof password !== 'string' || password === '') {
    throw new BootstrapError(`app secret ${secretId} must have string fields "username" and "password"`);
  }
  if (!allowedUsers.includes(username)) {
    throw new BootstrapError(
      `app secret ${secretId} has username "${username}", expected one of ${allowedUsers.map((u) => `"${u}"`).join(', ')}`,
    );
  }
  return { username, password, ...(typeof masterarn === 'string' && { masterarn }) };
}
