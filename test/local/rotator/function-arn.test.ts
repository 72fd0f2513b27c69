/** The local rotator's function ARNs (local/rotator/): one per rotation strategy. */
import { describe, expect, it } from 'vitest';
import { rotationFunctionArn, strategyOfFunction } from '../../../local/rotator/index.js';

describe('function ARNs', () => {
  it('maps a strategy to its local function ARN and back', () => {
    const arn = rotationFunctionArn('single-user', 'eu-west-1');
    expect(arn).toBe('arn:aws:lambda:eu-west-1:000000000000:function:rotation-single-user');
    expect(strategyOfFunction(arn)).toBe('single-user');
    expect(strategyOfFunction(rotationFunctionArn('alternating-users', 'us-east-1'))).toBe(
      'alternating-users',
    );
    expect(strategyOfFunction('arn:aws:lambda:us-east-1:1:function:something-else')).toBeUndefined();
    expect(strategyOfFunction(undefined)).toBeUndefined();
  });
});
