import { readExposition } from '@ttquant/test-kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { catalog } from '../define/catalog.js';
import { MetricLabelError } from '../define/errors.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { type InvalidValueEvent, throwOnInvalidValue } from './invalid.js';

const defs = {
  orders: counter('orders_total', 'Orders sent.', { side: closed('buy', 'sell'), symbol: open({ budget: 2 }) }),
  price: gauge('last_price', 'Last price.', { symbol: open({ budget: 2 }) }),
  up: gauge('up', 'Feed is up.', {}),
  sharpe: gauge(
    'sharpe_ratio',
    'Sharpe; NaN until enough samples.',
    { symbol: open({ budget: 4 }) },
    { nonFinite: 'emit' },
  ),
  latency: histogram('latency_ms', 'Latency.', { side: closed('buy', 'sell') }, { buckets: [1, 5, 10] }),
} as const;

class Shop extends catalog(defs) {}

/** A strict shop: any dropped value throws, so a test cannot drop one by accident. */
const strict = () => new Shop({ onInvalidValue: throwOnInvalidValue });

/** Runs `fn` and returns the MetricLabelError it throws. */
function labelErrorOf(fn: () => unknown): MetricLabelError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MetricLabelError);
    return error as MetricLabelError;
  }
  throw new Error('expected a MetricLabelError');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('exposition after records', () => {
  it('renders bound-handle and unbound records identically, histograms cumulative', () => {
    const shop = strict();
    const buyX = shop.orders.bind({ side: 'buy', symbol: 'X' });
    buyX.inc();
    buyX.add(2.5);
    shop.orders.inc({ side: 'sell', symbol: 'Y' });
    shop.orders.add({ side: 'buy', symbol: 'X' }, 1);
    shop.price.set({ symbol: 'X' }, 101.25);
    const priceY = shop.price.bind({ symbol: 'Y' });
    priceY.set(-3);
    priceY.add(1);
    shop.up.bind().set(1);
    const buyLatency = shop.latency.bind({ side: 'buy' });
    buyLatency.observe(0.5);
    buyLatency.observe(5);
    shop.latency.observe({ side: 'buy' }, 7);
    shop.latency.observe({ side: 'buy' }, 1000);
    shop.latency.observe({ side: 'sell' }, 1);

    expect(new PrometheusWriter([shop], { selfMetrics: false }).renderText()).toBe(
      [
        '# HELP orders_total Orders sent.',
        '# TYPE orders_total counter',
        'orders_total{side="buy",symbol="X"} 4.5',
        'orders_total{side="sell",symbol="Y"} 1',
        '# HELP last_price Last price.',
        '# TYPE last_price gauge',
        'last_price{symbol="X"} 101.25',
        'last_price{symbol="Y"} -2',
        '# HELP up Feed is up.',
        '# TYPE up gauge',
        'up 1',
        '# HELP sharpe_ratio Sharpe; NaN until enough samples.',
        '# TYPE sharpe_ratio gauge',
        '# HELP latency_ms Latency.',
        '# TYPE latency_ms histogram',
        'latency_ms_bucket{side="buy",le="1"} 1',
        'latency_ms_bucket{side="buy",le="5"} 2',
        'latency_ms_bucket{side="buy",le="10"} 3',
        'latency_ms_bucket{side="buy",le="+Inf"} 4',
        'latency_ms_sum{side="buy"} 1012.5',
        'latency_ms_count{side="buy"} 4',
        'latency_ms_bucket{side="sell",le="1"} 1',
        'latency_ms_bucket{side="sell",le="5"} 1',
        'latency_ms_bucket{side="sell",le="10"} 1',
        'latency_ms_bucket{side="sell",le="+Inf"} 1',
        'latency_ms_sum{side="sell"} 1',
        'latency_ms_count{side="sell"} 1',
        '',
      ].join('\n'),
    );
  });

  it('creates a series at 0 when a handle is bound, before any record', () => {
    const shop = strict();
    shop.orders.bind({ side: 'sell', symbol: 'Z' });
    shop.latency.bind({ side: 'sell' });
    const text = new PrometheusWriter([shop]).renderText();
    expect(text).toContain('orders_total{side="sell",symbol="Z"} 0\n');
    expect(text).toContain('latency_ms_bucket{side="sell",le="+Inf"} 0\nlatency_ms_sum{side="sell"} 0\n');
    expect(shop.orders.seriesCount).toBe(1);
  });

  it('stores NaN and ±Inf in a nonFinite: "emit" gauge and spells them for Prometheus', () => {
    const shop = strict();
    shop.sharpe.set({ symbol: 'A' }, Number.NaN);
    shop.sharpe.bind({ symbol: 'B' }).set(Number.POSITIVE_INFINITY);
    shop.sharpe.bind({ symbol: 'C' }).set(Number.NEGATIVE_INFINITY);
    const d = shop.sharpe.bind({ symbol: 'D' });
    d.set(1.5);
    d.add(Number.NaN);
    expect(shop.sharpe.dropped).toBe(0);
    const text = new PrometheusWriter([shop]).renderText();
    expect(text).toContain(
      [
        'sharpe_ratio{symbol="A"} NaN',
        'sharpe_ratio{symbol="B"} +Inf',
        'sharpe_ratio{symbol="C"} -Inf',
        'sharpe_ratio{symbol="D"} NaN',
      ].join('\n'),
    );
  });
});

