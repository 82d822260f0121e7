// The one harness every suite uses: timing through mitata's `measure`, allocation and peak-heap
// measurement through V8's GC profiler, a JSON result format that bench/run.ts collects, and the
// table printer shared by a standalone run and the report.

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import { do_not_optimize, measure } from 'mitata';

export { do_not_optimize };

// ---------------------------------------------------------------- result format

/** One measured implementation in a group. */
export interface Row {
  /** Stable key that ratio columns and targets refer to (`ours.bound`, `prom.labelled`, `raw`). */
  readonly id: string;
  /** What the reader sees in the table. */
  readonly label: string;
  /** The headline number, in the group's unit (a median for timings). */
  readonly value: number;
  readonly p75?: number;
  readonly p99?: number;
  /** Extra numeric columns, keyed by the group's `extras`. */
  readonly extra?: Readonly<Record<string, number>>;
}

/** A ratio column: `ref.value / row.value` ("how many times faster/smaller than ref"). */
export interface RefColumn {
  readonly id: string;
  readonly label: string;
}

/** One table: rows measured the same way, in one unit. */
export interface Group {
  readonly title: string;
  readonly unit: string;
  /** What `value` is: `'median'` (default) or `'mean'`. */
  readonly stat?: string;
  /** Row id of the floor: adds a `× floor` column (`row.value / floor.value`). */
  readonly floor?: string;
  readonly refs: readonly RefColumn[];
  readonly extras?: readonly { readonly key: string; readonly label: string }[];
  readonly rows: readonly Row[];
}

/** Everything one `*.bench.ts` process reports. */
export interface SuiteResult {
  readonly suite: string;
  readonly quick: boolean;
  readonly groups: readonly Group[];
  /** How the numbers were taken; printed under the tables. */
  readonly notes: readonly string[];
}

// ---------------------------------------------------------------- command line

/** Flags every suite understands: `--quick` (short smoke run) and `--out <file>` (JSON for run.ts). */
export interface SuiteArgs {
  readonly quick: boolean;
  readonly out: string | undefined;
}

export function suiteArgs(argv: readonly string[] = process.argv.slice(2)): SuiteArgs {
  const at = argv.indexOf('--out');
  return { quick: argv.includes('--quick'), out: at >= 0 ? argv[at + 1] : undefined };
}

/** `global.gc`, or exit: allocation and heap numbers are meaningless without a forced collection. */
export function requireGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    process.stderr.write('run with --expose-gc (npx tsx bench/run.ts does this for every suite)\n');
    process.exit(2);
  }
  return gc;
}

/** Progress goes to stderr so stdout stays the table. */
export function progress(text: string): void {
  process.stderr.write(`  ${text}\n`);
}

// ---------------------------------------------------------------- timing (mitata)

export interface TimeOptions {
  /** Operations one call of `fn` performs; results are per operation. */
  readonly ops?: number;
  readonly quick: boolean;
  /** For slow (ms–s) functions: fewer samples, a full GC between samples. */
  readonly slow?: boolean;
  /** Override the sample count of a slow measurement. */
  readonly samples?: number;
}

export interface Timing {
  /** Median, per operation, in ns. */
  readonly p50: number;
  /** Mean of the samples (mitata trims the 2 fastest and 2 slowest), per operation, in ns. */
  readonly avg: number;
  readonly p75: number;
  readonly p99: number;
  /** Every sample kept by mitata, per operation, in ns (for pooling samples across rounds). */
  readonly raw: readonly number[];
}

/**
 * Times `fn` with mitata. Fast functions are batched by mitata (4,096 calls per sample) and each call
 * should loop over all label sets (`ops` operations), which both amortises the call and rotates the
 * labels so nothing is constant-folded. Slow functions (a scrape) get one call per sample and a GC
 * before each sample, so one sample's garbage is not collected on the next one's clock: this favours
 * the allocating peers, i.e. our ratios against them are conservative.
 */
