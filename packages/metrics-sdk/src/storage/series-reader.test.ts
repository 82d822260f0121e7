import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { throwOnInvalidValue } from './invalid.js';

class Desk extends catalog({
  orders: counter('orders_total', 'Orders.', { side: closed('buy', 'sell'), symbol: open({ budget: 1 }) }),
  price: gauge('price', 'Price.', { side: closed('buy', 'sell') }, { unit: 'usd' }),
  latency: histogram('latency_ms', 'Latency.', {}, { unit: 'ms', buckets: [1, 5] }),
}) {}

const desk = () => new Desk({ onInvalidValue: throwOnInvalidValue, onOverflow: () => undefined, now: () => 1234 });

describe('SeriesReader', () => {
  it('describes its family and hands out the family’s own arrays, not copies', () => {
    const d = desk();
    const price = d.price['~reader'];
    expect([price.kind, price.name, price.help, price.unit, price.labelNames]).toEqual([
      'gauge',
      'price',
      'Price.',
      'usd',
      ['side'],
    ]);
    expect(price.values).toBe(d.price['~store'].values);
    expect(price.sums.length).toBe(0);
    expect(price.overflowable).toBe(false);
    expect(d.orders['~reader'].overflowable).toBe(true);
    expect(d.price['~reader']).toBe(price);
  });

  it('names a histogram’s sums apart from a gauge’s values', () => {
    const d = desk();
    d.latency.observe({}, 3);
    d.latency.observe({}, 7);
    const latency = d.latency['~reader'];
    expect(latency.values.length).toBe(0);
    expect(latency.sums[0]).toBe(10);
    expect(Array.from(latency.bounds)).toEqual([1, 5]);
    expect(latency.stride).toBe(3);
    expect(Array.from(latency.bucketCounts.subarray(0, 3))).toEqual([0, 1, 1]);
  });

  it('sees series, start times, labels and stats as they change, and bumps the generation on removal', () => {
    const d = desk();
    const orders = d.orders['~reader'];
    d.orders.inc({ side: 'sell', symbol: 'A' });
    d.orders.inc({ side: 'buy', symbol: 'B' }); // past the budget of 1: the overflow series
    expect(orders.series.map((offset) => orders.labelValues(offset))).toEqual([['sell', 'A'], null]);
    expect(orders.startTimes[orders.series[0] as number]).toBe(1234);
    expect(orders.stats.overflowed).toBe(1);
    expect(orders.generation).toBe(0);
    d.orders.remove({ side: 'sell', symbol: 'A' });
    expect(orders.series).toHaveLength(1);
    expect(orders.generation).toBe(1);
  });
});
