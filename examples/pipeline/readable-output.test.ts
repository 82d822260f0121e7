import { GatewayMetrics, MarketDataMetrics, PrometheusWriter, StrategyMetrics } from '@ttquant/metrics';
import { describe, expect, it } from 'vitest';
import { renderSummary, summaryNumbers } from './live-summary.js';
import { prettyLine } from './pretty-logs.js';

// What a person sees of `npm run demo` on a terminal: pino's JSON lines made readable, and the live
// summary read from bodies the real catalogs render.

const strip = (text: string) => text.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');

describe('the demo on a terminal', () => {
  it('prints a service JSON log line as time, level, message and fields, and other lines as they are', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 11, 4, 9, 30, 1, 250),
      pid: 42,
      hostname: 'h',
      service: 'market-data',
      name: 'market-data',
      exchange: 'okx',
      msg: 'feed: disconnected; reconnecting',
    });
    const pretty = strip(prettyLine('market-data', line));
    expect(pretty).toMatch(
      /^\[market-data\] \[\d\d:\d\d:01\.250\] WARN: feed: disconnected; reconnecting \{"exchange":"okx"\}$/,
    );
    expect(pretty).not.toContain('hostname');
    expect(prettyLine('gateway', 'gateway: orders at http://127.0.0.1:9201/orders')).toBe(
      '[gateway] gateway: orders at http://127.0.0.1:9201/orders',
    );
  });

  it('sums ticks, orders and fills per venue over every venue’s services, and PnL per strategy, with rates between two', () => {
    // A market-data service and a gateway per venue, as the demo runs them.
    const md = new MarketDataMetrics();
    const mdOkx = new MarketDataMetrics();
    const gw = new GatewayMetrics();
    const gwBinance = new GatewayMetrics();
    const st = new StrategyMetrics();
    md.received.add({ exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' }, 100);
    md.received.add({ exchange: 'binance', symbol: 'ETHUSDT', type: 'book' }, 50);
    mdOkx.received.add({ exchange: 'okx', symbol: 'BTCUSDT', type: 'trade' }, 30);
    gw.orders.add({ exchange: 'okx', symbol: 'BTCUSDT', side: 'buy', type: 'limit' }, 7);
    gw.ordersFailed.inc({ exchange: 'okx', reason: 'exchange_rejected' });
    gw.trades.add({ exchange: 'okx', symbol: 'BTCUSDT', side: 'buy' }, 6);
    gwBinance.orders.add({ exchange: 'binance', symbol: 'ETHUSDT', side: 'sell', type: 'market' }, 2);
    gwBinance.trades.add({ exchange: 'binance', symbol: 'ETHUSDT', side: 'sell' }, 2);
    st.pnl.set({ strategy: 'ma_cross' }, 12.5);
    st.pnl.set({ strategy: 'mean_revert' }, -3.25);
    const body = (source: MarketDataMetrics | GatewayMetrics | StrategyMetrics) =>
      new PrometheusWriter([source]).renderText();
    const first = summaryNumbers({
      marketData: [body(md), body(mdOkx)],
      gateway: [body(gwBinance), body(gw)],
      engine: body(st),
    });
    expect(first).toEqual({
      ticks: new Map([
        ['binance', 150],
        ['okx', 30],
      ]),
      orders: new Map([
        ['binance', 2],
        ['okx', 7],
      ]),
      ordersFailed: new Map([['okx', 1]]),
      fills: new Map([
        ['binance', 2],
        ['okx', 6],
      ]),
      pnl: new Map([
        ['ma_cross', 12.5],
        ['mean_revert', -3.25],
      ]),
    });
    mdOkx.received.add({ exchange: 'okx', symbol: 'BTCUSDT', type: 'trade' }, 50);
    // The binance gateway could not be read this time: its venue drops out of the orders line.
    const second = summaryNumbers({ marketData: [body(md), body(mdOkx)], gateway: ['', body(gw)], engine: '' });
    const text = renderSummary(second, first, 5, new Map([['gateway', 'http://127.0.0.1:8081']]), 65_000);
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^── TTQuant demo · up 00:01:05 ─+$/),
      ' ticks/s  binance 0.0   okx 10.0',
      ' orders   okx 7 (failed 1), fills 6',
      ' PnL      none yet',
      ' metrics  gateway http://127.0.0.1:8081',
    ]);
  });
});
