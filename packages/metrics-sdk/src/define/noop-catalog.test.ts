import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../catalogs/gateway.js';
import { MarketDataMetrics } from '../catalogs/market-data.js';
import { OpenMetricsWriter } from '../exposition/openmetrics-text.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { MetricDefinitionError } from './errors.js';

// A no-op catalog: the same typed API, every call accepted, nothing stored per label set and
// nothing exposed, for code that runs with its metrics turned off.

describe('a no-op catalog (noop: true)', () => {
  it('takes every record, bound or not, and exposes nothing, not even the self-metrics', () => {
    const md = new MarketDataMetrics({ noop: true });
    const trades = md.received.bindEach('type', { exchange: 'binance', symbol: 'BTCUSDT' });
    for (let i = 0; i < 1000; i++) {
      trades.trade.inc();
      md.received.inc({ exchange: 'okx', symbol: `S${i}`, type: 'book' });
      md.latency.observe({ exchange: 'okx', type: 'trade' }, i / 10);
      md.lastPrice.set({ exchange: 'okx', symbol: `S${i}` }, 100 + i);
    }
    md.latency.bind({ exchange: 'binance', type: 'trade' }).observe(-1);
    expect(md['~families']).toEqual([]);
    expect(md.received.seriesCount).toBe(0);
    expect(md.received.overflowed).toBe(0);
    expect(Object.keys(trades)).toEqual(['trade', 'ticker', 'book']);
    expect(md.received.labelNames).toEqual(['exchange', 'symbol', 'type']);
    expect(md.received.remove({ exchange: 'okx', symbol: 'S1', type: 'book' })).toBe(false);
    md.received.reset();
    expect(new PrometheusWriter([md]).renderText()).toBe('');
    expect(new OpenMetricsWriter([md]).renderText()).toBe('# EOF\n');
  });

  it('records with exemplars too, and is refused with a shared catalog or a non-boolean', () => {
    const gw = new GatewayMetrics({ noop: true });
    gw.orderLatency
      .bind({ exchange: 'okx', operation: 'new' })
      .observeWithExemplar(3, { trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) });
    expect(gw.orderLatency.exemplarsDropped).toBe(0);
    expect(() => new MarketDataMetrics({ noop: true, shared: { threads: 2 } })).toThrow(MetricDefinitionError);
    expect(() => new MarketDataMetrics({ noop: 'yes' as never })).toThrow(/options\.noop/);
    // bindEach still names a wrong label from the declaration.
    const md = new MarketDataMetrics({ noop: true });
    expect(() => md.received.bindEach('symbol' as never, { exchange: 'okx', type: 'trade' } as never)).toThrow(/open/);
  });
});
