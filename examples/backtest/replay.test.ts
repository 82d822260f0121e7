import { PrometheusWriter, StrategyMetrics } from '@ttquant/metrics';
import { readExposition } from '@ttquant/test-kit';
import { describe, expect, it } from 'vitest';
import { readBacktestConfig } from './config.js';
import { Replay, type SimulatedFill } from './replay.js';
import type { ReplayTick } from './tick-source.js';

// The replay in process: synthetic ticks in, simulated fills and the ledger's PnL out.

const config = readBacktestConfig({
  BACKTEST_STRATEGIES: 'ma_cross:binance:BTCUSDT,mean_revert:okx:ETHUSDT',
  ENGINE_ORDER_COOLDOWN_MS: '1000',
  BACKTEST_FEE_BPS: '4',
});

/** A seeded price walk on both strategies' symbols, with ticks of other symbols in between. */
function ticks(n: number, seed = 7): ReplayTick[] {
  let state = seed;
  const random = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  let btc = 60_000;
  let eth = 3_000;
  const out: ReplayTick[] = [];
  for (let i = 0; i < n; i++) {
    const time = 1_700_000_000_000 + i * 100;
    btc *= 1 + (random() - 0.5) * 0.004;
    eth *= 1 + (random() - 0.5) * 0.004;
    out.push({ time, exchange: 'binance', symbol: 'BTCUSDT', type: i % 3 === 0 ? 'book' : 'trade', price: btc });
    out.push({ time, exchange: 'okx', symbol: 'ETHUSDT', type: 'ticker', price: eth });
    out.push({ time, exchange: 'okx', symbol: 'SOLUSDT', type: 'trade', price: 150 });
  }
  return out;
}

async function replayAll(input: readonly ReplayTick[], pageSize: number, metrics = new StrategyMetrics()) {
  const fills: SimulatedFill[] = [];
  const replay = new Replay(config, metrics, (fill) => fills.push(fill));
  for (let i = 0; i < input.length; i += pageSize) await replay.feed(input.slice(i, i + pageSize));
  return { fills, result: replay.result(), metrics };
}

describe('Replay', () => {
  it('fills every order at once at the price of the tick that triggered it, with the fee, in market time', async () => {
    const input = ticks(2_000);
    const { fills, result } = await replayAll(input, input.length);
    expect(result.ticks).toBe(input.length);
    // SOLUSDT has no strategy: counted, not routed.
    expect(result.routed).toBe((input.length * 2) / 3);
    expect(fills.length).toBeGreaterThan(10);
    for (const fill of fills) {
      const tick = input.find(
        (t) =>
          t.time === fill.time &&
          t.symbol === fill.symbol &&
          t.exchange === (fill.symbol === 'BTCUSDT' ? 'binance' : 'okx'),
      );
      expect(tick?.price).toBe(fill.price);
      expect(fill.fee).toBeCloseTo(fill.quantity * fill.price * 0.0004, 10);
    }
    // The cool-down runs on tick time: two orders of one strategy are ≥ 1 s of market time apart.
    for (const name of ['ma_cross', 'mean_revert']) {
      const times = fills.filter((f) => f.strategy === name).map((f) => f.time);
      for (let i = 1; i < times.length; i++)
        expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(1_000);
    }
    // Orders are one lot each, inside the position limit (3 lots).
    for (const o of result.strategies) expect(Math.abs(o.position)).toBeLessThanOrEqual(3 * o.spec.lot + 1e-12);
  });

  it("books PnL that equals the fills' cash flows marked at the last price", async () => {
    const input = ticks(2_000);
    const { fills, result } = await replayAll(input, input.length);
    for (const outcome of result.strategies) {
      const mine = fills.filter((f) => f.strategy === outcome.spec.name);
      let cash = 0;
      let position = 0;
      for (const f of mine) {
        const signed = f.side === 'buy' ? f.quantity : -f.quantity;
        position += signed;
        cash -= signed * f.price + f.fee;
      }
      const last = [...input]
        .reverse()
        .find((t) => t.exchange === outcome.spec.exchange && t.symbol === outcome.spec.symbol);
      expect(outcome.fills).toBe(mine.length);
      expect(outcome.position).toBeCloseTo(position, 9);
      expect(outcome.totalPnl).toBeCloseTo(cash + position * (last?.price ?? 0), 6);
      expect(outcome.realizedPnl + outcome.unrealizedPnl).toBeCloseTo(outcome.totalPnl, 9);
    }
  });

  it('is deterministic: the same ticks give the same fills and PnL, whatever the page size and catalog', async () => {
    const input = ticks(1_500, 11);
    const whole = await replayAll(input, input.length);
    const paged = await replayAll(input, 7);
    const noop = await replayAll(input, 500, new StrategyMetrics({ noop: true }));
    expect(paged.fills).toEqual(whole.fills);
    expect(noop.fills).toEqual(whole.fills);
    expect(paged.result).toEqual(whole.result);
    expect(noop.result).toEqual(whole.result);
  });

  it("records the ledger's state into StrategyMetrics", async () => {
    const { result, metrics } = await replayAll(ticks(2_000), 1_000);
    const body = readExposition(Buffer.from(new PrometheusWriter([metrics]).render()).toString('utf8'));
    for (const o of result.strategies) {
      expect(body.value('strategy_pnl_total', { strategy: o.spec.name })).toBeCloseTo(o.totalPnl, 9);
      const buys = body.value('strategy_trades_total', { strategy: o.spec.name, side: 'buy' }) ?? 0;
      const sells = body.value('strategy_trades_total', { strategy: o.spec.name, side: 'sell' }) ?? 0;
      expect(buys + sells).toBe(o.fills);
    }
  });
});
