import { readExposition } from '@ttquant/test-kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { catalog } from '../define/catalog.js';
import { closed } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { bucketIndex, CounterHandle, EmittingGaugeHandle, GaugeHandle, HistogramHandle } from './handles.js';
import { throwOnInvalidValue } from './invalid.js';

class Desk extends catalog({
  fills: counter('fills_total', 'Fills.', { side: closed('buy', 'sell') }),
  position: gauge('position', 'Position.', { side: closed('buy', 'sell') }),
  sharpe: gauge('sharpe', 'Sharpe.', {}, { nonFinite: 'emit' }),
  latency: histogram('latency_ms', 'Latency.', {}, { buckets: [1, 5, 10] }),
}) {}

const desk = () => new Desk({ onInvalidValue: throwOnInvalidValue });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('CounterHandle', () => {
  it('adds to its own series only, shared with other handles and unbound calls on it', () => {
    const d = desk();
    const buy = d.fills.bind({ side: 'buy' });
    const sell = d.fills.bind({ side: 'sell' });
    expect(buy).toBeInstanceOf(CounterHandle);
    buy.inc();
    buy.add(0.25);
    buy.add(0);
    d.fills.bind({ side: 'buy' }).inc();
    d.fills.inc({ side: 'buy' });
    expect(buy.value).toBe(3.25);
    expect(sell.value).toBe(0);
  });
});

describe('GaugeHandle', () => {
  it('sets, adds, increments and decrements', () => {
    const d = desk();
    const long = d.position.bind({ side: 'buy' });
    expect(long).toBeInstanceOf(GaugeHandle);
    expect(long).not.toBeInstanceOf(EmittingGaugeHandle);
    long.set(10);
    long.add(-2.5);
    long.inc();
    long.dec();
    long.dec();
    expect(long.value).toBe(6.5);
    // Its records reach its own series only: the other side was never bound or set, so it has none.
    const exposed = readExposition(new PrometheusWriter([d], { selfMetrics: false }).renderText());
    expect(exposed.value('position', { side: 'buy' })).toBe(6.5);
    expect(exposed.value('position', { side: 'sell' })).toBeUndefined();
  });

  it('is an EmittingGaugeHandle for a nonFinite: "emit" gauge', () => {
    const d = desk();
    const sharpe = d.sharpe.bind();
    expect(sharpe).toBeInstanceOf(EmittingGaugeHandle);
    sharpe.set(Number.NaN);
    expect(sharpe.value).toBeNaN();
    sharpe.set(1.25);
    sharpe.add(Number.NEGATIVE_INFINITY);
    expect(sharpe.value).toBe(Number.NEGATIVE_INFINITY);
    expect(d.sharpe.dropped).toBe(0);
  });
});

describe('HistogramHandle', () => {
  it('treats bucket bounds as inclusive upper bounds and cumulates only at exposition', () => {
    const d = desk();
    const h = d.latency.bind();
    expect(h).toBeInstanceOf(HistogramHandle);
    for (const v of [0, 1, 1.0000001, 5, 10, 10.5]) h.observe(v);
    // Stored per bucket, not cumulative: [0,1] has 2, (1,5] 2, (5,10] 1, (10,+Inf) 1.
    expect(Array.from(d.latency['~store'].counts)).toEqual([2, 2, 1, 1]);
    expect(h.count).toBe(6);
    expect(h.sum).toBe(27.5000001);
    expect(d.latency.buckets).toEqual([1, 5, 10]);
    expect(new PrometheusWriter([d], { selfMetrics: false }).renderText().split('\n').slice(-7)).toEqual([
      'latency_ms_bucket{le="1"} 2',
      'latency_ms_bucket{le="5"} 4',
      'latency_ms_bucket{le="10"} 5',
      'latency_ms_bucket{le="+Inf"} 6',
      'latency_ms_sum 27.5000001',
      'latency_ms_count 6',
      '',
    ]);
  });

  it('observeSince records performance.now() minus the start, with one clock read', () => {
    const d = desk();
    const h = d.latency.bind();
    const now = vi.spyOn(performance, 'now').mockReturnValue(1_007.5);
    h.observeSince(1_000);
    expect(now).toHaveBeenCalledTimes(1);
    now.mockReturnValue(2_000);
    h.observeSince(1_999.5);
    expect(h.count).toBe(2);
    expect(h.sum).toBe(8);
    expect(Array.from(d.latency['~store'].counts)).toEqual([1, 0, 1, 0]);
  });

  it('observeSince drops a start in the future (negative duration) like any negative sample', () => {
    const events: unknown[] = [];
    const d = new Desk({ onInvalidValue: (e) => events.push(e) });
    vi.spyOn(performance, 'now').mockReturnValue(10);
    d.latency.bind().observeSince(20);
    expect(d.latency.dropped).toBe(1);
    expect(events).toEqual([{ metric: 'latency_ms', value: -10, reason: 'negative' }]);
  });
});

describe('bucketIndex', () => {
  const bounds = Float64Array.from([0.5, 1, 2.5, 10]);

  it.each([
    [0, 0],
    [0.5, 0],
    [0.50001, 1],
    [1, 1],
    [2.5, 2],
    [3, 3],
    [10, 3],
    [10.000001, 4],
    [1e308, 4],
  ])('puts %s in bucket %s', (value, index) => {
    expect(bucketIndex(bounds, value)).toBe(index);
  });

  it('agrees with a linear scan for many values', () => {
    const linear = (v: number) => {
      const i = bounds.findIndex((b) => v <= b);
      return i < 0 ? bounds.length : i;
    };
    for (let v = 0; v <= 12; v += 0.125) expect(bucketIndex(bounds, v)).toBe(linear(v));
  });

  it('handles a single bound', () => {
    const one = Float64Array.from([5]);
    expect([bucketIndex(one, 4), bucketIndex(one, 5), bucketIndex(one, 6)]).toEqual([0, 0, 1]);
  });
});
