import { describe, expect, it } from 'vitest';
import type { RiskConfig } from './config.js';
import { RiskEngine, TokenBucket } from './risk.js';

const LIMITS: RiskConfig = { maxPositionUsd: 1_000, maxNotionalUsd: 500, maxOrdersPerSec: 1_000, orderBurst: 1_000 };

/** A clock the test moves by hand. */
function manualClock(start = 0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('TokenBucket', () => {
  it('starts full, empties, and refills at the rate up to the capacity', () => {
    const bucket = new TokenBucket(2, 3, 0); // 2 tokens/s, burst 3
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBe(false); // 0.998 tokens
    expect(bucket.take(500)).toBe(true); // 1 token after 500 ms
    expect(bucket.take(500)).toBe(false);
    // A long quiet spell refills to the capacity, not beyond.
    expect([bucket.take(60_000), bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('ignores a clock that goes back', () => {
    const bucket = new TokenBucket(1, 1, 1_000);
    expect(bucket.take(1_000)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(2_000)).toBe(true);
  });
});

describe('RiskEngine', () => {
  it('max_order_rate: the (burst + 1)-th order in one instant is rejected, per venue', () => {
    const clock = manualClock();
    const risk = new RiskEngine({ ...LIMITS, maxOrdersPerSec: 5, orderBurst: 2 }, clock.now);
    expect(risk.check('binance', 'BTCUSDT', 'buy', 0.001, 100)).toBeUndefined();
    expect(risk.check('binance', 'BTCUSDT', 'buy', 0.001, 100)).toBeUndefined();
    expect(risk.check('binance', 'BTCUSDT', 'buy', 0.001, 100)).toBe('max_order_rate');
    // Another venue has its own bucket.
    expect(risk.check('okx', 'BTCUSDT', 'buy', 0.001, 100)).toBeUndefined();
    clock.advance(200); // 5/s: one token back after 200 ms
    expect(risk.check('binance', 'BTCUSDT', 'buy', 0.001, 100)).toBeUndefined();
    expect(risk.check('binance', 'BTCUSDT', 'buy', 0.001, 100)).toBe('max_order_rate');
  });

  it('max_notional: quantity × reference price above the limit; exactly the limit passes', () => {
    const risk = new RiskEngine(LIMITS, manualClock().now);
    expect(risk.check('binance', 'ETHUSDT', 'buy', 5, 100)).toBeUndefined(); // 500
    expect(risk.check('binance', 'ETHUSDT', 'sell', 5.01, 100)).toBe('max_notional'); // 501
    expect(risk.check('binance', 'ETHUSDT', 'buy', 1e300, 1e10)).toBe('max_notional');
  });

  it('max_notional: an order without a usable reference price is rejected', () => {
    const risk = new RiskEngine(LIMITS, manualClock().now);
    for (const price of [Number.NaN, 0, -1, Number.POSITIVE_INFINITY]) {
      expect(risk.check('binance', 'ETHUSDT', 'buy', 1, price)).toBe('max_notional');
    }
  });

  it('max_position: filled position plus open orders on the same side, as notional', () => {
    const risk = new RiskEngine({ ...LIMITS, maxNotionalUsd: 10_000 }, manualClock().now); // 1,000 USD position
    expect(risk.check('binance', 'SOLUSDT', 'buy', 4, 100)).toBeUndefined(); // open buy 4 (400)
    expect(risk.check('binance', 'SOLUSDT', 'buy', 4, 100)).toBeUndefined(); // open buy 8 (800)
    // In flight, not filled: still counts, so a third concurrent buy cannot pass.
    expect(risk.check('binance', 'SOLUSDT', 'buy', 3, 100)).toBe('max_position'); // 1,100
    expect(risk.exposure('binance', 'SOLUSDT')).toEqual({ position: 0, openBuy: 8, openSell: 0 });
    risk.onFill('binance', 'SOLUSDT', 'buy', 4); // position 4, open 4
    risk.release('binance', 'SOLUSDT', 'buy', 4); // the other order failed
    expect(risk.exposure('binance', 'SOLUSDT')).toEqual({ position: 4, openBuy: 0, openSell: 0 });
    expect(risk.check('binance', 'SOLUSDT', 'buy', 6, 100)).toBeUndefined(); // exactly 1,000
    expect(risk.check('binance', 'SOLUSDT', 'buy', 0.01, 100)).toBe('max_position');
    // The buy side is full, yet a reducing sell passes: its worst case is a short of 4 - 5 = -1 (100 USD).
    expect(risk.check('binance', 'SOLUSDT', 'sell', 5, 100)).toBeUndefined();
    // The short side counts its own open orders: 4 - 5 - 5 = -6 (600), then 4 - 10 - 5 = -11 (1,100).
    expect(risk.check('binance', 'SOLUSDT', 'sell', 5, 100)).toBeUndefined();
    expect(risk.check('binance', 'SOLUSDT', 'sell', 5, 100)).toBe('max_position');
    // Symbols and venues are separate books.
    expect(risk.check('okx', 'SOLUSDT', 'buy', 9, 100)).toBeUndefined();
    expect(risk.check('binance', 'ETHUSDT', 'buy', 5, 100)).toBeUndefined();
  });

  it('checks in order: rate, then notional, then position', () => {
    const clock = manualClock();
    const risk = new RiskEngine(
      { maxPositionUsd: 100, maxNotionalUsd: 50, maxOrdersPerSec: 1, orderBurst: 1 },
      clock.now,
    );
    // Fails both notional and position: notional is named.
    expect(risk.check('binance', 'BTCUSDT', 'buy', 2, 100)).toBe('max_notional');
    // The bucket is empty now (the rejected order took its token): rate comes first.
    expect(risk.check('binance', 'BTCUSDT', 'buy', 0.1, 100)).toBe('max_order_rate');
    clock.advance(1_000);
    expect(risk.check('binance', 'BTCUSDT', 'buy', 0.1, 100)).toBeUndefined();
  });

  it('a rejected order reserves nothing', () => {
    const risk = new RiskEngine(LIMITS, manualClock().now);
    expect(risk.check('binance', 'BTCUSDT', 'buy', 11, 100)).toBe('max_notional');
    expect(risk.exposure('binance', 'BTCUSDT')).toEqual({ position: 0, openBuy: 0, openSell: 0 });
  });

  it('onFill moves the position by side and never leaves a negative open quantity', () => {
    const risk = new RiskEngine(LIMITS, manualClock().now);
    expect(risk.check('binance', 'BTCUSDT', 'sell', 2, 100)).toBeUndefined();
    risk.onFill('binance', 'BTCUSDT', 'sell', 2.5, 2); // overfilled: 2 was open
    expect(risk.exposure('binance', 'BTCUSDT')).toEqual({ position: -2.5, openBuy: 0, openSell: 0 });
    risk.release('binance', 'BTCUSDT', 'sell', 1);
    expect(risk.exposure('binance', 'BTCUSDT').openSell).toBe(0);
  });
});