export async function time(fn: () => unknown, options: TimeOptions): Promise<Timing> {
  const ops = options.ops ?? 1;
  const stats = options.slow
    ? await measure(fn, {
        min_samples: options.samples ?? (options.quick ? 3 : 7),
        min_cpu_time: 0,
        inner_gc: true,
        warmup_samples: 1,
      })
    : await measure(fn, { min_cpu_time: options.quick ? 40e6 : 250e6 });
  return {
    p50: stats.p50 / ops,
    avg: stats.avg / ops,
    p75: stats.p75 / ops,
    p99: stats.p99 / ops,
    raw: stats.samples.map((x) => x / ops),
  };
}

// ---------------------------------------------------------------- allocation

function heapUsed(): number {
  return v8.getHeapStatistics().used_heap_size;
}

/** Calls per run and runs per measurement of {@link allocPerOp}. */
export function allocRuns(quick: boolean): { readonly calls: number; readonly reps: number } {
  return quick ? { calls: 2_000, reps: 3 } : { calls: 10_000, reps: 5 };
}

/**
 * Bytes allocated per operation, counted across garbage collections.
 *
 * Why not a plain heapUsed delta, or mitata's heap counter: a delta over a long loop goes down
 * whenever a scavenge runs inside it, and mitata drops every sample whose delta is negative, which
 * biases allocating code towards 0. Here V8's GCProfiler reports each collection's before/after heap
 * synchronously, so `allocated = (end − start) + Σ(before − after)` holds however many collections
 * ran. `fn` is warmed up first so the optimizing compiler has run (an interpreted call boxes
 * doubles that optimized code keeps unboxed), and the median of `reps` runs is returned.
 */
export function allocPerOp(
  fn: () => void,
  options: { readonly ops: number; readonly quick: boolean },
): { readonly bytesPerOp: number; readonly collections: number } {
  const gc = requireGc();
  const { calls, reps } = allocRuns(options.quick);
  for (let i = 0; i < calls; i++) fn();
  const perOp: number[] = [];
  let collections = 0;
  for (let r = 0; r < reps; r++) {
    gc();
    gc();
    const profiler = new v8.GCProfiler();
    profiler.start();
    const before = heapUsed();
    for (let i = 0; i < calls; i++) fn();
    const after = heapUsed();
    const stats = profiler.stop();
    let reclaimed = 0;
    for (const event of stats?.statistics ?? []) {
      reclaimed += event.beforeGC.heapStatistics.usedHeapSize - event.afterGC.heapStatistics.usedHeapSize;
    }
    collections += stats?.statistics.length ?? 0;
    perOp.push((after - before + reclaimed) / (calls * options.ops));
  }
  return { bytesPerOp: median(perOp), collections: collections / reps };
}

// ---------------------------------------------------------------- peak memory

/** V8 heap in use plus ArrayBuffer memory (our writer's output buffer lives outside the V8 heap). */
export function memoryInUse(): { readonly heap: number; readonly arrayBuffers: number } {
  return { heap: heapUsed(), arrayBuffers: process.memoryUsage().arrayBuffers };
}

/**
 * Peak memory above the current level while `fn` runs, in bytes. `fn`'s result is kept alive until
 * the end, as a server holds the body until it is written.
 *
 * Method: force a full GC, take the baseline, then run `fn` under V8's GCProfiler. The V8 heap peaks
 * either right before a collection (every collection reports its `before` size) or at the end, so
 * `peak heap = max(before of every GC, end) − baseline`. ArrayBuffer memory (Buffers) is outside the
 * V8 heap and the profiler does not see it; it is read at the end, which is its peak unless a GC
 * inside `fn` freed an earlier buffer (only our writer's first, buffer-growing render can do that,
 * and that row is labelled).
 */
