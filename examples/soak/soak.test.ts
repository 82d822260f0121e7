import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeRequiring } from '@ttquant/test-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { processName } from '../pipeline/specs.js';
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
// - Market data's RSS: the in-memory store of the issue grew ~1,000 MB/h at the demo's 300 ticks/s
//   (503 → 646 MB in 8.5 min), so ~10,000 MB/h at 3,000 ticks/s: from ~650 MB at the start it would
//   pass 1,300 MB within this run. With the store on disk it starts at 520–670 MB (PGlite's WASM
//   memory) and reached 709–786 MB in our runs, still rising in steps outside the JS heap (its slope
//   over the 150 s after warm-up read +1,200 to +3,050 MB/h, GC and WASM steps included): that this
//   growth levels off is not shown by a run this short, so the test bounds the size, which catches
//   an unbounded store, and prints the slope.
const MD_RSS_MAX_MB = 1_000;
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
            .map((t) => `  ${t.kind} ${t.name}: ${slope(t)}, max ${t.max?.toFixed(1)} ${t.unit}`)
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

    it(`keeps market data's RSS under ${MD_RSS_MAX_MB} MB at ten times the demo's tick rate`, () => {
      for (const name of mdProcesses) {
        const t = trend('rss', name);
        expect(t?.max, `${name} RSS: no samples after warm-up`).toBeDefined();
        expect(t?.max, `${name} RSS max after warm-up: ${t?.max?.toFixed(1)} MB (slope ${slope(t)})`).toBeLessThan(
          MD_RSS_MAX_MB,
        );
      }
    });

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
