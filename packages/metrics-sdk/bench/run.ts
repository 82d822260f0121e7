// `npm run bench`: runs every bench/*.bench.ts in its own Node process with --expose-gc (so one
// suite's JIT state and heap never colour another's), collects their JSON results, type-checks the
// catalogs with `tsc --extendedDiagnostics`, checks the targets of the SDK issue, prints the report
// and writes docs/benchmarks.md.
//
//   npx tsx bench/run.ts                 full run, writes docs/benchmarks.md
//   npx tsx bench/run.ts --quick         short smoke run, prints only (add --write to write)
//   npx tsx bench/run.ts hot scrape      only these suites (prints only unless --write)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatValue, type Group, renderSuite, type SuiteResult, systemInfo } from './harness.js';
import { versionOf } from './peers.js';
import { scrapeLoadSuite } from './scrape-load.js';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const packageDir = resolve(benchDir, '..');
const repoRoot = resolve(packageDir, '../..');
const docPath = join(repoRoot, 'docs', 'benchmarks.md');

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const selected = argv.filter((a) => !a.startsWith('--'));
const write = argv.includes('--write') || (!quick && selected.length === 0 && !argv.includes('--no-write'));

// Known suites first, in this order; any other *.bench.ts (ledger.bench.ts) runs after them.
const ORDER = ['hot', 'alloc', 'scrape', 'bridge', 'runtime'];
const discovered = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length));
const suites = [
  ...ORDER.filter((s) => discovered.includes(s)),
  ...discovered.filter((s) => !ORDER.includes(s)).sort(),
].filter((s) => selected.length === 0 || selected.includes(s));

// ---------------------------------------------------------------- run the suites

