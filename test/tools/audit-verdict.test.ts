import { describe, expect, it } from 'vitest';
import { auditVerdict } from '../../tools/audit-verdict.js';

const counts = (c: Partial<Record<'info' | 'low' | 'moderate' | 'high' | 'critical', number>>) => ({
  metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...c, total: 0 } },
});

describe('npm audit verdict', () => {
  it('passes a clean report and prints the counts', () => {
    const v = auditVerdict({ vulnerabilities: {}, ...counts({}) }, true);
    expect(v.pass).toBe(true);
    expect(v.lines[0]?.text).toBe('npm audit --omit=dev: info 0, low 0, moderate 0, high 0, critical 0');
  });

  it('passes low and moderate findings', () => {
    const v = auditVerdict(
      {
        vulnerabilities: { a: { severity: 'moderate', via: [{ title: 'ReDoS' }] } },
        ...counts({ moderate: 1 }),
      },
      true,
    );
    expect(v.pass).toBe(true);
  });

  it('fails on high and critical findings and names each one', () => {
    const v = auditVerdict(
      {
        vulnerabilities: {
          fastify: {
            severity: 'high',
            via: [{ title: 'Content-Type bypass', url: 'https://github.com/advisories/GHSA-x' }],
          },
          'some-dep': { severity: 'critical', via: ['fastify'] },
        },
        ...counts({ high: 1, critical: 1 }),
      },
      false,
    );
    expect(v.pass).toBe(false);
    expect(v.lines.filter((l) => l.level === 'error').map((l) => l.text)).toEqual([
      'HIGH fastify: Content-Type bypass https://github.com/advisories/GHSA-x',
      'CRITICAL some-dep: via fastify',
    ]);
  });

  it('warns when the registry has no audit endpoint, and fails when the audit is required', () => {
    const answer = {
      message: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk',
      error: { summary: '' },
    };
    const lenient = auditVerdict(answer, false);
    expect(lenient.pass).toBe(true);
    expect(lenient.lines).toHaveLength(1);
    expect(lenient.lines[0]?.level).toBe('warning');
    expect(lenient.lines[0]?.text).toContain('405 Method Not Allowed');
    const strict = auditVerdict(answer, true);
    expect(strict.pass).toBe(false);
    expect(strict.lines[0]?.text).toMatch(/REQUIRE_AUDIT=1/);
  });
});
