import { describe, expect, it, vi } from 'vitest';
import { catalog } from '../define/catalog.js';
import { MetricLabelError } from '../define/errors.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { CatalogMetricProducer } from '../otel/producer.js';
import { throwOnInvalidValue } from './invalid.js';
import type { OverflowEvent } from './overflow.js';

// Series removal (delisted symbols) and resets, seen through both readers: the text writer and the
// OTel producer cache per-series bytes and attributes, so a removal must not leave them stale.

const Market = catalog({
  price: gauge('last_price', 'Last price.', { exchange: closed('binance', 'okx'), symbol: open({ budget: 3 }) }),
  trades: counter('trades_total', 'Trades.', { symbol: open({ budget: 3 }) }),
  latency: histogram('latency_ms', 'Latency.', { symbol: open({ budget: 3 }) }, { buckets: [1, 10] }),
  up: gauge('up', 'Up.', {}),
});

let clock = 0;
const market = () => new Market({ onInvalidValue: throwOnInvalidValue, now: () => clock });
const lines = (writer: PrometheusWriter, prefix: string) =>
  writer
    .renderText()
    .split('\n')
    .filter((line) => line.startsWith(prefix));

describe('family.remove()', () => {
  it('drops one series from the exposition and zeroes it, leaving the others', () => {
    const m = market();
    const writer = new PrometheusWriter([m], { selfMetrics: false });
    m.price.set({ exchange: 'binance', symbol: 'BTC' }, 100);
    m.price.set({ exchange: 'binance', symbol: 'LUNA' }, 0.01);
    m.price.set({ exchange: 'okx', symbol: 'BTC' }, 101);
    expect(lines(writer, 'last_price{')).toHaveLength(3);
    expect(m.price.remove({ exchange: 'binance', symbol: 'LUNA' })).toBe(true);
    expect(lines(writer, 'last_price{')).toEqual([
      'last_price{exchange="binance",symbol="BTC"} 100',
      'last_price{exchange="okx",symbol="BTC"} 101',
    ]);
    expect(m.price.seriesCount).toBe(2);
    // Already gone, never seen, or past the budget: nothing to remove.
    expect(m.price.remove({ exchange: 'binance', symbol: 'LUNA' })).toBe(false);
    expect(m.price.remove({ exchange: 'okx', symbol: 'LUNA' })).toBe(false);
    expect(m.price.remove({ exchange: 'okx', symbol: 'NEVER' })).toBe(false);
  });

  it('brings a removed series back from zero when it is recorded again, with a new start time', async () => {
    const m = market();
    const producer = new CatalogMetricProducer([m], { selfMetrics: false, now: () => 50_000 });
    clock = 1_000;
    m.trades.add({ symbol: 'LUNA' }, 5);
    m.trades.inc({ symbol: 'BTC' });
    m.trades.remove({ symbol: 'LUNA' });
    clock = 2_000;
    m.trades.inc({ symbol: 'LUNA' });
    const points = (await producer.collect()).resourceMetrics.scopeMetrics[0]?.metrics[0]?.dataPoints;
    expect(points?.map((p) => [p.attributes, p.value, p.startTime])).toEqual([
      [{ symbol: 'BTC' }, 1, [1, 0]],
      [{ symbol: 'LUNA' }, 1, [2, 0]],
    ]);
  });

  it('keeps a bound handle valid: its records reappear with the series, and go to no other symbol', () => {
    const m = market();
    const writer = new PrometheusWriter([m], { selfMetrics: false });
    const luna = m.trades.bind({ symbol: 'LUNA' });
    luna.add(3);
    m.trades.remove({ symbol: 'LUNA' });
    luna.inc(); // a stale handle: hidden until the series is bound or recorded again
    m.trades.inc({ symbol: 'ETH' });
    m.trades.inc({ symbol: 'SOL' });
    // The budget is not returned: a fourth symbol folds, LUNA keeps its slot.
    m.trades.inc({ symbol: 'DOGE' });
    expect(lines(writer, 'trades_total')).toEqual([
      'trades_total{symbol="ETH"} 1',
      'trades_total{symbol="SOL"} 1',
      'trades_total{otel_metric_overflow="true"} 1',
    ]);
    expect(lines(writer, 'trades_total{symbol="LUNA"}')).toEqual([]);
    m.trades.bind({ symbol: 'LUNA' }); // bound again: the series is back, with the stale handle's record
    expect(luna.value).toBe(1);
    expect(lines(writer, 'trades_total{symbol="LUNA"}')).toEqual(['trades_total{symbol="LUNA"} 1']);
  });

  it('clears every bucket of a removed histogram series', () => {
    const m = market();
    const writer = new PrometheusWriter([m], { selfMetrics: false });
    for (const v of [0.5, 5, 50]) m.latency.observe({ symbol: 'LUNA' }, v);
    m.latency.remove({ symbol: 'LUNA' });
    m.latency.observe({ symbol: 'LUNA' }, 5);
    expect(lines(writer, 'latency_ms')).toEqual([
      'latency_ms_bucket{symbol="LUNA",le="1"} 0',
      'latency_ms_bucket{symbol="LUNA",le="10"} 1',
      'latency_ms_bucket{symbol="LUNA",le="+Inf"} 1',
      'latency_ms_sum{symbol="LUNA"} 5',
      'latency_ms_count{symbol="LUNA"} 1',
    ]);
  });

  it('removes the only series of a label-less metric', () => {
    const m = market();
    m.up.bind().set(1);
    expect(m.up.remove()).toBe(true);
    expect(lines(new PrometheusWriter([m], { selfMetrics: false }), 'up ')).toEqual([]);
  });

  it('rejects labels that do not fit the declaration, like a record does', () => {
    const m = market();
    expect(() => m.price.remove({ exchange: 'kraken', symbol: 'BTC' } as never)).toThrow(MetricLabelError);
    expect(() => m.price.remove({ symbol: 'BTC' } as never)).toThrow(MetricLabelError);
  });
});

