/**
 * cdk-nag (AWS Solutions pack, cdk-nag 3: a CDK policy-validation plugin). A synth with the plugin
 * fails on any unacknowledged finding, so `app.synth()` not throwing is the check; the pack's own
 * `validateScope` lists what remains (expected: nothing, errors or warnings). Every acknowledgment
 * carries a reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeAssemblies, synthesize, type Synthesized } from '../helpers/synth.js';

const variants: Record<string, Record<string, unknown>> = {
  dev: { profile: 'dev' },
  'prod, HTTPS, VPC endpoints': {
    profile: 'prod',
    egress: 'endpoints',
    certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
  },
};

const synthesized = new Map<string, Synthesized>();
beforeAll(() => {
  // synthesize() runs app.synth() with the plugin: it throws on any unacknowledged finding.
  for (const [name, context] of Object.entries(variants))
    synthesized.set(name, synthesize(context, { nag: true, bundle: false }));
});
afterAll(removeAssemblies);

function acknowledgments(root: IConstruct): { id: string; reason: string }[] {
  const out: { id: string; reason: string }[] = [];
  const visit = (node: IConstruct): void => {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        out.push({ id, reason: typeof reason === 'string' ? reason : JSON.stringify(reason) });
      }
    }
    for (const child of node.node.children) visit(child);
  };
  visit(root);
  return out;
}

describe.each(Object.keys(variants))('cdk-nag AwsSolutions: %s', (name) => {
  it('synthesizes with the plugin and leaves no finding', () => {
    const synth = synthesized.get(name) as Synthesized;
    const result = new AwsSolutionsChecks().validateScope(synth.app);
    const remaining = result.violations.map(
      (v) =>
        `${v.severity ?? '?'} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath ?? '').join(', ')}`,
    );
    expect(remaining).toEqual([]);
    expect(result.success).toBe(true);
    const report = JSON.parse(readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { summary?: { status?: string } }[];
    };
    for (const plugin of report.pluginReports) expect(plugin.summary?.status).not.toBe('failure');
  });

  it('acknowledges findings one by one, each with a specific reason', () => {
    const synth = synthesized.get(name) as Synthesized;
    // (CDK records a few of its own acknowledgments, e.g. CloudFormation-Validate::…; ours are AwsSolutions.)
    const acks = acknowledgments(synth.app).filter((a) => a.id.includes('AwsSolutions'));
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/AwsSolutions-[A-Z]+\d+/);
      expect(ack.reason.length).toBeGreaterThan(40);
    }
  });
});
