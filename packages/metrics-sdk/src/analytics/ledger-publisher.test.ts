import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../catalogs/gateway.js';
import { StrategyMetrics } from '../catalogs/strategy.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import type { Fill } from './fill.js';
import { GatewayMetricsPublisher } from './gateway-metrics-publisher.js';
import { LedgerInputError } from './input-error.js';
import { TradingLedger } from './ledger.js';
import type { LedgerPublisher } from './ledger-publisher.js';
import { StrategyMetricsPublisher } from './strategy-metrics-publisher.js';

const FILLS: Fill[] = [
  { strategy: 'mm', symbol: 'BTCUSDT', side: 'buy', quantity: 2, price: 100, fee: 0.25, time: 1 },
  { strategy: 'mm', symbol: 'BTCUSDT', side: 'sell', quantity: 1, price: 102, fee: 0.125, time: 2 },
  { strategy: 'mm', symbol: 'ETHUSDT', side: 'sell', quantity: 4, price: 10, time: 3 },
];

// Feeds the same events to a ledger and returns the exposition of its catalogs.
function drive(ledger: TradingLedger, ...catalogs: (StrategyMetrics | GatewayMetrics)[]): string {
  ledger.register('mm');
  ledger.onFill(FILLS[0] as Fill);
  ledger.onMark('BTCUSDT', 104);
  ledger.onFills(FILLS.slice(1));
  ledger.onMark('ETHUSDT', 8);
  ledger.sample(0);
  ledger.sample(1000);
  return new PrometheusWriter(catalogs).renderText();
}

const metricsOf = () => ({
  sm: new StrategyMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 0 }),
  gw: new GatewayMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 0 }),
});

describe('TradingLedger publishers', () => {
  it('publishes to the gateway catalog alone, the same series as a ledger that also has a StrategyMetrics', () => {
    const both = metricsOf();
    const expected = drive(
      new TradingLedger({
        metrics: both.sm,
        gateway: { metrics: both.gw, exchange: 'okx' },
        sharpe: { periodMs: 1000 },
      }),
      both.gw,
    );
    const alone = metricsOf();
    const ledger = new TradingLedger({ gateway: { metrics: alone.gw, exchange: 'okx' }, sharpe: { periodMs: 1000 } });
    expect(drive(ledger, alone.gw)).toBe(expected);
    expect(expected).toContain('current_position{exchange="okx",symbol="ETHUSDT"} -4');
    expect(alone.sm.pnl.seriesCount).toBe(0);
  });

  it('gives the same series through `publishers` as through `metrics` and `gateway`', () => {
    const options = metricsOf();
    const expected = drive(
      new TradingLedger({
        metrics: options.sm,
        gateway: { metrics: options.gw, exchange: 'okx' },
        sharpe: { periodMs: 1000 },
      }),
      options.sm,
      options.gw,
    );
    const given = metricsOf();
    const publishers = [
      new StrategyMetricsPublisher(given.sm),
      new GatewayMetricsPublisher({ metrics: given.gw, exchange: 'okx' }),
    ];
    expect(drive(new TradingLedger({ publishers, sharpe: { periodMs: 1000 } }), given.sm, given.gw)).toBe(expected);
  });

  it('fans one ledger out to two strategy catalogs alike', () => {
    const first = metricsOf();
    const second = metricsOf();
    const publishers = [new StrategyMetricsPublisher(first.sm), new StrategyMetricsPublisher(second.sm)];
    const text = drive(new TradingLedger({ publishers, sharpe: { periodMs: 1000 } }), first.sm);
    expect(new PrometheusWriter([second.sm]).renderText()).toBe(text);
    expect(text).toContain('strategy_position_size{strategy="mm",symbol="ETHUSDT"} -4');
  });

  it('binds each part once and calls a custom publisher with what changed', () => {
    const calls: string[] = [];
    const log: LedgerPublisher = {
      strategy: (view) => ({
        pnlChanged: (grew) => calls.push(`pnl ${view.name} ${view.totalPnl} ${grew}`),
        filled: (side) => calls.push(`filled ${side} ${view.buys}/${view.sells}`),
        tradeClosed: (outcome) => calls.push(`closed ${outcome} ${view.winRate}`),
        sharpeSampled: () => calls.push('sharpe'),
      }),
      position: (view) => ({ positionChanged: () => calls.push(`position ${view.symbol} ${view.valueUsd}`) }),
      symbol: (view) => ({ netChanged: () => calls.push(`net ${view.symbol} ${view.netQuantity}`) }),
      account: (view) => ({ accountChanged: () => calls.push(`account ${view.exposureUsd}`) }),
    };
    const ledger = new TradingLedger({ publishers: [log, {}] });
    ledger.register('a');
    ledger.onMark('X', 12); // nobody holds X: nothing to publish
    ledger.onFill({ strategy: 'a', symbol: 'X', side: 'buy', quantity: 2, price: 10, time: 0 });
    ledger.onFill({ strategy: 'a', symbol: 'X', side: 'sell', quantity: 1, price: 11, time: 1 });
    expect(calls).toEqual([
      'filled buy 1/0',
      'position X 24',
      'pnl a 4 false',
      'net X 2',
      'account 24',
      'filled sell 1/1',
      'closed win 1',
      // the mark stays 12: +1 realized, 1 × (12 − 10) unrealized
      'position X 12',
      'pnl a 3 true',
      'net X 1',
      'account 12',
    ]);
  });

  it("ties a gateway publisher's venue to its catalog at compile time", () => {
    const desk = new (GatewayMetrics.withVenues('kraken', 'deribit'))();
    expect(new GatewayMetricsPublisher({ metrics: desk, exchange: 'kraken' })).toBeInstanceOf(GatewayMetricsPublisher);
    // @ts-expect-error the kraken/deribit catalog has no 'binance'
    expect(() => new GatewayMetricsPublisher({ metrics: desk, exchange: 'binance' })).toThrow(LedgerInputError);
    // A ledger that only feeds the gateway catalog needs no StrategyMetrics.
    expect(new TradingLedger({ gateway: { metrics: desk, exchange: 'deribit' } }).snapshot().strategies).toEqual([]);
  });

  it('names the option of a bad publisher list, and the venue of a gateway publisher', () => {
    expect(() => new TradingLedger({ publishers: [{ strategy: 1 }] as never })).toThrow(
      expect.objectContaining({ name: 'LedgerInputError', field: 'publishers' }),
    );
    const gw = new GatewayMetrics();
    const error = (() => {
      try {
        new GatewayMetricsPublisher({ metrics: gw, exchange: 'kraken' as never });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(LedgerInputError);
    expect(error).toMatchObject({ field: 'exchange', value: 'kraken' });
    expect(gw.riskExposure.seriesCount).toBe(0);
  });
});
