/** The rotation function's JSON logger (rotation/logger.ts): one line per entry, secrets dropped. */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../rotation/logger.js';

describe('logger', () => {
  it('writes one JSON object per line and drops keys that hold secrets', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (line) => lines.push(line) }).child({
      step: 'setSecret',
    });
    log.debug('not written');
    log.info(
      {
        user: 'app',
        password: 'x1',
        nested: { SecretString: 'x2', RotationToken: 'x3', keep: true },
        error: Object.assign(new Error('boom'), { code: '28P01' }),
      },
      'hello',
    );
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: 'info',
      message: 'hello',
      step: 'setSecret',
      user: 'app',
      nested: { keep: true },
      error: { name: 'Error', message: 'boom', code: '28P01' },
    });
    expect(lines[0]).not.toMatch(/x1|x2|x3/);
  });
});
