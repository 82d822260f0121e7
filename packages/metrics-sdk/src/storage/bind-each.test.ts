import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { MetricLabelError } from '../define/errors.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { CounterHandle, EmittingGaugeHandle, GaugeHandle, HistogramHandle } from './handles.js';
import { throwOnInvalidValue } from './invalid.js';

const defs = {
  errors: counter('parse_errors_total', 'Parse errors.', {
    venue: closed('a', 'b'),
    reason: closed('bad_json', 'missing_field', '__proto__'),
  }),
  orders: counter('orders_total', 'Orders.', { side: closed('buy', 'sell'), symbol: open({ budget: 2 }) }),
  status: gauge('status', 'Status.', { venue: closed('a', 'b') }),
  sharpe: gauge('sharpe', 'Sharpe.', { side: closed('buy', 'sell') }, { nonFinite: 'emit' }),
  latency: histogram('latency_ms', 'Latency.', { side: closed('buy', 'sell') }, { buckets: [1, 5] }),
  up: gauge('up', 'Up.', {}),
} as const;

class Shop extends catalog(defs) {}

const strict = () => new Shop({ onInvalidValue: throwOnInvalidValue });

/** The MetricLabelError `fn` throws. */
function labelErrorOf(fn: () => unknown): MetricLabelError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MetricLabelError);
    return error as MetricLabelError;
  }
  throw new Error('expected a MetricLabelError');
}

/**
 * An untyped caller: what plain JavaScript can pass. The cast is the point of these tests.
 */
type Untyped = { bindEach(label: unknown, labels?: unknown): Readonly<Record<string, unknown>> };
const untyped = (family: unknown): Untyped => family as Untyped;

describe('bindEach', () => {
  it('binds one handle per closed value, keys in declaration order, frozen', () => {
    const shop = strict();
    const errors = shop.errors.bindEach('reason', { venue: 'a' });
    expect(Object.keys(errors)).toEqual(['bad_json', 'missing_field', '__proto__']);
    expect(Object.isFrozen(errors)).toBe(true);
    for (const handle of Object.values(errors)) expect(handle).toBeInstanceOf(CounterHandle);
    // A value named like an Object.prototype key is an own key, not the prototype.
    expect(Object.hasOwn(errors, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(errors)).toBe(Object.prototype);
  });

  it('records into the same series as a record call with the full label set', () => {
    const shop = strict();
    const errors = shop.errors.bindEach('reason', { venue: 'b' });
    errors.bad_json.inc();
    errors.missing_field.add(2);
    shop.errors.inc({ venue: 'b', reason: 'bad_json' });
    expect(errors.bad_json.value).toBe(2);
    expect(errors.missing_field.value).toBe(2);
    expect(shop.errors.seriesCount).toBe(3);
  });

  it('creates every series at 0 (they appear in the exposition before any record)', () => {
    const shop = strict();
    shop.status.bindEach('venue').a.set(1);
    expect(new PrometheusWriter([shop], { selfMetrics: false }).renderText()).toContain(
      ['# HELP status Status.', '# TYPE status gauge', 'status{venue="a"} 1', 'status{venue="b"} 0', ''].join('\n'),
    );
  });

  it('works for each kind, with the handle class bind() returns', () => {
    const shop = strict();
    const status = shop.status.bindEach('venue');
    expect(status.a).toBeInstanceOf(GaugeHandle);
    const sharpe = shop.sharpe.bindEach('side');
    expect(sharpe.buy).toBeInstanceOf(EmittingGaugeHandle);
    sharpe.buy.set(Number.NaN);
    expect(sharpe.buy.value).toBeNaN();
    const latency = shop.latency.bindEach('side');
    expect(latency.sell).toBeInstanceOf(HistogramHandle);
    latency.sell.observe(3);
    expect(shop.latency.seriesCount).toBe(2);
  });

  it('takes the closed label next to an open one', () => {
    const shop = strict();
    const orders = shop.orders.bindEach('side', { symbol: 'BTCUSDT' });
    orders.sell.inc();
    expect(new PrometheusWriter([shop], { selfMetrics: false }).renderText()).toContain(
      ['orders_total{side="buy",symbol="BTCUSDT"} 0', 'orders_total{side="sell",symbol="BTCUSDT"} 1', ''].join('\n'),
    );
  });
});

describe('bindEach from untyped callers', () => {
  it('rejects an open label, naming the metric and the label', () => {
    const error = labelErrorOf(() => untyped(strict().orders).bindEach('symbol', { side: 'buy' }));
    expect(error.metric).toBe('orders_total');
    expect(error.label).toBe('symbol');
    expect(error.allowed).toEqual([]);
    expect(error.message).toContain('"symbol" is open');
    expect(error.message).toContain('closed labels: side');
  });

  it('rejects an undeclared label', () => {
    const error = labelErrorOf(() => untyped(strict().errors).bindEach('reasons', { venue: 'a' }));
    expect(error.metric).toBe('parse_errors_total');
    expect(error.label).toBe('reasons');
    expect(error.message).toContain('closed label of parse_errors_total: venue, reason');
  });

  it('rejects any label on a metric without labels', () => {
    const error = labelErrorOf(() => untyped(strict().up).bindEach('venue'));
    expect(error.metric).toBe('up');
    expect(error.message).toContain('(none)');
  });

  it('rejects a label name that is not a string', () => {
    const error = labelErrorOf(() => untyped(strict().status).bindEach(undefined));
    expect(error.label).toBe('undefined');
  });

  it('rejects the enumerated label among the other labels', () => {
    const error = labelErrorOf(() => untyped(strict().errors).bindEach('reason', { venue: 'a', reason: 'bad_json' }));
    expect(error.label).toBe('reason');
    expect(error.value).toBe('bad_json');
  });

  it('checks the other labels as bind() does', () => {
    const shop = strict();
    const missing = labelErrorOf(() => untyped(shop.errors).bindEach('reason'));
    expect(missing.label).toBe('venue');
    expect(missing.value).toBeUndefined();
    const outside = labelErrorOf(() => untyped(shop.errors).bindEach('reason', { venue: 'c' }));
    expect(outside.label).toBe('venue');
    expect(outside.allowed).toEqual(['a', 'b']);
    const unknown = labelErrorOf(() => untyped(shop.status).bindEach('venue', { region: 'eu' }));
    expect(unknown.label).toBe('region');
    const notObject = labelErrorOf(() => untyped(shop.errors).bindEach('reason', 'a'));
    expect(notObject.value).toBe('a');
    // Nothing was bound by the failed calls.
    expect(shop.errors.seriesCount).toBe(0);
    expect(shop.status.seriesCount).toBe(0);
  });
});
