// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdktf.out/', '.gen/', '.stack/', 'charts/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test registers tests synchronously; their returned promises are the runner's to await.
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'describe', 'it', 'before', 'after', 'beforeEach', 'afterEach', 'suite'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node builtins.
    files: ['workers/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Workflows must not import Node builtins (determinism).' },
            {
              group: ['kafkajs', 'pg', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
              message: 'Workflows do no I/O: use activities.',
            },
            {
              group: ['**/activities/*'],
              message: 'Workflows take activity types from shared/activity-contract.ts, never activity code.',
            },
          ],
        },
      ],
    },
  },
);
