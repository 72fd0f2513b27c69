/**
 * The README's labs as the lab tests read them: a lab that gains commands must gain a test too.
 * Labs 1-4 run here (demo-labs, drill-labs); lab 5 deploys to AWS, which needs an account, and
 * keeps its commands in docs/deploy.md.
 */
import { describe, expect, it } from 'vitest';
import { readmeLabs } from '../helpers/readme-labs.js';

describe('README labs', () => {
  it('are five; labs 1-4 have commands, each run by a lab test; lab 5 (AWS) has none in the README', () => {
    const labs = readmeLabs();
    expect(labs.map((l) => l.number)).toEqual([1, 2, 3, 4, 5]);
    expect(labs.map((l) => l.commands.length)).toEqual([1, 1, 2, 3, 0]);
    expect(labs[4]?.text).toContain('docs/deploy.md');
  });

  it('each says what you should see', () => {
    for (const lab of readmeLabs()) expect(lab.text, `lab ${lab.number}`).toContain('_You should see:_');
  });
});