describe('label errors (untyped callers)', () => {
  // Untyped JavaScript reaches these; the casts stand in for it.
  const untyped = (value: unknown) => value as never;

  it('names the metric, the label, the value and the allowed values for a wrong closed value', () => {
    const shop = strict();
    const error = labelErrorOf(() => shop.orders.inc(untyped({ side: 'short', symbol: 'X' })));
    expect(error.name).toBe('MetricLabelError');
    expect(error.metric).toBe('orders_total');
    expect(error.label).toBe('side');
    expect(error.value).toBe('short');
    expect(error.allowed).toEqual(['buy', 'sell']);
    expect(error.message).toBe('orders_total: label "side" got "short"; allowed: buy, sell');
  });

  it('reports a missing label', () => {
    const shop = strict();
    const error = labelErrorOf(() => shop.orders.bind(untyped({ side: 'buy' })));
    expect([error.metric, error.label, error.value, error.allowed]).toEqual(['orders_total', 'symbol', undefined, []]);
    expect(error.message).toBe('orders_total: label "symbol" got "undefined"; missing; declared: side, symbol');
  });

  it('reports an unknown extra label when the series is first resolved', () => {
    const shop = strict();
    // Every value is known to the fast resolver here (closed), so only the slow path can catch it.
    const error = labelErrorOf(() => shop.latency.bind(untyped({ side: 'buy', venue: 'okx' })));
    expect([error.metric, error.label, error.value, error.allowed]).toEqual(['latency_ms', 'venue', 'okx', []]);
    expect(error.message).toBe('latency_ms: label "venue" got "okx"; unknown label; declared: side');
    expect(shop.latency.seriesCount).toBe(0);
    const open = labelErrorOf(() => shop.orders.inc(untyped({ side: 'buy', symbol: 'X', venue: 'okx' })));
    expect(open.label).toBe('venue');
    expect(shop.orders.seriesCount).toBe(0);
  });

  it('rejects labels on a label-less metric, and accepts no labels at all', () => {
    const shop = strict();
    const error = labelErrorOf(() => shop.up.set(untyped({ host: 'a' }), 1));
    expect(error.message).toBe('up: label "host" got "a"; unknown label; declared: (none)');
    shop.up.set(untyped(undefined), 2);
    expect(readExposition(new PrometheusWriter([shop], { selfMetrics: false }).renderText()).value('up')).toBe(2);
  });

  it('reports a non-string open value', () => {
    const shop = strict();
    const error = labelErrorOf(() => shop.price.set(untyped({ symbol: 42 }), 1));
    expect([error.metric, error.label, error.value, error.allowed]).toEqual(['last_price', 'symbol', 42, []]);
    expect(error.message).toBe('last_price: label "symbol" got "42"; expected a string');
  });

  it('reports a non-string closed value with the allowed values', () => {
    const shop = strict();
    const error = labelErrorOf(() => shop.latency.observe(untyped({ side: 1 }), 1));
    expect(error.value).toBe(1);
    expect(error.message).toBe('latency_ms: label "side" got "1"; allowed: buy, sell');
  });

  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    ['buy', 'buy'],
  ])('reports a non-object label argument %j', (labels, shown) => {
    const shop = strict();
    const error = labelErrorOf(() => shop.orders.inc(untyped(labels)));
    expect([error.metric, error.label, error.value]).toEqual(['orders_total', 'side', labels]);
    expect(error.message).toBe(`orders_total: label "side" got "${shown}"; expected an object of labels`);
  });

  it('leaves storage untouched when a label is rejected', () => {
    const shop = strict();
    labelErrorOf(() => shop.orders.inc(untyped({ side: 'buy', symbol: 7 })));
    expect(shop.orders.seriesCount).toBe(0);
    expect(shop.orders.overflowed).toBe(0);
    expect(shop.orders['~store'].layout.axes[1]?.interner?.values).toEqual([]);
  });

  it('spends no open budget on a call rejected by a later label', () => {
    const Cat = catalog({ m: counter('m_total', 'h', { symbol: open({ budget: 1 }), side: closed('buy', 'sell') }) });
    const c = new Cat({ onInvalidValue: throwOnInvalidValue });
    labelErrorOf(() => c.m.inc(untyped({ symbol: 'X', side: 'short' })));
    c.m.inc({ symbol: 'Y', side: 'buy' });
    expect(c.m.overflowed).toBe(0);
    expect(c.m['~store'].layout.axes[0]?.interner?.values).toEqual(['Y']);
  });
});

