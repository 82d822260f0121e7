import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', '**/dist/**', '**/.tmp/**'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'all',
          include: [
            'packages/*/src/**/*.test.ts',
            'packages/*/test/**/*.test.ts',
            'examples/**/*.test.ts',
            'monitoring/**/*.test.ts',
            'test/**/*.test.ts',
          ],
          exclude,
          typecheck: {
            enabled: true,
            include: ['packages/*/src/**/*.test-d.ts', 'packages/*/test/**/*.test-d.ts'],
            tsconfig: './tsconfig.json',
          },
        },
      },
      {
        // The SDK's unit tests once more, in workers where code generation from strings is
        // disallowed, as under a Content Security Policy without 'unsafe-eval' or on an edge runtime:
        // every catalog then resolves labels through the interpreted resolver, and
        // storage/no-codegen.test.ts asserts that the flag is in effect. Vitest evaluates test modules
        // through node:vm, which the flag does not cover, and fast-check, prom-client and the OTel SDK
        // need no eval, so no unit test file is excluded; tests that exercise the compiled resolver
        // directly skip themselves here, with the reason in their title. Type tests run once, above.
        extends: true,
        test: {
          name: 'no-codegen',
          include: ['packages/metrics-sdk/src/**/*.test.ts'],
          exclude,
          execArgv: ['--disallow-code-generation-from-strings'],
        },
      },
    ],
  },
});
