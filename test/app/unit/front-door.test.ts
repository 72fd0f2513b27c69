/**
 * The app's front door (app/src/index.ts) loads no AWS SDK: the bench's plain-pool variants import
 * it, and their cost is compared with this app's as plain pools. Read from the code's import graph,
 * as Node would load it: with verbatimModuleSyntax, `import type` and `export type` are dropped and
 * every other import (an inline `type` specifier included) loads its module.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The specifiers a module loads when it runs: static imports and re-exports that are not type-only, and import(). */
function loadedSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && node.importClause?.phaseModifier !== ts.SyntaxKind.TypeKeyword) {
      specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier) {
      specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** Every package the entry loads, through any number of the repository's own modules. */
function packagesLoadedBy(entry: string): { packages: Set<string>; modules: string[] } {
  const packages = new Set<string>();
  const seen = new Set<string>([entry]);
  const queue = [entry];
  for (let file = queue.shift(); file; file = queue.shift()) {
    for (const specifier of loadedSpecifiers(file)) {
      if (!specifier.startsWith('.')) {
        packages.add(
          specifier
            .split('/')
            .slice(0, specifier.startsWith('@') ? 2 : 1)
            .join('/'),
        );
        continue;
      }
      const next = resolve(dirname(file), specifier).replace(/\.js$/, '.ts');
      if (next.endsWith('.ts') && !seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return { packages, modules: [...seen].map((file) => relative(root, file)) };
}

describe("the app's front door", () => {
  const door = packagesLoadedBy(resolve(root, 'app/src/index.ts'));

  it('loads no AWS SDK and no EMF library', () => {
    expect(
      [...door.packages].filter((name) => name.startsWith('@aws-sdk/') || name === 'aws-embedded-metrics'),
    ).toEqual([]);
    // The walk reaches the modules it should: the routes and the metrics.
    expect(door.modules).toEqual(expect.arrayContaining(['app/src/http/app.ts', 'app/src/metrics.ts']));
    expect(door.packages).toContain('fastify');
  });

  it('is what tells them apart: the service behind main.ts loads the SDK', () => {
    const service = packagesLoadedBy(resolve(root, 'app/src/main.ts'));
    expect(service.packages).toContain('@aws-sdk/client-secrets-manager');
    expect(door.modules).not.toContain('app/src/service.ts');
  });
});
