/**
 * Synthesizes the stack for a set of context values, the way `cdk synth` does (same stack class, same
 * config parsing), into a temporary cloud assembly. Each test file synthesizes each variant once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { resolveConfig, type InfraConfig } from '../../infra/lib/config.js';
import { RotatingCredentialsStack } from '../../infra/lib/stack.js';

const outdirs: string[] = [];

/** Removes every cloud assembly this file synthesized (call in afterAll). */
export function removeAssemblies(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Synthesized {
  app: App;
  stack: RotatingCredentialsStack;
  template: Template;
  config: InfraConfig;
  outdir: string;
}

/**
 * `bundle: false` skips esbuild for the two Lambda functions (the template is the same but for asset
 * hashes): only one test file pays for bundling.
 */
export function synthesize(
  context: Record<string, unknown> = {},
  options: { nag?: boolean; bundle?: boolean } = {},
): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'infra-test-'));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    context: {
      ...context,
      // Construct stack traces are costly under vitest's source maps, and nothing here reads them.
      'aws:cdk:disable-stack-trace': true,
      ...(options.bundle === false && { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const config = resolveConfig(context);
  const stack = new RotatingCredentialsStack(app, 'RotatingCredentials', { config });
  if (options.nag === true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const template = Template.fromStack(stack);
  return { app, stack, template, config, outdir };
}

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] };

/** Every resource of a type, by logical id. */
export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The one resource of a type (fails when there are none or several). */
export function onlyResource(template: Template, type: string): [string, Resource] {
  const entries = Object.entries(resourcesOf(template, type));
  if (entries.length !== 1) throw new Error(`expected one ${type}, found ${entries.length}`);
  return entries[0] as [string, Resource];
}

/** `{Fn::GetAtt: [id, attr]}` or `{Ref: id}` → id. */
export function refId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof v.Ref === 'string') return v.Ref;
  if (Array.isArray(v['Fn::GetAtt']) && typeof v['Fn::GetAtt'][0] === 'string') return v['Fn::GetAtt'][0];
  return undefined;
}

/** Logical id of a construct's default CloudFormation resource. */
export function logicalId(synth: Synthesized, construct: { node: { defaultChild?: unknown } }): string {
  const child = construct.node.defaultChild;
  if (child === undefined) throw new Error('construct has no default child');
  return synth.stack.getLogicalId(child as never);
}