describe('invalid values', () => {
  function recording() {
    const events: InvalidValueEvent[] = [];
    const shop = new Shop({ onInvalidValue: (event) => events.push(event) });
    return { shop, events };
  }

  it('drops bad counter increments, counts them and reports each', () => {
    const { shop, events } = recording();
    const h = shop.orders.bind({ side: 'buy', symbol: 'X' });
    h.add(-1);
    h.add(Number.NaN);
    h.add(Number.POSITIVE_INFINITY);
    shop.orders.add({ side: 'buy', symbol: 'X' }, Number.NEGATIVE_INFINITY);
    shop.orders.add({ side: 'buy', symbol: 'X' }, -0.5);
    h.add(2);
    expect(h.value).toBe(2);
    expect(shop.orders.dropped).toBe(5);
    expect(events).toEqual([
      { metric: 'orders_total', value: -1, reason: 'negative' },
      { metric: 'orders_total', value: Number.NaN, reason: 'not-finite' },
      { metric: 'orders_total', value: Number.POSITIVE_INFINITY, reason: 'not-finite' },
      { metric: 'orders_total', value: Number.NEGATIVE_INFINITY, reason: 'not-finite' },
      { metric: 'orders_total', value: -0.5, reason: 'negative' },
    ]);
  });

  it('drops non-finite gauge values but keeps negatives', () => {
    const { shop, events } = recording();
    const h = shop.price.bind({ symbol: 'X' });
    h.set(-7);
    h.set(Number.NaN);
    h.add(Number.POSITIVE_INFINITY);
    shop.price.set({ symbol: 'X' }, Number.NEGATIVE_INFINITY);
    shop.price.add({ symbol: 'X' }, Number.NaN);
    expect(h.value).toBe(-7);
    expect(shop.price.dropped).toBe(4);
    expect(events.map((e) => e.reason)).toEqual(['not-finite', 'not-finite', 'not-finite', 'not-finite']);
    expect(events.map((e) => e.metric)).toEqual(['last_price', 'last_price', 'last_price', 'last_price']);
  });

  it('drops negative and non-finite histogram samples', () => {
    const { shop, events } = recording();
    const h = shop.latency.bind({ side: 'buy' });
    h.observe(-1);
    h.observe(Number.NaN);
    shop.latency.observe({ side: 'buy' }, Number.POSITIVE_INFINITY);
    h.observe(3);
    expect([h.count, h.sum]).toEqual([1, 3]);
    expect(shop.latency.dropped).toBe(3);
    expect(events).toEqual([
      { metric: 'latency_ms', value: -1, reason: 'negative' },
      { metric: 'latency_ms', value: Number.NaN, reason: 'not-finite' },
      { metric: 'latency_ms', value: Number.POSITIVE_INFINITY, reason: 'not-finite' },
    ]);
  });

  it('warns once per metric by default, and keeps counting', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const shop = new Shop();
    shop.orders.add({ side: 'buy', symbol: 'X' }, -1);
    shop.orders.add({ side: 'buy', symbol: 'X' }, Number.NaN);
    shop.price.set({ symbol: 'X' }, Number.NaN);
    shop.price.bind({ symbol: 'X' }).set(Number.POSITIVE_INFINITY);
    expect(shop.orders.dropped).toBe(2);
    expect(shop.price.dropped).toBe(2);
    expect(warn.mock.calls).toEqual([
      [
        'orders_total: dropped negative value -1; further drops of this metric are counted, not logged',
        'MetricsWarning',
      ],
      [
        'last_price: dropped not-finite value NaN; further drops of this metric are counted, not logged',
        'MetricsWarning',
      ],
    ]);
  });

  it('throws from throwOnInvalidValue, after counting the drop', () => {
    const shop = strict();
    const h = shop.orders.bind({ side: 'buy', symbol: 'X' });
    expect(() => h.add(-2)).toThrow(new RangeError('orders_total: invalid value -2 (negative)'));
    expect(() => shop.latency.observe({ side: 'sell' }, Number.NaN)).toThrow(RangeError);
    expect(h.value).toBe(0);
    expect(shop.orders.dropped).toBe(1);
    expect(shop.latency.dropped).toBe(1);
  });
});