export async function peakDuring(fn: () => unknown): Promise<number> {
  const gc = requireGc();
  gc();
  gc();
  const base = memoryInUse();
  const profiler = new v8.GCProfiler();
  profiler.start();
  held.value = await fn();
  const end = memoryInUse();
  const stats = profiler.stop();
  // Released here, not left in a global (mitata's do_not_optimize would keep it alive into the next
  // measurement's baseline).
  held.value = undefined;
  let heapPeak = end.heap;
  for (const event of stats?.statistics ?? []) {
    heapPeak = Math.max(heapPeak, event.beforeGC.heapStatistics.usedHeapSize);
  }
  return heapPeak - base.heap + Math.max(0, end.arrayBuffers - base.arrayBuffers);
}

/** The result of the scrape {@link peakDuring} is measuring, alive until its end reading. */
const held: { value: unknown } = { value: undefined };

// ---------------------------------------------------------------- output

/** The `q` quantile (0…1) of `values`, nearest rank below, as mitata computes its percentiles. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Writes the result for run.ts (`--out`), or prints its tables when the suite runs on its own. */
export function finish(result: SuiteResult, args: SuiteArgs): void {
  if (args.out !== undefined) {
    writeFileSync(args.out, JSON.stringify(result));
    return;
  }
  process.stdout.write(`${renderSuite(result)}\n`);
}

/** Formats a number in a unit with sensible precision. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = Number.isInteger(value) ? 0 : abs < 10 ? 2 : abs < 100 ? 1 : 0;
  return `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${unit}`;
}

function ratio(numerator: number, denominator: number): string {
  if (!(denominator > 0) || !Number.isFinite(numerator) || !Number.isFinite(denominator)) return '—';
  const r = numerator / denominator;
  return `${r < 10 ? r.toFixed(2) : r < 100 ? r.toFixed(1) : r.toFixed(0)}×`;
}

/** One group as a Markdown table: value, tail, `× floor`, then one "ref ÷ this" column per ref. */
export function renderGroup(group: Group): string {
  const byId = new Map(group.rows.map((row) => [row.id, row]));
  const floor = group.floor === undefined ? undefined : byId.get(group.floor);
  const hasTail = group.rows.some((row) => row.p75 !== undefined);
  const head = ['implementation', `${group.stat ?? 'median'} (${group.unit})`];
  if (hasTail) head.push('p75', 'p99');
  for (const extra of group.extras ?? []) head.push(extra.label);
  if (floor !== undefined) head.push('× floor');
  for (const ref of group.refs) head.push(`${ref.label} ÷ this`);
  const lines = [`#### ${group.title}`, '', `| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const row of group.rows) {
    const cells = [row.label, formatValue(row.value, group.unit)];
    if (hasTail) {
      cells.push(
        row.p75 === undefined ? '' : formatValue(row.p75, ''),
        row.p99 === undefined ? '' : formatValue(row.p99, ''),
      );
    }
    for (const extra of group.extras ?? []) {
      const v = row.extra?.[extra.key];
      cells.push(v === undefined ? '' : formatValue(v, '').trim());
    }
    if (floor !== undefined) cells.push(ratio(row.value, floor.value));
    for (const ref of group.refs) {
      const r = byId.get(ref.id);
      cells.push(r === undefined ? '—' : ratio(r.value, row.value));
    }
    lines.push(`| ${cells.map((c) => c.trim()).join(' | ')} |`);
  }
  return lines.join('\n');
}

export function renderSuite(result: SuiteResult): string {
  const parts = [`### ${result.suite}${result.quick ? ' (quick)' : ''}`, ''];
  for (const group of result.groups) parts.push(renderGroup(group), '');
  if (result.notes.length > 0) parts.push(...result.notes.map((n) => `- ${n}`), '');
  return parts.join('\n');
}

/** Node version, CPU model, core count, date: printed above every report. */
export function systemInfo(): Record<string, string> {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: String(os.availableParallelism()),
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    platform: `${process.platform}-${process.arch}`,
    date: new Date().toISOString(),
  };
}
