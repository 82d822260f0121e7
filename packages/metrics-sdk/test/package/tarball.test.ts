import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The published artifact, tested the way a user meets it: `npm pack`, install the tarball into a
// project outside the repository (so nothing resolves through the workspace), then import it from
// ESM and CommonJS and type-check consumer files against the shipped .d.ts/.d.cts.

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, '../..');
const repoRoot = resolve(pkgDir, '../..');
const tscBin = join(repoRoot, 'node_modules/typescript/bin/tsc');
// Vitest runs on the repo's pinned Node 24; the consumer scripts and tsc run on the same binary.
const node = process.execPath;

interface ExportTarget {
  readonly import: { readonly types: string; readonly default: string };
  readonly require: { readonly types: string; readonly default: string };
}
const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
  exports: Record<string, ExportTarget | string>;
  peerDependencies: Record<string, string>;
};
/** The entries of the exports map (`.`, `./otel`, …), each with its four files. */
const ENTRIES = Object.entries(manifest.exports).filter(
  (entry): entry is [string, ExportTarget] => typeof entry[1] !== 'string',
);
const DIST_FILES = ENTRIES.flatMap(([, t]) => [
  t.import.default,
  t.import.types,
  t.require.default,
  t.require.types,
]).map((f) => f.replace(/^\.\/dist\//, ''));
/** Packages that only the integration entries may load. */
const PEER = /^(@opentelemetry\/|prom-client$)/;

// A small catalog every consumer file declares, so the expected exposition below does not depend on
// the shipped catalogs' label choices.
const CATALOG_SOURCE = `const defs = {
  sent: counter('orders_sent_total', 'Orders sent.', { side: closed('buy', 'sell'), symbol: open({ budget: 2 }) }),
  ack: histogram('order_ack_ms', 'Ack latency.', { side: closed('buy', 'sell') }, { unit: 'ms', buckets: [1, 5] }),
  openOrders: gauge('orders_open', 'Open orders.', {}),
};`;

const RECORD_SOURCE = `const orders = new Orders();
const buys = orders.sent.bind({ side: 'buy', symbol: 'BTCUSDT' });
buys.inc();
buys.inc();
orders.sent.inc({ side: 'sell', symbol: 'ETHUSDT' });
const ack = orders.ack.bind({ side: 'buy' });
ack.observe(2);
ack.observe(10);
orders.openOrders.bind().set(3);
let labelError = null;
try {
  orders.sent.inc({ side: 'hold', symbol: 'BTCUSDT' });
} catch (error) {
  labelError = { isMetricLabelError: error instanceof MetricLabelError, metric: error.metric, label: error.label };
}
const md = new MarketDataMetrics();
md.received.bind({ exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' }).inc();
const text = new PrometheusWriter([orders, md]).renderText();`;

const EXPECTED_ORDERS_TEXT = `# HELP orders_sent_total Orders sent.
# TYPE orders_sent_total counter
orders_sent_total{side="buy",symbol="BTCUSDT"} 2
orders_sent_total{side="sell",symbol="ETHUSDT"} 1
# HELP order_ack_ms Ack latency.
# TYPE order_ack_ms histogram
order_ack_ms_bucket{side="buy",le="1"} 0
order_ack_ms_bucket{side="buy",le="5"} 1
order_ack_ms_bucket{side="buy",le="+Inf"} 2
order_ack_ms_sum{side="buy"} 12
order_ack_ms_count{side="buy"} 2
# HELP orders_open Open orders.
# TYPE orders_open gauge
orders_open 3
`;

const IMPORTS =
  'MarketDataMetrics, MetricLabelError, PrometheusWriter, catalog, closed, counter, gauge, histogram, open';

const ESM_CONSUMER = `import { ${IMPORTS} } from '@ttquant/metrics';
${CATALOG_SOURCE}
class Orders extends catalog(defs) {}
${RECORD_SOURCE}
console.log(JSON.stringify({ resolved: import.meta.resolve('@ttquant/metrics'), node: process.versions.node, text, labelError }));
`;

const CJS_CONSUMER = `'use strict';
const { ${IMPORTS} } = require('@ttquant/metrics');
${CATALOG_SOURCE}
class Orders extends catalog(defs) {}
${RECORD_SOURCE}
console.log(JSON.stringify({ resolved: require.resolve('@ttquant/metrics'), node: process.versions.node, text, labelError }));
`;

// Correct typed usage; compiled once as ESM (.mts → index.d.ts) and once as CJS (.cts → index.d.cts).
const TS_CONSUMER = `import {
  type CounterHandle,
  type InferLabels,
  MarketDataMetrics,
  marketDataDefinitions,
  PrometheusWriter,
  catalog,
  closed,
  counter,
  gauge,
  histogram,
  open,
} from '@ttquant/metrics';
${CATALOG_SOURCE}
class Orders extends catalog(defs) {}
const orders = new Orders();
const buys: CounterHandle = orders.sent.bind({ side: 'buy', symbol: 'BTCUSDT' });
buys.inc();
orders.ack.observe({ side: 'sell' }, 4);
orders.openOrders.bind().set(1);
type Received = InferLabels<typeof marketDataDefinitions.received>;
const labels: Received = { exchange: 'okx', symbol: 'ETHUSDT', type: 'book' };
const md = new MarketDataMetrics();
md.received.inc(labels);
export const body: string = new PrometheusWriter([orders, md]).renderText();
`;

interface BadCase {
  readonly code: string;
  readonly tsCode: string;
  /** Every string must appear in that diagnostic's text. */
  readonly mentions: readonly string[];
}

// A shipped catalog's label: tsc's related information then points into the package's declarations.
const KRAKEN: BadCase = {
  code: `md.received.inc({ exchange: 'kraken', symbol: 'BTCUSDT', type: 'trade' });`,
  tsCode: 'TS2322',
  mentions: [`'"kraken"'`, `property 'exchange'`],
};

// One statement per line; each must fail on its own line, and nothing else may fail.
const BAD_CASES: readonly BadCase[] = [
  {
    code: `orders.sent.inc({ side: 'hold', symbol: 'BTCUSDT' });`,
    tsCode: 'TS2322',
    mentions: [`'"hold"'`, `'"buy" | "sell"'`, `property 'side'`],
  },
  {
    code: `orders.ack.bind({ side: 'short' });`,
    tsCode: 'TS2322',
    mentions: [`'"short"'`, `property 'side'`],
  },
  KRAKEN,
  {
    code: `orders.sent.inc({ side: 'buy' });`,
    tsCode: 'TS2345',
    mentions: [`Property 'symbol' is missing`],
  },
  {
    code: `orders.ack.observe({ side: 'buy', venue: 'x' }, 1);`,
    tsCode: 'TS2353',
    mentions: [`'venue' does not exist`],
  },
];

const BAD_HEADER = `import { MarketDataMetrics, catalog, closed, counter, gauge, histogram, open } from '@ttquant/metrics';
${CATALOG_SOURCE}
class Orders extends catalog(defs) {}
const orders = new Orders();
const md = new MarketDataMetrics();
`;

function badSource(cases: readonly BadCase[]): { source: string; firstLine: number } {
  return { source: `${BAD_HEADER}${cases.map((c) => c.code).join('\n')}\n`, firstLine: BAD_HEADER.split('\n').length };
}

/** Environment for child npm/node: the pinned Node first on PATH, and no npm_* variables inherited
 * from a parent `npm test` (npm_config_prefix and friends would point npm back into the repo). */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith('npm_')) env[key] = value;
  }
  env.PATH = `${dirname(node)}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH ?? ''}`;
  env.NO_COLOR = '1';
  env.FORCE_COLOR = '0';
  return env;
}

