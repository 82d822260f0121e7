import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { readExposition } from '@ttquant/test-kit';
import { describe, expect, it } from 'vitest';
import { nativeKeys } from '../../../test/fixtures/native-keys.js';
import { NATIVE, SharedDesk, SYMBOL_BUDGET, spreadSample } from '../../../test/fixtures/shared-desk.js';
import { GatewayMetrics } from '../../catalogs/gateway.js';
import { MarketDataMetrics } from '../../catalogs/market-data.js';
import { MetricDefinitionError } from '../../define/errors.js';
import { PrometheusWriter } from '../../exposition/prometheus-text.js';
import { OVERFLOW_RECORDS_METRIC } from '../../self-metrics/self-metrics.js';
import { NativeStore } from '../native-store.js';
import type { NativeBuckets } from '../series-reader.js';
import type { SharedOpenLabelInterner } from './shared-interner.js';

// A catalog shared across real worker threads: four workers attach it, start together, create
// overlapping series and overflow a budget at once, while this thread renders the catalog
// continuously; every count adds up exactly, during, at the end and after the workers exit.

const WORKER = new URL('../../../test/fixtures/shared-catalog-worker.ts', import.meta.url);
const VENUES = ['a', 'b', 'c', 'd'] as const;
const RECORDS = 20_000;
const COMMON = Array.from({ length: 30 }, (_, i) => `SYM${i}USDT`);

