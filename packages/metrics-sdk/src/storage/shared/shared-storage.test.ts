import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SharedOpenLabelInterner } from './shared-interner.js';
import { SharedSeriesTable } from './shared-series-table.js';

// Real worker threads, started together at a shared barrier, intern overlapping label values and
// create overlapping series at once; what each got must be what one thread would have got.

const WORKER = new URL('../../../test/fixtures/shared-storage-worker.ts', import.meta.url);

interface Result {
  readonly ordinals: [string, number][];
  readonly created: number;
}

/** Runs one worker per job at once; resolves with their results in job order. */
async function runWorkers(
  interner: SharedOpenLabelInterner,
  table: SharedSeriesTable,
  jobs: readonly { values: readonly string[]; offsets: readonly number[] }[],
): Promise<Result[]> {
  const barrier = new SharedArrayBuffer(4);
  new Int32Array(barrier)[0] = jobs.length;
  const workers = jobs.map(
    (job) =>
      new Worker(WORKER, {
        execArgv: ['--import', 'tsx'],
        workerData: { interner: interner.descriptor, table: table.descriptor, barrier, ...job },
      }),
  );
  try {
    return await Promise.all(workers.map(async (worker) => (await once(worker, 'message'))[0] as Result));
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/** A deterministic shuffle (each worker interns in its own order). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('shared storage across worker threads', () => {
  it('gives a label value one ordinal whichever threads intern it, at once, and holds the budget globally', async () => {
    const WORKERS = 4;
    const common = Array.from({ length: 200 }, (_, i) => `SYM${i}USDT`);
    const budget = 300;
    const interner = SharedOpenLabelInterner.create(budget, 64 * 1024);
    const table = SharedSeriesTable.create(1);
    const results = await runWorkers(
      interner,
      table,
      Array.from({ length: WORKERS }, (_, w) => ({
        // Every worker: the 200 common values and 50 of its own, in an order of its own.
        values: shuffled([...common, ...Array.from({ length: 50 }, (_, i) => `W${w}-${i}`)], w + 1),
        offsets: [],
      })),
    );
    const given = new Map<string, number>();
    for (const { ordinals } of results) {
      for (const [value, ordinal] of ordinals) {
        if (ordinal < 0) continue;
        const before = given.get(value);
        if (before !== undefined) expect(ordinal, value).toBe(before);
        given.set(value, ordinal);
      }
    }
    // 400 distinct values for 300 places: exactly 300 got one, each ordinal once.
    expect(given.size).toBe(budget);
    expect([...given.values()].sort((a, b) => a - b)).toEqual(Array.from({ length: budget }, (_, i) => i));
    // This thread reads the same table.
    interner.sync();
    expect(interner.values.length).toBe(budget);
    for (const [value, ordinal] of given) expect(interner.values[ordinal]).toBe(value);
    expect(interner.intern('late')).toBe(-1);
    expect(interner.lastRefusal).toBe('budget');
  }, 30_000);

  it('creates a series once whichever threads create it at once, and lists each once in creation order', async () => {
    const capacity = 5_000;
    const table = SharedSeriesTable.create(capacity);
    const interner = SharedOpenLabelInterner.create(1, 16);
    const all = Array.from({ length: capacity }, (_, i) => i);
    const results = await runWorkers(
      interner,
      table,
      Array.from({ length: 4 }, (_, w) => ({ values: [], offsets: shuffled(all, w + 7) })),
    );
    expect(results.reduce((sum, r) => sum + r.created, 0)).toBe(capacity);
    const series: number[] = [];
    table.sync(series);
    expect(series.length).toBe(capacity);
    expect(new Set(series).size).toBe(capacity);
    for (const offset of series) expect(table.startTimes[offset]).toBeGreaterThan(0);
    // Creating again changes nothing.
    expect(table.create(0, Date.now())).toBe(false);
    table.sync(series);
    expect(series.length).toBe(capacity);
  }, 30_000);

  it('refuses a value past the arena, and reads a value with a lone surrogate back as one series', () => {
    const interner = SharedOpenLabelInterner.create(10, 8);
    expect(interner.intern('12345678')).toBe(0);
    expect(interner.intern('9')).toBe(-1);
    expect(interner.lastRefusal).toBe('arena');
    const other = SharedOpenLabelInterner.create(10, 64);
    const lone = 'a\ud800b';
    const first = other.intern(lone);
    // Another thread's view reads U+FFFD; interning either spelling there finds the same ordinal.
    const view = new SharedOpenLabelInterner(other.descriptor);
    expect(view.values[first]).toBe('a\ufffdb');
    expect(view.intern(lone)).toBe(first);
    expect(view.intern('a\ufffdb')).toBe(first);
  });
});
