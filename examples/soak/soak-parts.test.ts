import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTickCounts } from '../market-data/buffer-metrics.js';
import { ticksBalance } from '../market-data/tick-store.js';
import { ConfigError } from '../shared/config.js';
import { directoryBytes } from '../shared/directory-bytes.js';
import { readSoakOptions } from './options.js';
import { tableRows } from './report.js';
import { type Sample, sumOf } from './sampler.js';
import { maxRise, slopePerHour, trends } from './slopes.js';

// The soak's pure parts: the command line, the exposition reader, the directory walk, the slopes
// and the table's rows. The run itself is soak.test.ts (integration).

const sample = (atMs: number, rssMb: number, storeMb?: number): Sample => ({
  atMs,
  processes: [
    {
      name: 'p',
      rssBytes: rssMb * 2 ** 20,
      heapUsedBytes: undefined,
      loopDelaySeconds: undefined,
      bodyBytes: undefined,
      ticksReceived: undefined,
    },
  ],
  stores:
    storeMb === undefined
      ? []
      : [
          {
            name: 'p',
            diskBytes: storeMb * 2 ** 20,
            reportedBytes: undefined,
            deletedTicks: undefined,
            ticks: undefined,
          },
        ],
});

describe('slopes', () => {
  it('fits a line through the points, per hour', () => {
    const points = [0, 1, 2, 3].map((m) => ({ atMs: m * 60_000, value: 100 + 2 * m }));
    expect(slopePerHour(points)).toBeCloseTo(120, 9);
    expect(slopePerHour([{ atMs: 0, value: 1 }])).toBeUndefined();
    expect(
      slopePerHour([
        { atMs: 5, value: 1 },
        { atMs: 5, value: 2 },
      ]),
    ).toBeUndefined();
  });

  it('leaves warm-up out and averages a sawtooth to a flat trend', () => {
    // Climbs 1 MB a minute for 10 minutes, then saws between 50 and 60 MB.
    const samples = Array.from({ length: 40 }, (_, m) =>
      sample(m * 60_000, m < 10 ? 40 + m : m % 2 === 0 ? 50 : 60, 5),
    );
    const rss = trends(samples, 10 * 60_000).find((t) => t.kind === 'rss');
    expect(rss?.points).toBe(30);
    expect(Math.abs(rss?.slopePerHour ?? Number.NaN)).toBeLessThan(5);
    expect(rss?.max).toBe(60);
    expect(trends(samples, 0).find((t) => t.kind === 'rss')?.slopePerHour).toBeGreaterThan(5);
    // A series never read has no trend; one that was has.
    expect(trends(samples, 0).map((t) => t.kind)).toEqual(['rss', 'store-disk']);
  });
});

describe('maxRise', () => {
  const at = (values: number[]) => values.map((value, i) => ({ atMs: i * 5_000, value }));
  it('is about 0 for a sawtooth that has stopped growing, whatever its slope reads', () => {
    // Peaks of 550 in both halves; the least-squares slope depends on where the last GC fell.
    const saw = at([480, 520, 550, 470, 510, 540, 470, 500, 550, 475]);
    expect(maxRise(saw)).toBe(0);
    expect(Math.abs(slopePerHour(saw) ?? 0)).toBeGreaterThan(0);
  });
  it('rises by the growth over half the window for a series still growing', () => {
    // 1 MB per 5 s sample over 10 samples: the second half peaks 5 MB above the first.
    expect(maxRise(at([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]))).toBe(5);
  });
  it('needs four points', () => {
    expect(maxRise(at([1, 2, 3]))).toBeUndefined();
  });
});

describe('sumOf', () => {
  const body = [
    '# TYPE db_tick_store_bytes gauge',
    'db_tick_store_bytes{exchange="binance"} 1024',
    'db_tick_store_bytes{exchange="okx"} 2048',
    'db_tick_store_bytes_other 7',
    'nodejs_heap_size_used_bytes 5e6',
  ].join('\n');
  it('sums a metric over its label sets, and says when it is absent', () => {
    expect(sumOf(body, 'db_tick_store_bytes')).toBe(3072);
    expect(sumOf(body, 'nodejs_heap_size_used_bytes')).toBe(5e6);
    expect(sumOf(body, 'db_retention_deleted_ticks_total')).toBeUndefined();
  });
  it('sums only the samples with the label values asked for', () => {
    const errors = [
      'db_write_errors_total{exchange="binance",reason="dropped"} 3',
      'db_write_errors_total{exchange="okx",reason="dropped"} 4',
      'db_write_errors_total{exchange="okx",reason="connection"} 100',
    ].join('\n');
    expect(sumOf(errors, 'db_write_errors_total', { reason: 'dropped' })).toBe(7);
    expect(sumOf(errors, 'db_write_errors_total', { reason: 'dropped', exchange: 'okx' })).toBe(4);
    expect(sumOf(errors, 'db_write_errors_total', { reason: 'timeout' })).toBeUndefined();
  });
  it('rejects a value that is not a number', () => {
    expect(() => sumOf('x_bytes abc', 'x_bytes')).toThrow(/x_bytes: value "abc"/);
  });
});

