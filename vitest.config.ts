import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', '**/dist/**', '**/.tmp/**'];

const include = [
  'packages/*/src/**/*.test.ts',
  'packages/*/test/**/*.test.ts',
  'examples/**/*.test.ts',
  'monitoring/**/*.test.ts',
  'test/**/*.test.ts',
];

// Test files that start child processes (tsx services, npm pack, tsc), run external tools (promtool,
// Prometheus, Alertmanager, Debian's python parser, openssl, PostgreSQL, docker compose) or drive a
// load generator. A file is listed by what it does, not by its folder: a file with one tool-backed
// test among in-process ones is listed whole.
const integration = [
  // SDK: promtool, python's parser or openssl next to in-process tests.
  'packages/metrics-sdk/src/catalogs/venues.test.ts',
  'packages/metrics-sdk/src/exposition/escape.prop.test.ts',
  'packages/metrics-sdk/src/exposition/openmetrics-text.prop.test.ts',
  'packages/metrics-sdk/src/prom-client/interop.test.ts',
  'packages/metrics-sdk/src/server/metrics-server.test.ts',
  'packages/metrics-sdk/src/server/tls.test.ts',
  // SDK: conformance against the real tools, the packed tarball, parity through python, child-process
  // floods and the scrape load driver.
  'packages/metrics-sdk/test/cluster/**/*.test.ts',
  'packages/metrics-sdk/test/conformance/**/*.test.ts',
  'packages/metrics-sdk/test/package/**/*.test.ts',
  'packages/metrics-sdk/test/push/**/*.test.ts',
  'packages/metrics-sdk/test/load/**/*.test.ts',
  'packages/metrics-sdk/test/hardening/cardinality-flood.test.ts',
  'packages/metrics-sdk/test/hardening/hostile-records.prop.test.ts',
  'packages/metrics-sdk/test/parity/otel-exporter.test.ts',
  // Examples: each service's entry point started with tsx, the pipeline as a process tree, a real
  // PostgreSQL, openssl certificates.
  'examples/fixtures/exchange/exchange.test.ts',
  'examples/backtest/backtest.test.ts',
  'examples/backtest/reads-market-data.test.ts',
  'examples/gateway/service.test.ts',
  'examples/market-data/gap-free.test.ts',
  'examples/market-data/main.test.ts',
  'examples/market-data/tick-store.pg.test.ts',
  // PostgreSQL compiled to WASM (PGlite) in process: no child process, but seconds of start-up per
  // file, which would double the inner loop.
  'examples/market-data/service.test.ts',
  'examples/market-data/tick-store.test.ts',
  'examples/market-data/tick-retention.test.ts',
  'examples/minimal/service.test.ts',
  'examples/pipeline/**/*.test.ts',
  'examples/shared/crash-policy.test.ts',
  // A few minutes of the whole pipeline at a high tick rate, sampled (npm run soak).
  'examples/soak/soak.test.ts',
  'examples/shared/metrics-security.test.ts',
  // Starts node with and without the services' V8 flags.
  'examples/shared/node-flags.test.ts',
  'examples/shared/secure-metrics.test.ts',
  'examples/strategy-engine/main.test.ts',
  // Monitoring: promtool, amtool, Prometheus, Alertmanager, the native stack, docker compose.
  'monitoring/stack/cli.test.ts',
  'monitoring/test/alertmanager.test.ts',
  'monitoring/test/compose-secure.test.ts',
  'monitoring/test/compose.test.ts',
  'monitoring/test/live.test.ts',
  'monitoring/test/prometheus-config.test.ts',
  'monitoring/test/promtool-rules.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        // The inner loop (`npm run test:unit`): in-process tests only, no child process, no external
        // tool, no network beyond loopback servers the test creates itself. A new test file lands
        // here unless it is listed in `integration` below.
        extends: true,
        test: {
          name: 'unit',
          include,
          exclude: [...exclude, ...integration],
          // Worker threads, at least two, each file still in a fresh worker of its own. The default
          // (forks, cores − 1 workers) ran one file at a time on the 2-core machines: 41 s, most of it
          // starting a process and importing per file while tests waited on sockets and timers. Two
          // forked workers took 27 s, two threads 20 s (a thread starts faster than a process, and no
          // unit test needs a process of its own). `isolate: false` took 12 s but shares module state
          // between files, so a file could pass or fail by what ran before it: not taken.
          pool: 'threads',
          maxWorkers: Math.max(2, availableParallelism() - 1),
          // A project with its own worker count runs as its own group (Vitest requires it): the unit
          // files first, then integration and no-codegen together.
          sequence: { groupOrder: 0 },
          // Makes every node:child_process function that starts a process throw in these files.
          setupFiles: ['packages/test-kit/src/no-processes.ts'],
          typecheck: {
            enabled: true,
            include: ['packages/*/src/**/*.test-d.ts', 'packages/*/test/**/*.test-d.ts'],
            // The type tests and what they import (4 s of CPU), not the whole repository (12 s next to
            // the tests on 2 cores): `npm test` and `npm run typecheck` check everything.
            tsconfig: './tsconfig.test-d.json',
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: integration,
          exclude,
          sequence: { groupOrder: 1 },
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
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