describe('open label budgets', () => {
  it('folds label sets past the budget into one otel_metric_overflow series and counts every fold', () => {
    const shop = strict();
    shop.orders.inc({ side: 'buy', symbol: 'A' });
    shop.orders.inc({ side: 'buy', symbol: 'B' });
    shop.orders.inc({ side: 'buy', symbol: 'C' });
    shop.orders.add({ side: 'buy', symbol: 'D' }, 2);
    const e = shop.orders.bind({ side: 'sell', symbol: 'E' });
    e.inc();
    e.inc();
    shop.orders.inc({ side: 'buy', symbol: 'A' });
    // C, D and the bind of E: two records and one bind resolved to the overflow series.
    expect(shop.orders.overflowed).toBe(3);
    shop.orders.inc({ side: 'buy', symbol: 'C' });
    expect(shop.orders.overflowed).toBe(4);
    expect(shop.orders.dropped).toBe(0);
    // Nothing is lost: C 1 + D 2 + E 2 + C 1 in the overflow series, with no other label.
    const text = new PrometheusWriter([shop]).renderText();
    expect(text.split('\n').slice(0, 6)).toEqual([
      '# HELP orders_total Orders sent.',
      '# TYPE orders_total counter',
      'orders_total{side="buy",symbol="A"} 2',
      'orders_total{side="buy",symbol="B"} 1',
      'orders_total{otel_metric_overflow="true"} 6',
      '# HELP last_price Last price.',
    ]);
    expect(text).toContain('ttquant_metrics_overflow_records_total{metric="orders_total"} 4\n');
  });

  it('counts a record once when several of its open labels overflow', () => {
    const Cat = catalog({ m: counter('m_total', 'h', { a: open({ budget: 1 }), b: open({ budget: 1 }) }) });
    const c = new Cat({ onInvalidValue: throwOnInvalidValue });
    c.m.inc({ a: 'x', b: 'y' });
    c.m.inc({ a: 'x2', b: 'y2' });
    c.m.inc({ a: 'x', b: 'y2' });
    c.m.inc({ a: 'x3', b: 'y' });
    // x2 and y2 were never interned: a folded record takes no slot from another open label.
    expect(c.m['~store'].layout.axes.map((axis) => axis.interner?.values)).toEqual([['x'], ['y']]);
    expect(c.m.overflowed).toBe(3);
    expect(new PrometheusWriter([c], { selfMetrics: false }).renderText()).toBe(
      [
        '# HELP m_total h',
        '# TYPE m_total counter',
        'm_total{a="x",b="y"} 1',
        'm_total{otel_metric_overflow="true"} 3',
        '',
      ].join('\n'),
    );
  });

  it('never reallocates storage, so an early handle stays live after overflow', () => {
    const shop = strict();
    const values = shop.price['~store'].values;
    const a = shop.price.bind({ symbol: 'A' });
    for (let i = 0; i < 50; i++) shop.price.set({ symbol: `S${i}` }, i);
    a.set(9);
    expect(shop.price['~store'].values).toBe(values);
    expect(values.length).toBe(3);
    expect(shop.price.seriesCount).toBe(3);
    expect(a.value).toBe(9);
  });
});
