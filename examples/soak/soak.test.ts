import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeRequiring } from '@ttquant/test-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openPgliteWorker } from '../market-data/database.js';
import { TICK_TABLES, ticksBalance } from '../market-data/tick-store.js';
import { processName } from '../pipeline/specs.js';
import { createLogger } from '../shared/logger.js';
import { VENUES } from '../shared/protocol.js';
import { renderPlot } from './plot.js';
import { renderReport } from './report.js';
import { runSoak, type SoakResult } from './run.js';
import { type SeriesTrend, trends } from './slopes.js';

// A short soak at ten times the demo's tick rate with market data's retention made tight: after
// warm-up, the tick stores must stop growing, and every process's memory must stay within a bound.
// The slopes measured are printed, whether the test passes or not.

const MINUTES = 4;
const WARMUP_MINUTES = 1.5;
/** EXCHANGE_TICK_MS=2: 500 messages per symbol and venue per second, 3,000 ticks/s in all (the demo: 300). */
const TICK_MS = 2;
const RETENTION_MAX_MB = 20;

// Bounds, and why (measured on the 2-core CI machine kind at this rate, 2026-12):
// - Market data's RSS: the in-memory store of the issue grew ~1 KB per tick (503 → 646 MB in 8.5 min
//   at the demo's 300 ticks/s), so at 1,500 ticks/s per process ~5,400 MB/h, and its peak in the
//   second half of the 150 s after warm-up would stand ~110 MB above the first half's. On disk, with
//   V8's young generations capped (examples/shared/node-flags.ts) and PGlite's shared buffers at
//   16 MB, it saws between ~470 and ~590 MB with no trend: the rise of the peak measured −43 to +9 MB
//   in six runs (before the cap it climbed 521 → 651 MB over 9 minutes, young generations growing).
//   A rise under 50 MB says it has stopped growing (a growth faster than ~2,400 MB/h fails); the
//   size bound catches anything that starts large.
const MD_RSS_MAX_MB = 1_000;
const MD_RSS_RISE_MAX_MB = 50;
// - The tick store, once retention holds it at DB_RETENTION_MAX_MB: it saws between the bound and a
//   little below every DB_RETENTION_EVERY_MS. Unbounded at this rate it grows ~1,600 MB/h in the
//   tables (db_tick_store_bytes before retention kicks in) and ~2,500 MB/h on disk. 200 MB/h lets
//   the sawtooth through and fails any store that keeps growing at an eighth of that.
const STORE_SLOPE_MAX_MB_PER_H = 200;
// - Everyone else: the demo's exchange, gateways and engine sit at 80–115 MB RSS (the issue; our runs).
//   At ten times the tick rate the exchange holds more in flight (measured up to 251 MB, then back
//   to 120 MB after a GC); the gateways and engine stayed under 120 MB. 400 MB is 1.6× the largest
//   seen, and a process leaking per tick crosses it within the run.
const OTHER_RSS_MAX_MB = 400;
/** Where the run's report and plot are kept for a look after a failure (git-ignored). */
const KEEP = fileURLToPath(new URL('../../.tmp/soak-test/', import.meta.url));

const mdProcesses: string[] = VENUES.map((venue) => processName('market-data', venue));
const lines: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'soak-test-'));
let result: SoakResult;
let measured: SeriesTrend[];

const trend = (kind: SeriesTrend['kind'], name: string): SeriesTrend | undefined =>
  measured.find((t) => t.kind === kind && t.name === name);
const slope = (t: SeriesTrend | undefined): string =>
  t?.slopePerHour === undefined ? 'none' : `${t.slopePerHour.toFixed(1)} ${t.unit}/h`;

