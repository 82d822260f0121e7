import { describe, expectTypeOf, it } from 'vitest';
import { TradingLedger } from '../analytics/ledger.js';
import type { TradingLedgerOptions } from '../analytics/ledger-types.js';
import { type CatalogClass, catalog, type InferCatalog } from '../define/catalog.js';
import { type ClosedDomain, closed, open } from '../define/labels.js';
import { counter, type InferLabels } from '../define/metric.js';
import type { CounterHandle, GaugeHandle, HistogramHandle } from '../storage/handles.js';
import { DEFAULT_VENUES } from './domains.js';
import { EngineMetrics } from './engine.js';
import { GatewayMetrics, type gatewayDefinitions } from './gateway.js';
import { MarketDataMetrics, type marketDataDefinitions } from './market-data.js';
import { StrategyMetrics, type strategyDefinitions } from './strategy.js';
import { type WithVenues, withVenues } from './venues.js';
import { withLabelDomain } from './with-label-domain.js';

type Default = 'binance' | 'okx' | 'bybit' | 'coinbase';
type MessageType = 'trade' | 'ticker' | 'book';

// Replace form: only the listed venues.
class DeskMarketData extends MarketDataMetrics.withVenues('kraken', 'deribit') {}
class DeskGateway extends GatewayMetrics.withVenues('kraken', 'deribit') {}
// Extend form: the defaults plus one.
const Extended = MarketDataMetrics.withVenues(...DEFAULT_VENUES, 'kraken');

const desk = new DeskMarketData();
const deskGw = new DeskGateway();
const extended = new Extended();

describe('DEFAULT_VENUES', () => {
  it('is the readonly tuple of the default venues', () => {
    expectTypeOf(DEFAULT_VENUES).toEqualTypeOf<readonly ['binance', 'okx', 'bybit', 'coinbase']>();
    expectTypeOf<(typeof DEFAULT_VENUES)[number]>().toEqualTypeOf<
      InferLabels<typeof marketDataDefinitions.received>['exchange']
    >();
  });
});

