// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    // CLIs and tests talk to a terminal.
    files: ['local/**', 'load/**', 'test/**', 'tools/**', 'infra/bin/**', 'db-bootstrap/main.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // app/ is the only code in the production image and rotation/ is bundled alone into the Lambda:
    // neither imports anything outside itself (db-bootstrap/, infra/ and the harness import them).
    files: ['app/**/*.ts', 'rotation/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: String.raw`^(\.\./)+(app|rotation|db-bootstrap|infra|local|load|test|tools)/`,
              message: 'app/ and rotation/ import nothing outside themselves.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