function run(command: string, args: readonly string[], cwd: string, timeout = 90_000): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env: childEnv(), encoding: 'utf8', timeout });
  if (result.error) throw result.error;
  return result;
}

interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Like {@link run}, without blocking: the two type checks run side by side (each checks @types/node). */
function runAsync(command: string, args: readonly string[], cwd: string, timeout = 90_000): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}

function describeFailure(what: string, result: RunResult): string {
  return `${what} exited ${String(result.status)}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/**
 * A consumer's tsconfig options. skipLibCheck off: the shipped declaration files are checked too.
 * Node's types come from the repo (the consumer would have its own @types/node); the package's
 * render() returns a Buffer.
 */
function consumerCompilerOptions(): Record<string, unknown> {
  return {
    strict: true,
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    noEmit: true,
    skipLibCheck: false,
    types: ['node'],
    typeRoots: [join(repoRoot, 'node_modules/@types')],
  };
}

/** Newest modification time of the source files that go into the build (tests beside them do not). */
function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || /\.test(-d)?\.ts$/.test(entry.name)) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Root `npm test` builds first; a direct `vitest run` of this file rebuilds when dist is missing or
 * older than src, so it never tests a stale artifact. */
function ensureBuilt(): void {
  const dist = join(pkgDir, 'dist');
  const present = DIST_FILES.every((f) => existsSync(join(dist, f)));
  if (present && statSync(join(dist, 'index.js')).mtimeMs >= newestSourceMtime(join(pkgDir, 'src'))) return;
  const build = run('npm', ['run', 'build'], pkgDir);
  if (build.status !== 0) throw new Error(describeFailure('npm run build', build));
}

/** The specifiers a built file imports or requires (tsup's output: one statement per line). */
function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  return [
    ...[...code.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm)].map((m) => m[1] as string),
    ...[...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)].map((m) => m[1] as string),
    ...[...code.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] as string),
  ];
}

/** Every bare specifier reachable from one built entry file, following its relative imports (chunks). */
function reachableBareImports(entry: string): string[] {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else bare.add(specifier);
    }
  };
  visit(entry);
  return [...bare].sort();
}

interface LsNode {
  readonly version?: string;
  readonly dependencies?: Record<string, LsNode>;
}

/**
 * Names of every installed package in `npm ls --all --json` output, at any depth. An optional peer
 * that is not installed appears as an empty entry, with no version: it is not counted.
 */
function installedNames(tree: LsNode): string[] {
  const names: string[] = [];
  const walk = (deps: Record<string, LsNode> | undefined): void => {
    for (const [name, child] of Object.entries(deps ?? {})) {
      if (child.version !== undefined) names.push(name);
      walk(child.dependencies);
    }
  };
  walk(tree.dependencies);
  return names;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes from tsc --pretty
const ANSI = /\u001b\[[0-9;]*m/g;

interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly text: string;
}

/** Splits `tsc --pretty` output into diagnostics, each with its related information. */
function parseDiagnostics(output: string): Diagnostic[] {
  const clean = output.replace(ANSI, '');
  const head = /^(\S+?):(\d+):\d+ - error (TS\d+): /gm;
  const starts = [...clean.matchAll(head)];
  return starts.map((m, i) => ({
    file: m[1] as string,
    line: Number(m[2]),
    code: m[3] as string,
    text: clean.slice(m.index, starts[i + 1]?.index ?? clean.length),
  }));
}

let work = '';
let consumer = '';
let tarball = '';
let packedFiles: string[] = [];
let installMode = '';
let typecheckOk: Promise<RunResult>;
let typecheckBad: Promise<RunResult>;

beforeAll(() => {
  ensureBuilt();
  work = realpathSync(mkdtempSync(join(tmpdir(), 'ttquant-metrics-tarball-')));
  const pack = run('npm', ['pack', '--json', '--pack-destination', work], pkgDir);
  if (pack.status !== 0) throw new Error(describeFailure('npm pack', pack));
  const [info] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
  tarball = join(work, info.filename);
  packedFiles = info.files.map((f) => f.path).sort();

  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), '{ "name": "consumer", "private": true, "version": "0.0.0" }\n');
  // The npm cache already holds every dependency (the repo was installed from it); go online only
  // when it does not, e.g. after a dependency was added but the cache was cleared.
  const flags = ['--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'];
  let install = run('npm', ['install', '--offline', ...flags, tarball], consumer);
  installMode = 'offline';
  if (install.status !== 0) {
    install = run('npm', ['install', '--prefer-offline', ...flags, tarball], consumer);
    installMode = 'prefer-offline';
  }
  if (install.status !== 0) throw new Error(describeFailure('npm install <tarball>', install));
  console.info(`tarball consumer installed (${installMode}) in ${consumer}`);

  writeFileSync(join(consumer, 'esm.mjs'), ESM_CONSUMER);
  writeFileSync(join(consumer, 'cjs.cjs'), CJS_CONSUMER);
  writeFileSync(join(consumer, 'ok.mts'), TS_CONSUMER);
  writeFileSync(join(consumer, 'ok.cts'), TS_CONSUMER);
  writeFileSync(join(consumer, 'bad.mts'), badSource(BAD_CASES).source);
  writeFileSync(join(consumer, 'bad.cts'), badSource([KRAKEN]).source);
  const compilerOptions = consumerCompilerOptions();
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['ok.mts', 'ok.cts'] }));
  writeFileSync(
    join(consumer, 'tsconfig.bad.json'),
    JSON.stringify({ compilerOptions, files: ['bad.mts', 'bad.cts'] }),
  );
  typecheckOk = runAsync(node, [tscBin, '-p', 'tsconfig.json', '--pretty', 'false'], consumer);
  // Pretty output: only it prints the related "expected type comes from property 'side'" line.
  typecheckBad = runAsync(node, [tscBin, '-p', 'tsconfig.bad.json', '--pretty', 'true'], consumer);
}, 180_000);

afterAll(async () => {
  // Let running type checks finish before their directory goes away.
  await Promise.allSettled([typecheckOk, typecheckBad]);
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('packed tarball', { timeout: 120_000 }, () => {
  it('is installed outside the repository', () => {
    expect(relative(repoRoot, consumer).startsWith(`..${sep}`)).toBe(true);
    expect(existsSync(join(consumer, 'node_modules/@ttquant/metrics/package.json'))).toBe(true);
    // Installed from the tarball (a copy), not linked to the workspace.
    expect(realpathSync(join(consumer, 'node_modules/@ttquant/metrics')).startsWith(consumer)).toBe(true);
  });

  it('ships the builds, their declarations and the README, and nothing from src or test', () => {
    for (const f of DIST_FILES) expect(packedFiles).toContain(`dist/${f}`);
    expect(packedFiles).toContain('package.json');
    expect(packedFiles).toContain('README.md');
    const stray = packedFiles.filter(
      (f) => !f.startsWith('dist/') && !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/.test(f),
    );
    expect(stray).toEqual([]);
  });

  it('declares every package its builds import (no reliance on hoisting)', () => {
    const installed = join(consumer, 'node_modules/@ttquant/metrics');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    const built = readdirSync(join(installed, 'dist')).filter((f) => /\.c?js$/.test(f));
    const specifiers = built.flatMap((f) => importsOf(join(installed, 'dist', f)));
    // A bare specifier's package name: `@scope/name` or `name`, without a subpath.
    const packages = specifiers
      .filter((s) => !s.startsWith('.') && !isBuiltin(s))
      .map((s) =>
        s
          .split('/')
          .slice(0, s.startsWith('@') ? 2 : 1)
          .join('/'),
      );
    const undeclared = [...new Set(packages)].filter((name) => !declared.has(name)).sort();
    expect(undeclared).toEqual([]);
    // Built-ins keep their `node:` prefix (tsup strips it unless told not to).
    expect(specifiers.filter((s) => isBuiltin(s) && !s.startsWith('node:'))).toEqual([]);
  });

  it('has no runtime dependencies: the peers are optional, and the core entry loads only built-ins', () => {
    const installed = JSON.parse(
      readFileSync(join(consumer, 'node_modules/@ttquant/metrics/package.json'), 'utf8'),
    ) as { dependencies?: object; peerDependenciesMeta?: Record<string, { optional?: boolean }> };
    expect(installed.dependencies).toBeUndefined();
    for (const peer of Object.keys(manifest.peerDependencies)) {
      expect(installed.peerDependenciesMeta?.[peer]?.optional, peer).toBe(true);
    }
    for (const file of ['dist/index.js', 'dist/index.cjs']) {
      const bare = reachableBareImports(join(consumer, 'node_modules/@ttquant/metrics', file));
      expect(
        bare.filter((s) => !isBuiltin(s)),
        file,
      ).toEqual([]);
    }
  });

  it('installs no OpenTelemetry or prom-client package into an app without them (npm ls --all)', () => {
    const ls = run('npm', ['ls', '--all', '--json'], consumer);
    expect(ls.status, describeFailure('npm ls --all', ls)).toBe(0);
    const names = installedNames(JSON.parse(ls.stdout));
    expect(names).toContain('@ttquant/metrics');
    expect(names.filter((n) => PEER.test(n))).toEqual([]);
    expect(readdirSync(join(consumer, 'node_modules')).filter((n) => n !== '.package-lock.json')).toEqual(['@ttquant']);
  });

  it('bundles an app that uses counter, catalog and PrometheusWriter with no peer code', async () => {
    const { build } = await import('esbuild');
    writeFileSync(
      join(consumer, 'minimal-app.mjs'),
      `import { catalog, counter, PrometheusWriter } from '@ttquant/metrics';
class Orders extends catalog({ sent: counter('orders_sent_total', 'Orders sent.', {}) }) {}
const orders = new Orders();
orders.sent.bind({}).inc();
process.stdout.write(new PrometheusWriter([orders]).renderText());
`,
    );
    const result = await build({
      absWorkingDir: consumer,
      entryPoints: ['minimal-app.mjs'],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      metafile: true,
      write: true,
      outfile: 'minimal-app.bundle.mjs',
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes('node_modules/@ttquant/metrics/dist/'))).toBe(true);
    expect(inputs.filter((i) => /@opentelemetry|prom-client(?!\.)/.test(i) && !i.includes('@ttquant'))).toEqual([]);
    const bytes = statSync(join(consumer, 'minimal-app.bundle.mjs')).size;
    console.info(`bundle of counter + catalog + PrometheusWriter: ${bytes} bytes minified`);
    // The bundle runs and renders what it recorded.
    const ran = run(node, ['minimal-app.bundle.mjs'], consumer, 30_000);
    expect(ran.status, describeFailure('node minimal-app.bundle.mjs', ran)).toBe(0);
    expect(ran.stdout).toContain('orders_sent_total 1\n');
  });

  it('imports from an ES module, records and renders', () => {
    const result = run(node, ['esm.mjs'], consumer, 30_000);
    expect(result.status, describeFailure('node esm.mjs', result)).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.node).toBe(process.versions.node);
    expect(fileURLToPath(out.resolved)).toBe(join(consumer, 'node_modules/@ttquant/metrics/dist/index.js'));
    expect(out.text.slice(0, EXPECTED_ORDERS_TEXT.length)).toBe(EXPECTED_ORDERS_TEXT);
    expect(out.text).toContain('# TYPE market_data_received_total counter\n');
    expect(out.text).toContain('market_data_received_total{exchange="binance",symbol="BTCUSDT",type="trade"} 1\n');
    expect(out.labelError).toEqual({ isMetricLabelError: true, metric: 'orders_sent_total', label: 'side' });
  });

  it('requires from CommonJS, records and renders the same text', () => {
    const esm = JSON.parse(run(node, ['esm.mjs'], consumer, 30_000).stdout);
    const result = run(node, ['cjs.cjs'], consumer, 30_000);
    expect(result.status, describeFailure('node cjs.cjs', result)).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.resolved).toBe(join(consumer, 'node_modules/@ttquant/metrics/dist/index.cjs'));
    expect(out.text.slice(0, EXPECTED_ORDERS_TEXT.length)).toBe(EXPECTED_ORDERS_TEXT);
    expect(out.text).toBe(esm.text);
    expect(out.labelError).toEqual({ isMetricLabelError: true, metric: 'orders_sent_total', label: 'side' });
  });

  it('serves a shared catalog from a worker thread, finding the shipped worker script from ESM and CJS', () => {
    const app = (load: string) => `${load}
class Feed extends catalog({ c: counter('feed_total', 'Feed.', { v: closed('a') }) }) {}
(async () => {
  const feed = new Feed({ shared: { threads: 2 } });
  feed.c.bind({ v: 'a' }).add(3);
  const server = await serveMetricsFromWorker({ sources: [feed], service: 'feed', port: 0, runtimeMetrics: false });
  const text = await (await fetch(server.address.url + '/metrics')).text();
  await server.close();
  console.log(text.split('\\n').find((line) => line.startsWith('feed_total')));
})();
`;
    writeFileSync(
      join(consumer, 'worker-esm.mjs'),
      app("import { catalog, closed, counter, serveMetricsFromWorker } from '@ttquant/metrics';"),
    );
    writeFileSync(
      join(consumer, 'worker-cjs.cjs'),
      app("const { catalog, closed, counter, serveMetricsFromWorker } = require('@ttquant/metrics');"),
    );
    for (const file of ['worker-esm.mjs', 'worker-cjs.cjs']) {
      const result = run(node, [file], consumer, 30_000);
      expect(result.status, describeFailure(`node ${file}`, result)).toBe(0);
      expect(result.stdout.trim(), file).toBe('feed_total{v="a"} 3');
    }
  });

  it('type-checks correct usage from ESM and CJS consumers against the shipped declarations', async () => {
    const result = await typecheckOk;
    expect(result.status, describeFailure('tsc -p tsconfig.json', result)).toBe(0);
    expect(result.stdout).toBe('');
  });

  it('fails the type check on a wrong label, naming the label', async () => {
    const result = await typecheckBad;
    expect(result.status, describeFailure('tsc -p tsconfig.bad.json', result)).toBe(2);
    const diagnostics = parseDiagnostics(result.stdout);
    const { firstLine } = badSource(BAD_CASES);
    const expected = [
      ...BAD_CASES.map((c, i) => ({ file: 'bad.mts', line: firstLine + i, code: c.tsCode, mentions: c.mentions })),
      // The ESM consumer's types come from index.d.ts, the CJS consumer's from index.d.cts.
      { file: 'bad.cts', line: firstLine, code: KRAKEN.tsCode, mentions: [...KRAKEN.mentions, 'dist/index.d.cts:'] },
    ];
    const key = (d: { file: string; line: number }) => `${d.file}:${String(d.line).padStart(4, '0')}`;
    const byPosition = (a: { file: string; line: number }, b: { file: string; line: number }) =>
      key(a) < key(b) ? -1 : 1;
    expect(diagnostics.map(({ file, line, code }) => ({ file, line, code })).sort(byPosition)).toEqual(
      expected.map(({ file, line, code }) => ({ file, line, code })).sort(byPosition),
    );
    for (const want of expected) {
      const text = (diagnostics.find((d) => key(d) === key(want)) as Diagnostic).text;
      for (const mention of want.mentions) expect(text, text).toContain(mention);
    }
    const esmKraken = diagnostics.find((d) => d.text.includes('"kraken"') && d.file === 'bad.mts') as Diagnostic;
    expect(esmKraken.text).toContain('dist/index.d.ts:');
  });
});

// The integrations, as an app that owns its OpenTelemetry SDK and prom-client meets them: the same
// tarball, installed next to the peers at the versions this package is tested with.
const OTEL_APP = `import { MarketDataMetrics } from '@ttquant/metrics';
import { createMeterProvider } from '@ttquant/metrics/otel';
import { registerCatalogs } from '@ttquant/metrics/prom-client';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { Registry } from 'prom-client';

const md = new MarketDataMetrics();
md.received.bind({ exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' }).inc();
let exporter;
const provider = createMeterProvider({
  sources: [md],
  readers: [(metricProducers) => (exporter = new PrometheusExporter({ preventServerStart: true, metricProducers }))],
});
const { resourceMetrics, errors } = await exporter.collect();
const otel = new PrometheusSerializer().serialize(resourceMetrics);
await provider.shutdown();
const registry = new Registry();
registerCatalogs(registry, [md]);
const promClient = await registry.metrics();
console.log(JSON.stringify({ otel, errors: errors.length, promClient }));
`;

const OTEL_APP_CJS = `'use strict';
const { MarketDataMetrics } = require('@ttquant/metrics');
const { CatalogMetricProducer } = require('@ttquant/metrics/otel');
const { registerCatalogs } = require('@ttquant/metrics/prom-client');
const { Registry } = require('prom-client');
(async () => {
  const md = new MarketDataMetrics();
  md.received.bind({ exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' }).inc();
  const { resourceMetrics, errors } = await new CatalogMetricProducer([md]).collect();
  const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
  const registry = new Registry();
  registerCatalogs(registry, [md]);
  console.log(JSON.stringify({ names, errors: errors.length, promClient: await registry.metrics() }));
})();
`;

const OTEL_TYPED = `import { MarketDataMetrics } from '@ttquant/metrics';
import { CatalogMetricProducer, type CatalogMetricProducerOptions, createMeterProvider } from '@ttquant/metrics/otel';
import { registerCatalogs } from '@ttquant/metrics/prom-client';
import { PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
const md = new MarketDataMetrics();
const options: CatalogMetricProducerOptions = { units: 'declared' };
export const producer = new CatalogMetricProducer([md], options);
export const provider = createMeterProvider({
  sources: [md],
  readers: [(metricProducers) => new PeriodicExportingMetricReader({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    metricProducers,
  })],
});
registerCatalogs(new Registry(), [md]);
`;

const RECEIVED_LINE = 'market_data_received_total{exchange="binance",symbol="BTCUSDT",type="trade"} 1';

describe('with the peers installed', { timeout: 120_000 }, () => {
  let app = '';
  let typecheck: Promise<RunResult>;

  beforeAll(() => {
    app = join(work, 'app-with-peers');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      '{ "name": "app-with-peers", "private": true, "version": "0.0.0", "type": "module" }\n',
    );
    const peers = [
      '@opentelemetry/api@1.10.0',
      '@opentelemetry/sdk-metrics@3.1.0',
      '@opentelemetry/exporter-prometheus@0.301.0',
      'prom-client@15.1.3',
    ];
    const flags = ['--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'];
    let install = run('npm', ['install', `--${installMode}`, ...flags, tarball, ...peers], app);
    if (install.status !== 0) install = run('npm', ['install', '--prefer-offline', ...flags, tarball, ...peers], app);
    if (install.status !== 0) throw new Error(describeFailure('npm install <tarball> <peers>', install));
    writeFileSync(join(app, 'otel.mjs'), OTEL_APP);
    writeFileSync(join(app, 'otel.cjs'), OTEL_APP_CJS);
    writeFileSync(join(app, 'typed.mts'), OTEL_TYPED);
    writeFileSync(join(app, 'typed.cts'), OTEL_TYPED);
    const compilerOptions = consumerCompilerOptions();
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['typed.mts', 'typed.cts'] }));
    typecheck = runAsync(node, [tscBin, '-p', 'tsconfig.json', '--pretty', 'false'], app);
  }, 180_000);

  afterAll(async () => {
    await typecheck?.catch(() => undefined);
  });

  it('has exactly one copy of sdk-metrics in the tree', () => {
    const ls = run('npm', ['ls', '--all', '--parseable', '@opentelemetry/sdk-metrics'], app);
    expect(ls.status, describeFailure('npm ls @opentelemetry/sdk-metrics', ls)).toBe(0);
    const copies = ls.stdout
      .split('\n')
      .filter((line) => line.endsWith(`node_modules${sep}@opentelemetry${sep}sdk-metrics`));
    expect(copies).toEqual([join(app, 'node_modules/@opentelemetry/sdk-metrics')]);
    expect(existsSync(join(app, 'node_modules/@ttquant/metrics/node_modules'))).toBe(false);
  });

  it('exports the catalogs through the OTel Prometheus exporter and a prom-client Registry (ESM)', () => {
    const result = run(node, ['otel.mjs'], app, 30_000);
    expect(result.status, describeFailure('node otel.mjs', result)).toBe(0);
    const out = JSON.parse(result.stdout) as { otel: string; errors: number; promClient: string };
    expect(out.errors).toBe(0);
    // The OTel serializer adds its scope labels after ours.
    expect(out.otel).toMatch(
      /^market_data_received_total\{exchange="binance",symbol="BTCUSDT",type="trade",otel_scope_name="@ttquant\/metrics",[^}]*\} 1$/m,
    );
    expect(out.promClient).toContain(`${RECEIVED_LINE}\n`);
  });

  it('requires the integration entries from CommonJS', () => {
    const result = run(node, ['otel.cjs'], app, 30_000);
    expect(result.status, describeFailure('node otel.cjs', result)).toBe(0);
    const out = JSON.parse(result.stdout) as { names: string[]; errors: number; promClient: string };
    expect(out.errors).toBe(0);
    expect(out.names).toContain('market_data_received_total');
    expect(out.promClient).toContain(`${RECEIVED_LINE}\n`);
  });

  it('type-checks an app using the three entries, from ESM and CJS', async () => {
    const result = await typecheck;
    expect(result.status, describeFailure('tsc -p tsconfig.json', result)).toBe(0);
  });

  it('bundles the minimal app with no peer code even where the peers are installed, smaller than the whole package', async () => {
    const { build } = await import('esbuild');
    writeFileSync(
      join(app, 'whole.mjs'),
      `export * from '@ttquant/metrics';
export * as otel from '@ttquant/metrics/otel';
export * as promClient from '@ttquant/metrics/prom-client';
`,
    );
    await build({
      absWorkingDir: app,
      entryPoints: ['whole.mjs'],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      // The peers stay the app's: what is measured is this package.
      external: ['@opentelemetry/*', 'prom-client'],
      outfile: 'whole.bundle.mjs',
      logLevel: 'silent',
    });
    const whole = statSync(join(app, 'whole.bundle.mjs')).size;
    console.info(`bundle of every export of the three entries (peers external): ${whole} bytes minified`);
    // The minimal app again, here where the peers are installed and nothing is external: tree
    // shaking alone must keep every OpenTelemetry and prom-client module out.
    writeFileSync(join(app, 'minimal-app.mjs'), readFileSync(join(consumer, 'minimal-app.mjs')));
    const minimal = await build({
      absWorkingDir: app,
      entryPoints: ['minimal-app.mjs'],
      bundle: true,
      minify: true,
      platform: 'node',
      format: 'esm',
      metafile: true,
      outfile: 'minimal-app.bundle.mjs',
      logLevel: 'silent',
    });
    const inputs = Object.keys(minimal.metafile.inputs);
    expect(inputs.some((i) => i.includes('node_modules/@ttquant/metrics/dist/'))).toBe(true);
    expect(
      inputs.filter((i) => i.includes('node_modules/@opentelemetry/') || i.includes('node_modules/prom-client/')),
    ).toEqual([]);
    expect(statSync(join(app, 'minimal-app.bundle.mjs')).size).toBeLessThan(whole);
  });
});