const outDir = mkdtempSync(join(os.tmpdir(), 'metrics-bench-'));
const results: SuiteResult[] = [];
// Suites that print their own report instead of writing the harness JSON: kept verbatim.
const rawOutputs: { readonly suite: string; readonly text: string }[] = [];
const failures: string[] = [];
try {
  for (const suite of suites) {
    const out = join(outDir, `${suite}.json`);
    process.stderr.write(`\n▶ ${suite}.bench.ts${quick ? ' --quick' : ''}\n`);
    const started = performance.now();
    // The Node that runs this script (Node 24 under npx/npm), with tsx as an ESM loader.
    const child = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        '--import',
        'tsx',
        join(benchDir, `${suite}.bench.ts`),
        '--out',
        out,
        ...(quick ? ['--quick'] : []),
      ],
      { cwd: packageDir, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    if (child.status !== 0) {
      failures.push(`${suite}: exit ${child.status ?? child.signal}`);
      process.stderr.write(`✖ ${suite} failed (${child.status ?? child.signal}) after ${seconds} s\n`);
      continue;
    }
    if (existsSync(out)) results.push(JSON.parse(readFileSync(out, 'utf8')) as SuiteResult);
    else rawOutputs.push({ suite, text: child.stdout.trim() });
    process.stderr.write(`✔ ${suite} (${seconds} s)\n`);
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}

// scrape-load spawns its own target processes (no --expose-gc), so it runs in this process.
if (selected.length === 0 || selected.includes('scrape-load')) {
  process.stderr.write(`\n▶ scrape-load.ts${quick ? ' --quick' : ''}\n`);
  const started = performance.now();
  try {
    results.push(await scrapeLoadSuite({ quick }));
    process.stderr.write(`✔ scrape-load (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  } catch (error) {
    failures.push(`scrape-load: ${error instanceof Error ? error.message : String(error)}`);
    process.stderr.write(`✖ scrape-load failed: ${String(error)}\n`);
  }
}

// ---------------------------------------------------------------- type-check cost of the catalogs

interface TscStats {
  readonly label: string;
  readonly files: string[];
  readonly stats: Record<string, string>;
}

const TSC_KEYS = [
  'Files',
  'Lines of TypeScript',
  'Identifiers',
  'Types',
  'Instantiations',
  'Memory used',
  'Check time',
  'Total time',
];

function typecheck(label: string, files: string[]): TscStats {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // The root tsconfig's compiler options, given on the command line so only these files are checked.
  const options = [
    '--noEmit',
    '--extendedDiagnostics',
    '--strict',
    '--target',
    'ES2023',
    '--lib',
    'ES2023',
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
    '--skipLibCheck',
    '--types',
    'node',
    '--noImplicitOverride',
    '--isolatedModules',
    '--esModuleInterop',
  ];
  const child = spawnSync(process.execPath, [tsc, ...options, ...files], { cwd: packageDir, encoding: 'utf8' });
  const stats: Record<string, string> = {};
  for (const line of child.stdout.split('\n')) {
    const m = /^([A-Za-z ]+):\s+(.+)$/.exec(line.trim());
    if (m && TSC_KEYS.includes(m[1] as string)) stats[m[1] as string] = (m[2] as string).trim();
  }
  if (child.status !== 0) stats.error = `tsc exit ${child.status}: ${child.stdout.split('\n')[0] ?? ''}`;
  return { label, files: files.map((f) => relative(packageDir, resolve(packageDir, f))), stats };
}

let tscRuns: TscStats[] = [];
if (selected.length === 0 || selected.includes('typecheck')) {
  process.stderr.write('\n▶ tsc --extendedDiagnostics on the catalogs\n');
  const emptyDir = mkdtempSync(join(os.tmpdir(), 'metrics-tsc-'));
  const empty = join(emptyDir, 'empty.ts');
  writeFileSync(empty, 'export {};\n');
  try {
    tscRuns = [
      typecheck('empty program (lib + @types/node baseline)', [empty]),
      typecheck(
        'the four catalogs (and the define/ + storage/ code they import)',
        ['market-data', 'gateway', 'strategy', 'engine'].map((c) => `src/catalogs/${c}.ts`),
      ),
    ];
  } finally {
    rmSync(emptyDir, { recursive: true, force: true });
  }
  if (tscRuns.some((r) => r.stats.error !== undefined)) failures.push('typecheck: tsc reported errors');
}

function renderTypecheck(runs: readonly TscStats[]): string {
  if (runs.length === 0) return '';
  const keys = TSC_KEYS.filter((k) => runs.some((r) => r.stats[k] !== undefined));
  const lines = [
    '### typecheck: `tsc --extendedDiagnostics` on the catalogs',
    '',
    `| program | ${keys.join(' | ')} |`,
    `| --- | ${keys.map(() => '---').join(' | ')} |`,
  ];
  for (const r of runs) lines.push(`| ${r.label} | ${keys.map((k) => r.stats[k] ?? '').join(' | ')} |`);
  const base = Number(runs[0]?.stats.Instantiations?.replace(/\D/g, ''));
  const cats = Number(runs[1]?.stats.Instantiations?.replace(/\D/g, ''));
  if (Number.isFinite(base) && Number.isFinite(cats)) {
    lines.push(
      '',
      `The catalogs add ${(cats - base).toLocaleString('en-US')} type instantiations over an empty program.`,
    );
  }
  for (const r of runs) if (r.stats.error) lines.push('', `**${r.label}: ${r.stats.error}**`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- targets (SDK issue, "Speed and memory")

interface Verdict {
  readonly target: string;
  readonly measured: string;
  readonly ok: boolean;
}

function group(suite: string, titleStart: string): Group | undefined {
  const r = results.find((s) => s.suite.startsWith(suite));
  return r?.groups.find((g) => g.title.startsWith(titleStart));
}

function value(g: Group | undefined, id: string): number | undefined {
  return g?.rows.find((r) => r.id === id)?.value;
}

function times(x: number): string {
  return `${x < 10 ? x.toFixed(2) : x.toFixed(1)}×`;
}

const verdicts: Verdict[] = [];
for (const kind of ['counter', 'gauge', 'histogram']) {
  const hot = group('hot', kind);
  const bound = value(hot, 'ours.bound');
  const raw = value(hot, 'raw');
  const rawHandle = value(hot, 'raw.handle');
  if (bound !== undefined && raw !== undefined) {
    const viaObject = rawHandle === undefined ? '' : ` (${times(bound / rawHandle)} the floor via a per-series object)`;
    verdicts.push({
      target: `bound ${kind} ≤ 2× raw floor`,
      measured: `${formatValue(bound, 'ns')} vs ${formatValue(raw, 'ns')} = ${times(bound / raw)}${viaObject}`,
      ok: bound <= 2 * raw,
    });
  }
}
for (const kind of ['counter', 'gauge', 'histogram']) {
  const hot = group('hot', kind);
  const shared = value(hot, 'ours.shared');
  const bound = value(hot, 'ours.bound');
  if (shared !== undefined && bound !== undefined) {
    verdicts.push({
      target: `bound ${kind} in a shared catalog ≤ 1.2× unshared`,
      measured: `${formatValue(shared, 'ns')} vs ${formatValue(bound, 'ns')} = ${times(shared / bound)}`,
      ok: shared <= 1.2 * bound,
    });
  }
}
{
  const hot = group('hot', 'histogram');
  const native = value(hot, 'ours.native');
  const classic = value(hot, 'ours.bound');
  const otelExponential = value(hot, 'otel.exponential');
  if (native !== undefined && classic !== undefined) {
    verdicts.push({
      target: 'bound native + classic histogram ≤ 2× bound classic',
      measured: `${formatValue(native, 'ns')} vs ${formatValue(classic, 'ns')} = ${times(native / classic)}`,
      ok: native <= 2 * classic,
    });
  }
  if (native !== undefined && otelExponential !== undefined) {
    verdicts.push({
      target: 'bound native histogram ≥ 30× faster than OTel’s exponential histogram',
      measured: `${formatValue(native, 'ns')} vs ${formatValue(otelExponential, 'ns')} = ${times(otelExponential / native)}`,
      ok: otelExponential >= 30 * native,
    });
  }
}
{
  const native = value(group('alloc', 'histogram'), 'ours.native');
  if (native !== undefined) {
    verdicts.push({
      target: 'bound native + classic histogram: 0 B/op',
      measured: `${native.toFixed(3)} B/op`,
      ok: native < 1,
    });
  }
}
for (const kind of ['counter', 'gauge', 'histogram']) {
  const alloc = group('alloc', kind);
  const bound = value(alloc, 'ours.bound');
  if (bound !== undefined) {
    verdicts.push({
      target: `bound ${kind}: 0 B/op`,
      measured: `${bound.toFixed(3)} B/op`,
      // Below one byte per call no call allocates (the smallest V8 object is 8 bytes); the rest is noise.
      ok: bound < 1,
    });
  }
}
for (const kind of ['counter', 'gauge', 'histogram']) {
  const hot = group('hot', kind);
  const unbound = value(hot, 'ours.unbound');
  const prom = value(hot, 'prom.labelled');
  if (unbound !== undefined && prom !== undefined) {
    verdicts.push({
      target: `unbound ${kind} ≥ 5× faster than prom-client labelled`,
      measured: `${formatValue(unbound, 'ns')} vs ${formatValue(prom, 'ns')} = ${times(prom / unbound)}`,
      ok: prom / unbound >= 5,
    });
  }
}
for (const size of ['10k', '100k']) {
  const scrape = group('scrape', `scrape time, ${size} `);
  const ours = value(scrape, 'ours');
  const prom = value(scrape, 'prom');
  const otel = value(scrape, 'otel');
  if (ours !== undefined && prom !== undefined) {
    verdicts.push({
      target: `scrape ${size} ≥ 20× faster than prom-client`,
      measured: `${formatValue(ours, 'ms')} vs ${formatValue(prom, 'ms')} = ${times(prom / ours)}`,
      ok: prom / ours >= 20,
    });
  }
  if (ours !== undefined && otel !== undefined) {
    verdicts.push({
      target: `scrape ${size} ≥ 40× faster than the OTel exporter`,
      measured: `${formatValue(ours, 'ms')} vs ${formatValue(otel, 'ms')} = ${times(otel / ours)}`,
      ok: otel / ours >= 40,
    });
  }
}
{
  const mem = group('scrape', 'peak memory of one scrape, 100k');
  const ours = value(mem, 'ours');
  const prom = value(mem, 'prom');
  if (ours !== undefined && prom !== undefined) {
    verdicts.push({
      target: 'peak memory of a 100k scrape < ¼ of prom-client’s',
      measured: `${formatValue(ours, 'MB')} vs ${formatValue(prom, 'MB')} = ${(ours / prom).toFixed(3)} of it`,
      ok: ours < prom / 4,
    });
  }
}
{
  const bridge = group('bridge', 'collect');
  const ours = value(bridge, 'ours');
  if (ours !== undefined) {
    verdicts.push({
      target: 'OTel producer collect ≤ 1 µs/series',
      measured: formatValue(ours, 'µs/series'),
      ok: ours <= 1,
    });
  }
}

{
  // The runtime metrics are collected on every scrape: their cost must not exceed the library they replace.
  const runtime = group('runtime', 'one collection');
  const ours = value(runtime, 'ours');
  const prom = value(runtime, 'prom');
  if (ours !== undefined && prom !== undefined) {
    verdicts.push({
      target: 'runtime metrics collection + render cheaper than prom-client’s collectDefaultMetrics',
      measured: `${formatValue(ours, 'µs')} vs ${formatValue(prom, 'µs')} = ${times(prom / ours)}`,
      ok: ours < prom,
    });
  }
}

{
  // offthread: the recording thread while a client scrapes, per registry size.
  const suite = results.find((r) => r.suite.startsWith('offthread'));
  for (const g of suite?.groups.filter((x) => x.title.startsWith('event-loop delay')) ?? []) {
    const size = /scrapes (\S+) series/.exec(g.title)?.[1] ?? '?';
    const row = (id: string) => g.rows.find((r) => r.id === id);
    const worker = row('ours.worker');
    const idle = row('idle');
    const inThread = row('ours.thread');
    if (worker === undefined || idle === undefined || inThread === undefined) continue;
    verdicts.push({
      target: `${size} series scraped: recording-thread stall with the server in a worker ≤ 1 ms`,
      measured: `max ${formatValue(worker.value, 'ms')} (p99.9 ${formatValue(worker.extra?.['p999'] ?? 0, 'ms')}); the thread alone, no scrapes: max ${formatValue(idle.value, 'ms')}; server on the thread: ${formatValue(inThread.value, 'ms')}`,
      ok: worker.value <= 1,
    });
    const cpu = (r: typeof worker) => r.extra?.['cpu'] ?? 0;
    verdicts.push({
      target: `${size} series scraped: the recording thread does no exposition work with the server in a worker (its CPU within 1.5× of recording alone)`,
      measured: `${cpu(worker).toFixed(1)} ms/s vs ${cpu(idle).toFixed(1)} ms/s alone, ${cpu(inThread).toFixed(1)} ms/s with the server on it`,
      ok: cpu(worker) <= 1.5 * cpu(idle),
    });
  }
}
{
  // cluster: the primary's scrape of 4 workers × 10k series against prom-client's aggregator.
  const g = group('cluster', 'scrape of the primary');
  const ours = g?.rows.find((r) => r.id === 'ours');
  const prom = g?.rows.find((r) => r.id === 'prom');
  if (ours !== undefined && prom !== undefined) {
    const cpu = (r: typeof ours) => r.extra?.['cpu'] ?? Number.NaN;
    verdicts.push({
      target:
        'cluster, 4 processes × 10k series: scrape of the primary ≥ 20× faster than prom-client’s AggregatorRegistry',
      measured: `${formatValue(ours.value, 'ms')} vs ${formatValue(prom.value, 'ms')} = ${times(prom.value / ours.value)}`,
      ok: prom.value / ours.value >= 20,
    });
    verdicts.push({
      target: 'cluster, 4 processes × 10k series: primary CPU per scrape ≥ 20× less than prom-client’s',
      measured: `${formatValue(cpu(ours), 'ms')} vs ${formatValue(cpu(prom), 'ms')} = ${times(cpu(prom) / cpu(ours))}`,
      ok: cpu(prom) / cpu(ours) >= 20,
    });
  }
}
{
  const ours = group('scrape-load', 'scrape latency')?.rows.find((r) => r.id === 'ours');
  if (ours?.extra !== undefined) {
    const { errors = 0, timeouts = 0, non2xx = 0, scrapes = 0 } = ours.extra;
    verdicts.push({
      target: '50 concurrent scrapers on 10k series: 0 errors, 0 timeouts (10 s), 0 non-2xx',
      measured: `${errors} errors, ${timeouts} timeouts, ${non2xx} non-2xx over ${scrapes} scrapes`,
      ok: errors + timeouts + non2xx === 0,
    });
  }
}

function renderVerdicts(list: readonly Verdict[]): string {
  if (list.length === 0) return '';
  const lines = ['### targets', '', '| target | measured | |', '| --- | --- | --- |'];
  for (const v of list) lines.push(`| ${v.target} | ${v.measured} | ${v.ok ? 'met' : '**MISSED**'} |`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- report

const info = systemInfo();
const versions = {
  mitata: versionOf('mitata'),
  'prom-client': versionOf('prom-client'),
  '@opentelemetry/sdk-metrics': versionOf('@opentelemetry/sdk-metrics'),
  '@opentelemetry/exporter-prometheus': versionOf('@opentelemetry/exporter-prometheus'),
  typescript: versionOf('typescript'),
};

const report = [
  '# Benchmarks',
  '',
  '<!-- Generated by packages/metrics-sdk/bench/run.ts (`npm run bench -w @ttquant/metrics`); do not edit. -->',
  '',
  `Run: ${quick ? '**quick smoke run** (few samples, not for comparison)' : 'full'}, ${info.date}. ` +
    `Node ${info.node} (V8 ${info.v8}), ${info.cpu}, ${info.cores} cores, ${info.memory}, ${info.platform}.`,
  '',
  `Peers: ${Object.entries(versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}.`,
  '',
  'Each suite runs in its own process with `--expose-gc`. Ratios are the point: absolute numbers move with the ' +
    'machine and its load. "× floor" = row ÷ the raw Float64Array floor; "X ÷ this" = how many times faster ' +
    '(or smaller) this row is than X.',
  '',
  renderVerdicts(verdicts),
  '',
  ...results.map(renderSuite),
  ...rawOutputs.map((r) => `### ${r.suite} (its own output; not on the shared harness yet)\n\n${r.text}\n`),
  renderTypecheck(tscRuns),
  '',
  ...(failures.length > 0 ? ['### failures', '', ...failures.map((f) => `- ${f}`), ''] : []),
].join('\n');

process.stdout.write(`\n${report}\n`);
if (write) {
  writeFileSync(docPath, `${report.replace(/\n{3,}/g, '\n\n').trimEnd()}\n`);
  process.stderr.write(`wrote ${relative(process.cwd(), docPath)}\n`);
}
if (failures.length > 0) process.exitCode = 1;