describe('family.reset()', () => {
  it('removes every series, the overflow series included, and keeps the self-metrics', async () => {
    const m = market();
    const writer = new PrometheusWriter([m]);
    const producer = new CatalogMetricProducer([m]);
    for (const symbol of ['A', 'B', 'C', 'D', 'E']) m.trades.inc({ symbol });
    expect(lines(writer, 'trades_total')).toHaveLength(4);
    m.trades.reset();
    expect(m.trades.seriesCount).toBe(0);
    expect(lines(writer, 'trades_total')).toEqual([]);
    const names = (await producer.collect()).resourceMetrics.scopeMetrics[0]?.metrics.map((x) => x.descriptor.name);
    expect(names).not.toContain('trades_total');
    // The folds happened: the exported count of them does not go back.
    expect(m.trades.overflowed).toBe(2);
    expect(lines(writer, 'ttquant_metrics_overflow_records_total{metric="trades_total"}')).toEqual([
      'ttquant_metrics_overflow_records_total{metric="trades_total"} 2',
    ]);
    m.trades.inc({ symbol: 'A' });
    expect(lines(writer, 'trades_total')).toEqual(['trades_total{symbol="A"} 1']);
  });
});

describe('overflow hook', () => {
  it('reports every folded record with the label that was full, and warns once per metric by default', () => {
    const events: OverflowEvent[] = [];
    const m = new Market({ onInvalidValue: throwOnInvalidValue, onOverflow: (event) => events.push(event) });
    for (const symbol of ['A', 'B', 'C', 'D', 'E']) m.trades.inc({ symbol });
    expect(events).toEqual([
      { metric: 'trades_total', label: 'symbol', value: 'D', budget: 3 },
      { metric: 'trades_total', label: 'symbol', value: 'E', budget: 3 },
    ]);
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const quiet = market();
      for (const symbol of ['A', 'B', 'C', 'D', 'E', 'F']) quiet.trades.inc({ symbol });
      for (const symbol of ['A', 'B', 'C', 'D']) quiet.latency.observe({ symbol }, 1);
      expect(warn.mock.calls.map((call) => call[0])).toEqual([
        expect.stringMatching(
          /^trades_total: label "symbol" is at its budget of 3 values; .*"D".*otel_metric_overflow/,
        ),
        expect.stringMatching(/^latency_ms: label "symbol" is at its budget of 3 values/),
      ]);
      expect(quiet.trades.overflowed).toBe(3);
    } finally {
      warn.mockRestore();
    }
  });
});