describe('a catalog shared across worker threads', () => {
  it('sums every thread’s records exactly while being scraped, and after the threads exit', async () => {
    const desk = new SharedDesk({ shared: { threads: VENUES.length + 1 } });
    const barrier = new SharedArrayBuffer(4);
    new Int32Array(barrier)[0] = VENUES.length;
    const workers = VENUES.map(
      (venue, w) =>
        new Worker(WORKER, {
          execArgv: ['--import', 'tsx'],
          workerData: {
            descriptor: desk.share(),
            barrier,
            venue,
            // 30 symbols every worker records and 10 of its own: 70 values for a budget of 40.
            symbols: [...COMMON, ...Array.from({ length: 10 }, (_, i) => `OWN${w}-${i}`)],
            records: RECORDS,
            index: w,
          },
        }),
    );
    const exits = workers.map((worker) => once(worker, 'exit'));
    const writer = new PrometheusWriter([desk]);
    const ticks = (): number => readExposition(writer.renderText()).sum('desk_ticks_total') ?? 0;

    // Scrape while the workers record: totals only grow, and never past what is recorded.
    let running = true;
    const seen: number[] = [];
    const scraping = (async () => {
      while (running) {
        seen.push(ticks());
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const results = (await Promise.all(workers.map(async (w) => (await once(w, 'message'))[0]))) as {
      records: number;
      sum: number;
    }[];
    running = false;
    await scraping;
    expect(seen.length).toBeGreaterThan(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1] as number);
    expect(Math.max(...seen)).toBeLessThanOrEqual(VENUES.length * RECORDS);

    const check = () => {
      const body = readExposition(writer.renderText());
      expect(body.sum('desk_ticks_total')).toBe(VENUES.length * RECORDS);
      VENUES.forEach((venue, w) => {
        expect(body.value('desk_parse_ms_count', { venue })).toBe(RECORDS);
        expect(body.value('desk_parse_ms_sum', { venue })).toBe(results[w]?.sum);
        expect(body.value('desk_queue_depth', { venue })).toBe(RECORDS);
      });
      // The budget held across threads: 40 symbols got series of their own, the rest overflowed,
      // and each (venue, symbol) series is listed once.
      const series = body.select('desk_ticks_total');
      const symbols = new Set(series.map((s) => s.labels['symbol']).filter((s) => s !== undefined));
      expect(symbols.size).toBe(SYMBOL_BUDGET);
      const keys = series.map((s) => JSON.stringify(s.labels));
      expect(new Set(keys).size).toBe(keys.length);
      const overflow = body.value('desk_ticks_total', { otel_metric_overflow: 'true' }) ?? 0;
      expect(overflow).toBeGreaterThan(0);
      expect(body.value(OVERFLOW_RECORDS_METRIC, { metric: 'desk_ticks_total' })).toBe(overflow);
      // The overflow series carries no venue: each venue's own series plus it make the total.
      const byVenue = VENUES.map((venue) => body.sum('desk_ticks_total', { venue }) ?? 0);
      expect(byVenue.reduce((a, b) => a + b, 0) + overflow).toBe(VENUES.length * RECORDS);
    };
    check();
    // The native histogram every thread recorded into: its merged buckets hold what one store
    // recording all their samples holds, at the lower of the two schemas.
    const one = new NativeStore({ ...NATIVE, zeroThreshold: 2 ** -128 }, 1);
    VENUES.forEach((_, w) => {
      for (let i = 0; i < RECORDS; i++) one.record(0, spreadSample(w, i));
    });
    const merged = desk.spread['~reader'].native as NativeBuckets;
    const offset = desk.spread['~reader'].series[0] as number;
    const schema = Math.min(merged.schemas[offset] as number, one.schemas[0] as number);
    expect(schema).toBeLessThan(NATIVE.schema);
    expect(nativeKeys(merged, offset, schema)).toEqual(nativeKeys(one, 0, schema));
    await Promise.all(exits);
    // The threads are gone; their slabs, and so their counts, are not.
    check();
  }, 60_000);

  it('attaches only its own descriptor, within the number of threads, and says what it cannot share yet', () => {
    const desk = new SharedDesk({ shared: { threads: 2 } });
    const other = new SharedDesk({ shared: desk.share() });
    other.ticks.inc({ venue: 'a', symbol: 'X' });
    desk.ticks.inc({ venue: 'a', symbol: 'X' });
    expect(
      readExposition(new PrometheusWriter([desk]).renderText()).value('desk_ticks_total', { venue: 'a', symbol: 'X' }),
    ).toBe(2);
    expect(() => new SharedDesk({ shared: desk.share() })).toThrow(/all 2 slabs are claimed/);
    expect(() => new SharedDesk().share()).toThrow(/created without the shared option/);
    expect(() => new SharedDesk({ shared: { threads: 0 } })).toThrow(/options\.shared\.threads/);
    // A descriptor that did not come from share() (untyped JavaScript, or one copied by JSON).
    const copied = JSON.parse(JSON.stringify(desk.share())) as ReturnType<typeof desk.share>;
    expect(() => new SharedDesk({ shared: copied })).toThrow(/options\.shared/);
    expect(() => desk.ticks.remove({ venue: 'a', symbol: 'X' })).toThrow(/not supported on a catalog shared/);
    // Another catalog's descriptor, and a catalog with exemplars (not shareable yet).
    expect(() => new MarketDataMetrics({ shared: desk.share() as never })).toThrow(MetricDefinitionError);
    expect(() => new GatewayMetrics({ shared: { threads: 2 } })).toThrow(/does not yet support exemplars/);
  });

  it('lists a series another thread creates mid-collection with its label values, never a label it cannot decode yet', () => {
    const reader = new SharedDesk({ shared: { threads: 2 } });
    const writer = new SharedDesk({ shared: reader.share() });
    writer.ticks.inc({ venue: 'a', symbol: 'OLD' });
    // The other thread interns a new symbol and creates its series while this thread's collection
    // is reading the symbols: the series must either wait for the next collection or come with its
    // symbol, never be listed with a symbol this thread has not read yet.
    const symbols = reader.ticks['~store'].layout.axes[1]?.interner as SharedOpenLabelInterner;
    const sync = symbols.sync.bind(symbols);
    let injected = false;
    symbols.sync = () => {
      sync();
      if (injected) return;
      injected = true;
      writer.ticks.inc({ venue: 'b', symbol: 'NEW' });
    };
    const first = readExposition(new PrometheusWriter([reader], { selfMetrics: false }).renderText());
    expect(injected).toBe(true);
    for (const sample of first.select('desk_ticks_total')) expect(['OLD', 'NEW']).toContain(sample.labels['symbol']);
    const second = readExposition(new PrometheusWriter([reader], { selfMetrics: false }).renderText());
    expect(second.value('desk_ticks_total', { venue: 'b', symbol: 'NEW' })).toBe(1);
  });
});
