import { describe, expect, it } from 'vitest';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { CounterFamily, GaugeFamily, HistogramFamily } from '../storage/families.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { catalog } from './catalog.js';
import { closed, open } from './labels.js';
import { counter, gauge, histogram } from './metric.js';

const defs = {
  orders: counter('orders_total', 'Orders.', { side: closed('buy', 'sell'), symbol: open({ budget: 2 }) }),
  price: gauge('price', 'Price.', { symbol: open({ budget: 2 }) }),
  latency: histogram('latency_seconds', 'Latency.', {}, { buckets: [0.1, 1] }),
} as const;

class Shop extends catalog(defs) {}

describe('catalog()', () => {
  it('freezes the declarations deeply, and keeps them on the class', () => {
    expect(Shop.definitions).toBe(defs);
    expect(Object.isFrozen(Shop.definitions)).toBe(true);
    expect(Object.isFrozen(defs.orders)).toBe(true);
    expect(Object.isFrozen(defs.orders.labels)).toBe(true);
    expect(Object.isFrozen(defs.orders.labels.symbol)).toBe(true);
    expect(Object.isFrozen(defs.latency.buckets)).toBe(true);
    expect(() => {
      (defs.orders as { name: string }).name = 'renamed_total';
    }).toThrow(TypeError);
    expect(defs.orders.name).toBe('orders_total');
  });

  it('freezes the inner declarations of an already frozen catalog object', () => {
    const inner = { g: gauge('g', 'h', { symbol: open({ budget: 1 }) }) };
    catalog(Object.freeze(inner));
    expect(Object.isFrozen(inner.g)).toBe(true);
    expect(Object.isFrozen(inner.g.labels.symbol)).toBe(true);
  });

  it('exposes one family per key, of the declared kind, and ~families in declaration order', () => {
    const shop = new Shop({ onInvalidValue: throwOnInvalidValue });
    expect(shop.orders).toBeInstanceOf(CounterFamily);
    expect(shop.price).toBeInstanceOf(GaugeFamily);
    expect(shop.latency).toBeInstanceOf(HistogramFamily);
    expect(shop['~families']).toEqual([shop.orders, shop.price, shop.latency]);
    expect(shop['~families'].map((f) => f.name)).toEqual(['orders_total', 'price', 'latency_seconds']);
    expect(Object.isFrozen(shop['~families'])).toBe(true);
    expect(Object.keys(shop)).toEqual(['orders', 'price', 'latency']);
    expect(shop.orders.labelNames).toEqual(['side', 'symbol']);
    expect(shop.orders.help).toBe('Orders.');
  });

  it('gives every instance its own storage', () => {
    const a = new Shop({ onInvalidValue: throwOnInvalidValue });
    const b = new Shop({ onInvalidValue: throwOnInvalidValue });
    a.orders.inc({ side: 'buy', symbol: 'X' });
    expect(a.orders.seriesCount).toBe(1);
    expect(b.orders.seriesCount).toBe(0);
  });

  it('applies budget overrides: more series fit before the overflow slot', () => {
    const small = new Shop({ onInvalidValue: throwOnInvalidValue });
    const big = new Shop({ onInvalidValue: throwOnInvalidValue, budgets: { price: { symbol: 5 } } });
    for (const symbol of ['A', 'B', 'C', 'D', 'E']) {
      small.price.set({ symbol }, 1);
      big.price.set({ symbol }, 1);
    }
    expect(small.price.overflowed).toBe(3);
    expect(small.price.seriesCount).toBe(3); // A, B and the overflow series
    expect(big.price.overflowed).toBe(0);
    expect(big.price.seriesCount).toBe(5);
    big.price.set({ symbol: 'F' }, 1);
    expect(big.price.overflowed).toBe(1);
    // The override applies to that metric only.
    expect(big.orders['~store'].layout.capacity).toBe(2 * 2 + 1);
    expect(big.price['~store'].layout.capacity).toBe(6);
  });

  it('reads the injected clock once, when a series is first resolved', () => {
    let clock = 1_000;
    let reads = 0;
    const shop = new Shop({
      onInvalidValue: throwOnInvalidValue,
      now: () => {
        reads++;
        return clock;
      },
    });
    const buy = shop.orders.bind({ side: 'buy', symbol: 'X' });
    clock = 2_000;
    buy.inc();
    shop.orders.inc({ side: 'buy', symbol: 'X' });
    shop.orders.inc({ side: 'sell', symbol: 'X' });
    const store = shop.orders['~store'];
    expect(reads).toBe(2);
    expect(store.series.map((offset) => store.startTimes[offset])).toEqual([1_000, 2_000]);
  });

  it('runs beforeCollect hooks once per render, before reading the values', () => {
    const shop = new Shop({ onInvalidValue: throwOnInvalidValue });
    let runs = 0;
    shop.beforeCollect(() => {
      runs++;
      shop.price.set({ symbol: 'X' }, runs);
    });
    const writer = new PrometheusWriter([shop]);
    writer.render();
    expect(writer.renderText()).toContain('price{symbol="X"} 2\n');
    expect(runs).toBe(2);
  });
});
