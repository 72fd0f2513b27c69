/** Context → config: profiles, overrides as the CLI passes them (strings), and errors naming the key. */
import { describe, expect, it } from 'vitest';
import { InfraConfigError, PROFILE_DEFAULTS, resolveConfig } from '../../infra/lib/config.js';

describe('infra config', () => {
  it('defaults to the dev profile', () => {
    const config = resolveConfig({});
    expect(config.profile).toBe('dev');
    expect(config).toMatchObject(PROFILE_DEFAULTS.dev);
    expect(config.rotationStrategy).toBe('alternating-users');
    expect(config.certificateArn).toBeUndefined();
  });

  it('prod turns on Multi-AZ, deletion protection and customer-managed keys', () => {
    expect(resolveConfig({ profile: 'prod' })).toMatchObject({
      multiAz: true,
      deletionProtection: true,
      customerManagedKey: true,
    });
  });

  it('parses -c strings and overrides the profile', () => {
    expect(resolveConfig({ profile: 'prod', multiAz: 'false', dbPort: '6543' })).toMatchObject({
      multiAz: false,
      dbPort: 6543,
    });
  });

  it('names every bad key at once', () => {
    let error: unknown;
    try {
      resolveConfig({
        egress: 'vpn',
        dbPort: '5432x',
        rotationStrategy: 'sometimes',
        certificateArn: 'nope',
        dbMaxConnections: '5',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InfraConfigError);
    const message = (error as Error).message;
    for (const key of ['egress', 'dbPort', 'rotationStrategy', 'certificateArn', 'dbMaxConnections'])
      expect(message).toContain(key);
  });

  it('rejects an unknown profile', () => {
    expect(() => resolveConfig({ profile: 'staging' })).toThrow(/profile must be one of dev, prod/);
  });
});