describe('readTickCounts over sumOf', () => {
  it('reads the six parts of the tick equation from a market-data scrape, over venues', () => {
    const body = [
      'market_data_received_total{exchange="binance",symbol="BTCUSDT",type="trade"} 10',
      'market_data_received_total{exchange="okx",symbol="BTCUSDT",type="trade"} 5',
      'db_spool_restored_ticks_total{exchange="binance"} 2',
      'db_writes_total{exchange="binance",table="trades"} 9',
      'db_duplicate_ticks_total{exchange="binance"} 1',
      'db_write_errors_total{exchange="okx",reason="dropped"} 4',
      'db_write_errors_total{exchange="okx",reason="connection"} 50',
      'db_buffered_ticks{exchange="binance"} 3',
    ].join('\n');
    const counts = readTickCounts((metric, labels) => sumOf(body, metric, labels));
    expect(counts).toEqual({ received: 15, restored: 2, written: 9, duplicates: 1, dropped: 4, buffered: 3 });
    expect(ticksBalance(counts)).toBe(true);
    expect(ticksBalance({ ...counts, dropped: 5 })).toBe(false);
  });
});

describe('directoryBytes', () => {
  it('adds up every file below a folder; a missing folder is 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'soak-walk-'));
    try {
      mkdirSync(join(dir, 'a', 'b'), { recursive: true });
      writeFileSync(join(dir, 'one'), Buffer.alloc(100));
      writeFileSync(join(dir, 'a', 'b', 'two'), Buffer.alloc(23));
      expect(await directoryBytes(dir)).toBe(123);
      expect(await directoryBytes(join(dir, 'nope'))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readSoakOptions', () => {
  const now = new Date('2026-12-04T12:00:00Z');
  it('has the documented defaults', () => {
    const o = readSoakOptions([], '/somewhere', now);
    expect(o).toMatchObject({ minutes: 30, tickMs: 20, sampleSeconds: 5, warmupMinutes: 5, keepData: false });
    expect(o.out.endsWith('/docs/soak.md')).toBe(true);
    expect(o.svg.endsWith('/docs/soak.svg')).toBe(true);
    expect(o.dataDir.endsWith('/.data/soak/2026-12-04T12-00-00-000Z')).toBe(true);
    expect(readSoakOptions(['--minutes', '3'], '/x', now).warmupMinutes).toBe(1);
  });
  it('resolves relative paths against where the command was typed', () => {
    const o = readSoakOptions(['--out', 'r/s.md', '--tick-ms', '2', '--keep-data'], '/home/me', now);
    expect(o).toMatchObject({ out: '/home/me/r/s.md', svg: '/home/me/r/s.svg', tickMs: 2, keepData: true });
  });
  it('names the option that does not parse', () => {
    expect(() => readSoakOptions(['--minutes', 'ten'], '/x')).toThrow(/--minutes=ten/);
    expect(() => readSoakOptions(['--tick-ms', '0'], '/x')).toThrow(ConfigError);
    expect(() => readSoakOptions(['--minutes', '2', '--warmup-minutes', '2'], '/x')).toThrow(/--warmup-minutes=2/);
    expect(() => readSoakOptions(['--bogus'], '/x')).toThrow(/bogus/);
    expect(() => readSoakOptions(['5'], '/x')).toThrow(ConfigError);
  });
});

describe('tableRows', () => {
  it('keeps every sample of a short run and one per minute of a long one, and the last', () => {
    const short = Array.from({ length: 13 }, (_, i) => sample(i * 5_000, 1));
    expect(tableRows(short)).toHaveLength(13);
    const long = Array.from({ length: 361 }, (_, i) => sample(i * 5_000 + 7, 1));
    const rows = tableRows(long);
    expect(rows).toHaveLength(31);
    expect(rows.at(-1)).toBe(long.at(-1));
  });
});