describeRequiring(
  'soak: the pipeline at 3,000 ticks/s with retention on',
  {
    missing: existsSync('/proc/self/status') ? [] : ['/proc (RSS is read from /proc/<pid>/status)'],
    install: 'run on Linux',
    reason: 'no /proc on this machine',
  },
  () => {
    beforeAll(
      async () => {
        result = await runSoak(
          {
            minutes: MINUTES,
            tickMs: TICK_MS,
            sampleSeconds: 5,
            warmupMinutes: WARMUP_MINUTES,
            dataDir: join(dir, 'data'),
          },
          {
            extraEnv: {
              'market-data': {
                DB_RETENTION_MAX_MB: String(RETENTION_MAX_MB),
                DB_RETENTION_EVERY_MS: '2000',
                LOG_LEVEL: 'warn',
              },
            },
            onLine: (service, line) => lines.push(`[${service}] ${line}`),
          },
        );
        measured = trends(result.samples, WARMUP_MINUTES * 60_000);
        mkdirSync(KEEP, { recursive: true });
        writeFileSync(join(KEEP, 'soak.svg'), await renderPlot(result.samples, WARMUP_MINUTES * 60_000));
        writeFileSync(
          join(KEEP, 'soak.md'),
          renderReport({ result, trends: measured, plotHref: 'soak.svg', command: 'examples/soak/soak.test.ts' }),
        );
        const shown = measured.filter((t) => t.kind === 'rss' || t.kind.startsWith('store'));
        console.log(
          `soak test: slopes after ${WARMUP_MINUTES} min warm-up (report: ${KEEP}soak.md)\n${shown
            .map(
              (t) =>
                `  ${t.kind} ${t.name}: ${slope(t)}, max ${t.max?.toFixed(1)} ${t.unit}, rise of the max ${t.maxRise?.toFixed(1)} ${t.unit}`,
            )
            .join('\n')}`,
        );
      },
      (MINUTES + 2) * 60_000,
    );

    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('sampled every process through the run, under the high tick rate', () => {
      expect(result.samples.length).toBeGreaterThanOrEqual((MINUTES * 60) / 5);
      const unread = result.samples.flatMap((s) =>
        s.processes.filter((p) => p.rssBytes === undefined).map((p) => `${p.name}: ${p.error}`),
      );
      expect(unread).toEqual([]);
      // The load is real: market data took in most of the 3,000 ticks/s the exchange sends.
      const ticks = (i: number) =>
        result.samples.at(i)?.processes.reduce((sum, p) => sum + (p.ticksReceived ?? 0), 0) ?? 0;
      const seconds = ((result.samples.at(-1)?.atMs ?? 0) - (result.samples[0]?.atMs ?? 0)) / 1000;
      expect((ticks(-1) - ticks(0)) / seconds, 'ticks/s taken in by market data').toBeGreaterThan(2_000);
      expect(
        result.exits.filter((e) => e.code !== 0),
        lines.slice(-30).join('\n'),
      ).toEqual([]);
    });

    it(`market data's RSS stops growing after warm-up (its peak rises < ${MD_RSS_RISE_MAX_MB} MB from the first half to the second) and stays under ${MD_RSS_MAX_MB} MB`, () => {
      for (const name of mdProcesses) {
        const t = trend('rss', name);
        const seen = `${name} RSS after warm-up: max ${t?.max?.toFixed(1)} MB, rise of the max ${t?.maxRise?.toFixed(1)} MB, slope ${slope(t)}`;
        expect(t?.maxRise, `${seen}: too few samples`).toBeDefined();
        expect(t?.maxRise, seen).toBeLessThan(MD_RSS_RISE_MAX_MB);
        expect(t?.max, seen).toBeLessThan(MD_RSS_MAX_MB);
      }
    });

    it('keeps the tick accounting exact while retention deletes rows: deletes counted, not taken for losses', async () => {
      for (const name of mdProcesses) {
        const stores = result.samples.map((sample) => sample.stores.find((s) => s.name === name));
        const scraped = stores.flatMap((s) => (s?.ticks === undefined ? [] : [s.ticks]));
        expect(scraped.length, `${name}: scrapes with the tick counts`).toBe(result.samples.length);
        const unbalanced = scraped.filter((c) => !ticksBalance(c)).map((c) => JSON.stringify(c));
        expect(unbalanced, `${name}: received + restored ≠ written + duplicates + dropped + buffered`).toEqual([]);
        const last = stores.at(-1);
        expect(
          last?.deletedTicks,
          `${name}: retention deleted nothing (the store never reached its bound)`,
        ).toBeGreaterThan(0);
        expect(last?.ticks?.dropped, `${name}: ticks dropped while retention deleted rows`).toBe(0);

        // After the stop: the rows left in the store are exactly those written minus those deleted.
        const stop = lines.find((line) => line.startsWith(`[${name}] market-data: stopped on`));
        const counts = /written (\d+), dropped (\d+), buffered (\d+), deleted by retention (\d+)/.exec(stop ?? '');
        expect(counts, `${name}'s stop line: ${stop}`).not.toBeNull();
        const [written, dropped, buffered, deleted] = (counts as RegExpExecArray).slice(1).map(Number) as [
          number,
          number,
          number,
          number,
        ];
        expect({ dropped, buffered }).toEqual({ dropped: 0, buffered: 0 });
        expect(deleted).toBeGreaterThanOrEqual(last?.deletedTicks ?? Number.POSITIVE_INFINITY);
        const dataDir = result.env[name as keyof typeof result.env]?.DB_DATA_DIR;
        expect(dataDir, `${name}: DB_DATA_DIR`).toBeDefined();
        const db = await openPgliteWorker(dataDir, createLogger('soak-test', { LOG_LEVEL: 'silent' }));
        try {
          const r = await db.query(`SELECT ${TICK_TABLES.map((t) => `(SELECT count(*) FROM ${t})`).join(' + ')} AS n`);
          const rows = Number((r.rows[0] as { n: unknown }).n);
          console.log(`soak test: ${name}: ${written} written, ${deleted} deleted by retention, ${rows} rows left`);
          expect(rows, `${name}: rows in the store = written - deleted by retention`).toBe(written - deleted);
        } finally {
          await db.close();
        }
      }
    }, 120_000);

    it(`keeps the tick store at its retention bound after warm-up (slope < ${STORE_SLOPE_MAX_MB_PER_H} MB/h)`, () => {
      for (const name of mdProcesses) {
        const deleted = result.samples.at(-1)?.stores.find((s) => s.name === name)?.deletedTicks;
        const note = `db_retention_deleted_ticks_total at the end: ${deleted ?? 'not exposed'}`;
        const disk = trend('store-disk', name);
        expect(
          disk?.slopePerHour,
          `${name} tick store on disk slope after warm-up: ${slope(disk)} (bound ${STORE_SLOPE_MAX_MB_PER_H} MB/h; ${note})`,
        ).toBeLessThan(STORE_SLOPE_MAX_MB_PER_H);
        const reported = trend('store-reported', name);
        expect(reported, `${name} does not expose db_tick_store_bytes (${note})`).toBeDefined();
        expect(
          reported?.slopePerHour,
          `${name} db_tick_store_bytes slope after warm-up: ${slope(reported)} (bound ${STORE_SLOPE_MAX_MB_PER_H} MB/h; ${note})`,
        ).toBeLessThan(STORE_SLOPE_MAX_MB_PER_H);
        expect(reported?.max, `${name} db_tick_store_bytes max after warm-up, MB`).toBeLessThanOrEqual(
          RETENTION_MAX_MB * 1.25,
        );
      }
    });

    it(`keeps every other process under ${OTHER_RSS_MAX_MB} MB RSS`, () => {
      const others = result.samples[0]?.processes.map((p) => p.name).filter((n) => !mdProcesses.includes(n)) ?? [];
      expect(others).toEqual(['exchange', 'gateway-binance', 'gateway-okx', 'strategy-engine']);
      for (const name of others) {
        const t = trend('rss', name);
        expect(t?.max, `${name} RSS max after warm-up: ${t?.max?.toFixed(1)} MB (slope ${slope(t)})`).toBeLessThan(
          OTHER_RSS_MAX_MB,
        );
      }
    });

    it('writes the report and a plot with every process and store', async () => {
      const svg = await renderPlot(result.samples, WARMUP_MINUTES * 60_000);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      for (const name of result.samples[0]?.processes.map((p) => p.name) ?? []) expect(svg).toContain(name);
      // Legend labels in full (text elements, not only the chart's aria descriptions).
      for (const name of mdProcesses) expect(svg).toContain(`>${name} (on disk)</text>`);
      const md = renderReport({ result, trends: measured, plotHref: 'soak.svg', command: 'soak.test.ts' });
      expect(md).toContain('![soak](soak.svg)');
      expect(md).toContain(`| \`EXCHANGE_TICK_MS\` | ${TICK_MS} |`);
      expect(md).toMatch(/\| RSS \| market-data-binance \| [+-]\d+\.\d MB\/h \|/);
    });
  },
);