describe('withVenues keeps literal label types', () => {
  it('the replace form accepts its venues and rejects the defaults', () => {
    desk.received.inc({ exchange: 'kraken', symbol: 'XBTUSD', type: 'trade' });
    desk.latency.observe({ exchange: 'deribit', type: 'book' }, 2);
    deskGw.orders.inc({ exchange: 'deribit', symbol: 'BTC-PERPETUAL', side: 'sell', type: 'limit' });
    // @ts-expect-error 'binance' is not one of the replacing venues
    desk.received.inc({ exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' });
    // @ts-expect-error 'okx' is not one of the replacing venues
    deskGw.orderLatency.bind({ exchange: 'okx', operation: 'new' });
    // @ts-expect-error a typo in a venue still fails
    desk.connectionStatus.set({ exchange: 'krakn' }, 1);
  });

  it('the extend form accepts the defaults and the new venue, nothing else', () => {
    extended.received.inc({ exchange: 'kraken', symbol: 'XBTUSD', type: 'trade' });
    extended.received.inc({ exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' });
    // @ts-expect-error 'deribit' was not added
    extended.received.inc({ exchange: 'deribit', symbol: 'X', type: 'trade' });
  });

  it('only the exchange label changes: the other labels keep their checks', () => {
    // @ts-expect-error 'quote' is not a message type
    desk.received.inc({ exchange: 'kraken', symbol: 'XBTUSD', type: 'quote' });
    // @ts-expect-error symbol is missing
    desk.received.inc({ exchange: 'kraken', type: 'trade' });
    // @ts-expect-error venue is not a label
    desk.connectionStatus.set({ exchange: 'kraken', venue: 'x' }, 1);
  });

  it('bind() takes the typed labels and returns the kind’s handle', () => {
    expectTypeOf(desk.received.bind).parameters.toEqualTypeOf<
      [labels: { readonly exchange: 'kraken' | 'deribit'; readonly symbol: string; readonly type: MessageType }]
    >();
    expectTypeOf(
      desk.received.bind({ exchange: 'kraken', symbol: 'XBTUSD', type: 'trade' }),
    ).toEqualTypeOf<CounterHandle>();
    expectTypeOf(desk.lastPrice.bind({ exchange: 'kraken', symbol: 'XBTUSD' })).toEqualTypeOf<GaugeHandle>();
    expectTypeOf(deskGw.orderLatency.bind({ exchange: 'kraken', operation: 'new' })).toEqualTypeOf<HistogramHandle>();
    // @ts-expect-error labels are required
    desk.received.bind();
  });

  it('definitions show the new domain, and InferLabels the union', () => {
    expectTypeOf<InferLabels<typeof DeskMarketData.definitions.received>>().toEqualTypeOf<{
      readonly exchange: 'kraken' | 'deribit';
      readonly symbol: string;
      readonly type: MessageType;
    }>();
    expectTypeOf<InferLabels<typeof Extended.definitions.received>['exchange']>().toEqualTypeOf<Default | 'kraken'>();
    expectTypeOf(DeskMarketData.definitions.received.labels.exchange).toEqualTypeOf<
      ClosedDomain<'kraken' | 'deribit'>
    >();
    expectTypeOf(DeskMarketData.definitions.received.name).toEqualTypeOf<string>();
    expectTypeOf(DeskMarketData.definitions.latency.kind).toEqualTypeOf<'histogram'>();
  });

  it('the engine relabels its exchange metrics; the strategy catalog is unchanged', () => {
    const engine = new (EngineMetrics.withVenues('kraken'))();
    engine.ordersSent.inc({ strategy: 'ma_cross', exchange: 'kraken', side: 'buy' });
    // @ts-expect-error 'binance' was replaced
    engine.tradesReceived.inc({ strategy: 'ma_cross', exchange: 'binance' });
    engine.uptime.set({}, 1);

    const Strategy = StrategyMetrics.withVenues('kraken');
    expectTypeOf<InferCatalog<typeof Strategy.definitions>>().toEqualTypeOf<InferCatalog<typeof strategyDefinitions>>();
    new Strategy().pnl.set({ strategy: 'ma_cross' }, 1);
  });

  it('works on a subclass, and rejects empty or non-string lists', () => {
    class Tuned extends MarketDataMetrics {}
    const FromSubclass = Tuned.withVenues('kraken');
    expectTypeOf(FromSubclass).toEqualTypeOf<CatalogClass<WithVenues<typeof marketDataDefinitions, 'kraken'>>>();
    new FromSubclass().received.inc({ exchange: 'kraken', symbol: 'X', type: 'trade' });
    // @ts-expect-error at least one venue
    MarketDataMetrics.withVenues();
    // @ts-expect-error venues are strings
    GatewayMetrics.withVenues('kraken', 42);
  });
});

describe('the helpers apply to your own catalogs', () => {
  const deskDefinitions = {
    fills: counter('desk_fills_total', 'Fills.', { exchange: closed('binance'), book: open({ budget: 10 }) }),
    quotes: counter('desk_quotes_total', 'Quotes.', { book: open({ budget: 10 }) }),
  } as const;

  it('withVenues relabels exchange and passes the other declarations through', () => {
    class Desk extends catalog(withVenues(deskDefinitions, ['kraken', 'deribit'])) {}
    const d = new Desk();
    d.fills.inc({ exchange: 'deribit', book: 'g10' });
    // @ts-expect-error 'binance' was replaced
    d.fills.inc({ exchange: 'binance', book: 'g10' });
    expectTypeOf(Desk.definitions.quotes).toEqualTypeOf<typeof deskDefinitions.quotes>();
  });

  it('withLabelDomain replaces any label', () => {
    const Desk = catalog(withLabelDomain(deskDefinitions, 'book', closed('g10', 'em')));
    const d = new Desk();
    d.quotes.inc({ book: 'em' });
    // @ts-expect-error 'rates' is not a book any more
    d.fills.inc({ exchange: 'binance', book: 'rates' });
  });
});

describe('TradingLedger takes a gateway catalog of any venue list', () => {
  const sm = new StrategyMetrics();

  it('accepts a venue of the catalog', () => {
    const ledger = new TradingLedger({ metrics: sm, gateway: { metrics: deskGw, exchange: 'kraken' } });
    // The venue type does not leak into the instance: it is a plain TradingLedger.
    expectTypeOf(ledger).toMatchTypeOf<TradingLedger>();
    const plain: TradingLedger = ledger;
    void plain;
    new TradingLedger({ metrics: sm, gateway: { metrics: new GatewayMetrics(), exchange: 'binance' } });
    const extendedGw = new (GatewayMetrics.withVenues(...DEFAULT_VENUES, 'kraken'))();
    new TradingLedger({ metrics: sm, gateway: { metrics: extendedGw, exchange: 'kraken' } });
    new TradingLedger({ metrics: sm, gateway: { metrics: extendedGw, exchange: 'okx' } });
    new TradingLedger({ metrics: sm });
  });

  it('rejects a venue outside the catalog', () => {
    // @ts-expect-error the default GatewayMetrics has no 'kraken'
    new TradingLedger({ metrics: sm, gateway: { metrics: new GatewayMetrics(), exchange: 'kraken' } });
    // @ts-expect-error the kraken/deribit catalog has no 'binance'
    new TradingLedger({ metrics: sm, gateway: { metrics: deskGw, exchange: 'binance' } });
    // @ts-expect-error a market-data catalog is not a gateway catalog
    new TradingLedger({ metrics: sm, gateway: { metrics: desk, exchange: 'kraken' } });
  });

  it('keeps the options usable without type arguments', () => {
    const options: TradingLedgerOptions = { metrics: sm, gateway: { metrics: new GatewayMetrics(), exchange: 'okx' } };
    new TradingLedger(options);
    // @ts-expect-error the default options type takes the default venues
    const wrong: TradingLedgerOptions = { metrics: sm, gateway: { metrics: new GatewayMetrics(), exchange: 'kraken' } };
    void wrong;
    expectTypeOf<InferLabels<typeof gatewayDefinitions.position>['exchange']>().toEqualTypeOf<Default>();
  });
});
