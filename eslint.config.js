// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importBoundaries } from './tools/lint/import-boundaries.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdk.out/', 'reports/', 'test-output/', '.local/', '.cache/'] },
  eslint.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  // app/ is the only code in the production image and rotation/ is bundled alone into the Lambda:
  // app/ and rotation/ import nothing outside themselves, db-bootstrap/ only itself and rotation/,
  // and no product folder imports the harness.
  importBoundaries,
  {
    // CLIs and tests talk to a terminal.
    files: [
      'local/**',
      'proof/**',
      'demo/**',
      'load/**',
      'test/**',
      'tools/**',
      'infra/bin/**',
      'db-bootstrap/main.ts',
    ],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
