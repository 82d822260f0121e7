import { describe, expectTypeOf, it } from 'vitest';
import { catalog, type InferCatalog } from '../define/catalog.js';
import { closed, type NoLabels, open } from '../define/labels.js';
import { counter, gauge, histogram, type InferLabels } from '../define/metric.js';
import type { CounterFamily, GaugeFamily, HistogramFamily } from '../storage/families.js';
import type { CounterHandle, GaugeHandle, HistogramHandle } from '../storage/handles.js';
import { EngineMetrics, type engineDefinitions } from './engine.js';
import { GatewayMetrics, type gatewayDefinitions } from './gateway.js';
import { MarketDataMetrics, type marketDataDefinitions } from './market-data.js';
import { StrategyMetrics } from './strategy.js';

type Exchange = 'binance' | 'okx' | 'bybit' | 'coinbase';

const md = new MarketDataMetrics();
const gw = new GatewayMetrics();
const sm = new StrategyMetrics();
const engine = new EngineMetrics();

describe('record calls check labels at compile time', () => {
  it('accepts the declared labels', () => {
    md.received.inc({ exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' });
    md.latency.observe({ exchange: 'okx', type: 'book' }, 3.2);
    gw.orders.inc({ exchange: 'okx', symbol: 'ETHUSDT', side: 'buy', type: 'limit' });
    sm.sharpe.set({ strategy: 'ma_cross' }, Number.NaN);
    engine.uptime.set({}, 12);
  });

  it('rejects a wrong closed value', () => {
    // @ts-expect-error 'kraken' is not a declared exchange
    md.received.inc({ exchange: 'kraken', symbol: 'BTCUSDT', type: 'trade' });
    // @ts-expect-error 'short' is not a side
    gw.trades.bind({ exchange: 'okx', symbol: 'X', side: 'short' });
    // @ts-expect-error 'stop' is not an order type
    gw.orders.inc({ exchange: 'okx', symbol: 'X', side: 'buy', type: 'stop' });
  });

  it('rejects a missing label', () => {
    // @ts-expect-error symbol is missing
    md.received.inc({ exchange: 'binance', type: 'trade' });
    // @ts-expect-error operation is missing
    gw.orderLatency.bind({ exchange: 'okx' });
  });

  it('rejects an extra label', () => {
    // @ts-expect-error venue is not declared
    md.connectionStatus.set({ exchange: 'binance', venue: 'x' }, 1);
    // @ts-expect-error a label-less metric takes no labels
    engine.activeStrategies.bind({ strategy: 'a' });
    // @ts-expect-error a label-less metric takes no labels
    engine.uptime.set({ strategy: 'a' }, 1);
  });

  it('rejects a wrong label type', () => {
    // @ts-expect-error symbol must be a string
    md.lastPrice.set({ exchange: 'binance', symbol: 42 }, 1);
    // @ts-expect-error strategy must be a string
    sm.pnl.set({ strategy: null }, 1);
    // @ts-expect-error the value must be a number
    sm.pnl.set({ strategy: 'a' }, '1');
  });

  it('allows bind() with no arguments only for label-less metrics', () => {
    expectTypeOf(engine.uptime.bind()).toEqualTypeOf<GaugeHandle>();
    expectTypeOf(engine.activeStrategies.bind({})).toEqualTypeOf<GaugeHandle>();
    // @ts-expect-error labels are required
    md.received.bind();
    // @ts-expect-error labels are required
    sm.sharpe.bind();
    expectTypeOf(md.received.bind).parameters.toEqualTypeOf<
      [labels: { readonly exchange: Exchange; readonly symbol: string; readonly type: 'trade' | 'ticker' | 'book' }]
    >();
  });
});

describe('inferred types', () => {
  it('InferLabels gives the exact label object', () => {
    expectTypeOf<InferLabels<typeof marketDataDefinitions.received>>().toEqualTypeOf<{
      readonly exchange: Exchange;
      readonly symbol: string;
      readonly type: 'trade' | 'ticker' | 'book';
    }>();
    expectTypeOf<InferLabels<typeof gatewayDefinitions.ordersFailed>>().toEqualTypeOf<{
      readonly exchange: Exchange;
      readonly reason: 'exchange_rejected' | 'rate_limited' | 'timeout' | 'network' | 'retries_exhausted';
    }>();
    expectTypeOf<InferLabels<typeof engineDefinitions.uptime>>().toEqualTypeOf<NoLabels>();
    expectTypeOf<InferLabels<string>>().toBeNever();
  });

  it('families have the declared kind and label type', () => {
    expectTypeOf(md.received).toEqualTypeOf<CounterFamily<InferLabels<typeof marketDataDefinitions.received>>>();
    expectTypeOf(md.lastPrice).toEqualTypeOf<GaugeFamily<InferLabels<typeof marketDataDefinitions.lastPrice>>>();
    expectTypeOf(gw.orderLatency).toEqualTypeOf<
      HistogramFamily<{ readonly exchange: Exchange; readonly operation: 'new' | 'cancel' }>
    >();
    expectTypeOf(md.received.kind).toEqualTypeOf<'counter'>();
  });

  it('handles have the right methods for their kind', () => {
    const counterHandle = md.received.bind({ exchange: 'okx', symbol: 'X', type: 'trade' });
    const gaugeHandle = md.lastPrice.bind({ exchange: 'okx', symbol: 'X' });
    const histogramHandle = md.latency.bind({ exchange: 'okx', type: 'trade' });
    expectTypeOf(counterHandle).toEqualTypeOf<CounterHandle>();
    expectTypeOf(gaugeHandle).toEqualTypeOf<GaugeHandle>();
    expectTypeOf(histogramHandle).toEqualTypeOf<HistogramHandle>();

    expectTypeOf(counterHandle.inc).toEqualTypeOf<() => void>();
    expectTypeOf(counterHandle.add).toEqualTypeOf<(value: number) => void>();
    expectTypeOf(counterHandle).not.toHaveProperty('observe');
    expectTypeOf(counterHandle).not.toHaveProperty('set');
    expectTypeOf(counterHandle).not.toHaveProperty('dec');
    // @ts-expect-error a counter cannot observe
    counterHandle.observe(1);
    // @ts-expect-error a counter cannot be set
    counterHandle.set(1);

    expectTypeOf(gaugeHandle).toHaveProperty('set');
    expectTypeOf(gaugeHandle).toHaveProperty('dec');
    expectTypeOf(gaugeHandle).not.toHaveProperty('observe');

    expectTypeOf(histogramHandle.observe).toEqualTypeOf<(value: number) => void>();
    expectTypeOf(histogramHandle.observeSince).toEqualTypeOf<(start: number) => void>();
    expectTypeOf(histogramHandle).not.toHaveProperty('inc');
    expectTypeOf(histogramHandle).not.toHaveProperty('set');
    expectTypeOf(histogramHandle.count).toEqualTypeOf<number>();

    // Families: no observe on a counter, no inc on a histogram.
    expectTypeOf(md.received).not.toHaveProperty('observe');
    expectTypeOf(md.latency).not.toHaveProperty('inc');
    expectTypeOf(md.lastPrice).not.toHaveProperty('observe');
  });

  it('a user-defined catalog infers too', () => {
    const defs = {
      fills: counter('desk_fills_total', 'Fills.', { desk: closed('rates', 'fx'), book: open({ budget: 10 }) }),
      exposure: gauge('desk_exposure_usd', 'Exposure.', { desk: closed('rates', 'fx') }, { unit: 'usd' }),
      latency: histogram('desk_latency_seconds', 'Latency.', {}, { buckets: [0.1, 1] }),
    } as const;
    class Desk extends catalog(defs) {}
    const desk = new Desk();
    expectTypeOf(desk.fills).toEqualTypeOf<CounterFamily<{ readonly desk: 'rates' | 'fx'; readonly book: string }>>();
    expectTypeOf(desk).toMatchTypeOf<InferCatalog<typeof defs>>();
    expectTypeOf(desk.latency.bind()).toEqualTypeOf<HistogramHandle>();
    desk.fills.inc({ desk: 'fx', book: 'g10' });
    // @ts-expect-error 'equities' is not a desk
    desk.fills.inc({ desk: 'equities', book: 'g10' });
    // @ts-expect-error book is missing
    desk.exposure.set({ desk: 'fx', book: 'g10' }, 1);
    // @ts-expect-error exposure is a gauge: no observe
    desk.exposure.observe({ desk: 'fx' }, 1);

    // Without `as const` on the object, catalog()'s const type parameter still keeps the literals.
    const Inline = catalog({ hits: counter('hits_total', 'Hits.', { route: closed('a', 'b') }) });
    expectTypeOf(new Inline().hits.bind).parameters.toEqualTypeOf<[labels: { readonly route: 'a' | 'b' }]>();
  });
});
