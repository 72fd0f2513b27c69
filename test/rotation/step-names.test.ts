/** The rotation handler's step names (rotation/handler.ts normalizeStep), without a database or Secrets Manager. */
import { describe, expect, it } from 'vitest';
import { normalizeStep } from '../../rotation/handler.js';

describe('step names', () => {
  it('accepts the camelCase and the documented snake_case step names', () => {
    expect(
      [
        'createSecret',
        'create_secret',
        'set_secret',
        'testSecret',
        'finish_secret',
        'rollback',
        'constructor',
      ].map(normalizeStep),
    ).toEqual([
      'createSecret',
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
      undefined,
      undefined,
    ]);
  });
});
