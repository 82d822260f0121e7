import { describe, expectTypeOf, it } from 'vitest';
import { GatewayMetrics } from '../catalogs/gateway.js';
import { MarketDataMetrics } from '../catalogs/market-data.js';
import { catalog } from '../define/catalog.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram, type InferLabels } from '../define/metric.js';
import type { HandlesByValue, InferClosedLabels } from './bind-each.js';
import type { CounterHandle, GaugeHandle, HistogramHandle } from './handles.js';

const md = new MarketDataMetrics();
const gw = new GatewayMetrics();

const defs = {
  orders: counter('orders_total', 'Orders.', { side: closed('buy', 'sell'), symbol: open({ budget: 2 }) }),
  up: gauge('up', 'Up.', {}),
  latency: histogram('latency_ms', 'Latency.', { side: closed('buy', 'sell') }, { buckets: [1] }),
} as const;
const shop = new (catalog(defs))();

describe('bindEach takes a closed label', () => {
  it('returns a record from each value to the family kind’s handle', () => {
    expectTypeOf(md.parseErrors.bindEach('reason', { exchange: 'okx' })).toEqualTypeOf<{
      readonly invalid_json: CounterHandle;
      readonly unknown_type: CounterHandle;
      readonly missing_field: CounterHandle;
      readonly invalid_value: CounterHandle;
    }>();
    expectTypeOf(md.connectionStatus.bindEach('exchange')).toEqualTypeOf<{
      readonly binance: GaugeHandle;
      readonly okx: GaugeHandle;
      readonly bybit: GaugeHandle;
      readonly coinbase: GaugeHandle;
    }>();
    expectTypeOf(shop.latency.bindEach('side')).toEqualTypeOf<{
      readonly buy: HistogramHandle;
      readonly sell: HistogramHandle;
    }>();
    expectTypeOf(gw.orders.bindEach('type', { exchange: 'okx', symbol: 'X', side: 'buy' })).toEqualTypeOf<{
      readonly limit: CounterHandle;
      readonly market: CounterHandle;
    }>();
    expectTypeOf<HandlesByValue<{ readonly a: 'x' | 'y'; readonly b: string }, 'a', GaugeHandle>>().toEqualTypeOf<{
      readonly x: GaugeHandle;
      readonly y: GaugeHandle;
    }>();
  });

  it('rejects an open label, an unknown label and a metric without labels', () => {
    // @ts-expect-error symbol is open: its values are not known at compile time
    shop.orders.bindEach('symbol', { side: 'buy' });
    // @ts-expect-error reasons is not a label
    md.parseErrors.bindEach('reasons', { exchange: 'okx' });
    // @ts-expect-error up has no labels
    shop.up.bindEach('side');
  });

  it('requires every other label and no more', () => {
    // @ts-expect-error exchange is missing
    md.parseErrors.bindEach('reason');
    // @ts-expect-error exchange is missing
    md.parseErrors.bindEach('reason', {});
    // @ts-expect-error reason is the enumerated label, not one of the others
    md.parseErrors.bindEach('reason', { exchange: 'okx', reason: 'invalid_json' });
    // @ts-expect-error kraken is not a declared exchange
    md.parseErrors.bindEach('reason', { exchange: 'kraken' });
    // @ts-expect-error venue is not declared
    md.parseErrors.bindEach('reason', { exchange: 'okx', venue: 'x' });
    // @ts-expect-error the only label is the enumerated one, so no other label fits
    shop.latency.bindEach('side', { side: 'buy' });
    shop.latency.bindEach('side', {});
  });

  it('keys the record by the declared values only', () => {
    const errors = md.parseErrors.bindEach('reason', { exchange: 'okx' });
    // @ts-expect-error bad_json is not a declared reason
    errors.bad_json.inc();
    // @ts-expect-error the record is read-only
    errors.invalid_json = errors.unknown_type;
  });
});

describe('InferClosedLabels', () => {
  it('gives the closed labels of a label object type', () => {
    expectTypeOf<InferClosedLabels<InferLabels<typeof defs.orders>>>().toEqualTypeOf<'side'>();
    expectTypeOf<InferClosedLabels<InferLabels<typeof defs.up>>>().toEqualTypeOf<never>();
    expectTypeOf<InferClosedLabels<{ readonly a: string; readonly b: 'x' | 'y' }>>().toEqualTypeOf<'b'>();
  });
});
