import { describe, expect, it } from 'vitest';
import { SecretScrubber } from '../../../app/src/logger.js';

describe('SecretScrubber', () => {
  it('blanks every secret it holds, wherever it appears in a line', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('first-Secret-1');
    scrubber.add('second-Secret-2');
    const line = JSON.stringify({ msg: 'first-Secret-1 then second-Secret-2', again: 'x first-Secret-1' });
    expect(scrubber.scrub(line)).toBe(
      JSON.stringify({ msg: '[REDACTED] then [REDACTED]', again: 'x [REDACTED]' }),
    );
  });

  it('blanks a secret as JSON writes it, with its quotes and backslashes escaped', () => {
    const scrubber = new SecretScrubber();
    const secret = 'pa"ss\\word';
    scrubber.add(secret);
    expect(scrubber.scrub(JSON.stringify({ err: `login as ${secret} refused` }))).toBe(
      JSON.stringify({ err: 'login as [REDACTED] refused' }),
    );
    expect(scrubber.scrub(`raw ${secret}`)).toBe('raw [REDACTED]');
  });

  it('ignores values too short to be secrets, and leaves other text alone', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('abc');
    scrubber.add('');
    scrubber.add(undefined);
    scrubber.add('long-enough');
    scrubber.add('long-enough');
    expect(scrubber.scrub('abc and long-enough and more')).toBe('abc and [REDACTED] and more');
    expect(scrubber.scrub('nothing here')).toBe('nothing here');
  });
});
