import { describe, expect, it } from 'vitest';
import { MeanReversion, MovingAverageCross, PriceWindow, planOrder } from './strategies.js';

// Deterministic price paths in, targets and orders out.

function feed(strategy: { onPrice(p: number): number }, prices: readonly number[]): number[] {
  return prices.map((p) => strategy.onPrice(p));
}

describe('PriceWindow', () => {
  it('keeps the mean and sample stdev of the last n prices, across many wraps', () => {
    const w = new PriceWindow(4);
    expect(w.mean).toBeNaN();
    w.push(10);
    expect(w.stdev).toBeNaN();
    w.push(20);
    expect(w.full).toBe(false);
    expect(w.mean).toBe(15);
    expect(w.stdev).toBeCloseTo(Math.SQRT2 * 5, 12);
    const prices: number[] = [10, 20];
    for (let i = 0; i < 1_003; i++) {
      const p = 60_000 + ((i * 7919) % 113) - 50 + i * 0.01;
      prices.push(p);
      w.push(p);
    }
    const last = prices.slice(-4);
    const mean = last.reduce((a, b) => a + b, 0) / 4;
    const sd = Math.sqrt(last.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
    expect(w.full).toBe(true);
    expect(w.mean).toBeCloseTo(mean, 9);
    expect(w.stdev).toBeCloseTo(sd, 6);
  });

  it('gives 0, not NaN, for a constant window', () => {
    const w = new PriceWindow(3);
    for (const p of [0.1, 0.1, 0.1, 0.1]) w.push(p);
    expect(w.stdev).toBe(0);
  });

  it('refuses a size below 1', () => {
    expect(() => new PriceWindow(0)).toThrow(RangeError);
  });
});

describe('MovingAverageCross', () => {
  it('warms up, goes long on an upward cross, holds inside the band, goes short on a downward cross', () => {
    const s = new MovingAverageCross({ maFast: 2, maSlow: 4, maBand: 0 }, 3);
    // 4th price: fast = slow = 100 → no cross yet (flat); 101: fast 100.5 > slow 100.25 → long;
    // 99: fast 100 = slow 100 → holds; 98: fast 98.5 < slow 99.5 → short; 104: fast 101 > slow 99.75 → long.
    expect(feed(s, [100, 100, 100, 100, 101, 99, 98, 104])).toEqual([
      Number.NaN,
      Number.NaN,
      Number.NaN,
      0,
      3,
      3,
      -3,
      3,
    ]);
  });

  it('needs the fast average to clear the band before flipping', () => {
    const s = new MovingAverageCross({ maFast: 1, maSlow: 2, maBand: 0.01 }, 2);
    // fast = last price, slow = mean of the last two.
    // 100→100.5: fast 100.5 vs slow 100.25 (+0.25%): inside 1% → flat; 100.5→103: +1.2% → long;
    // 103→102: −0.5% → holds long; 102→99: fast 99 vs slow 100.5 (−1.5%) → short.
    expect(feed(s, [100, 100.5, 103, 102, 99])).toEqual([Number.NaN, 0, 2, 2, -2]);
  });
});

describe('MeanReversion', () => {
  it('fades a spike up, exits near the mean, fades a spike down', () => {
    const s = new MeanReversion({ mrWindow: 5, mrEntryZ: 1.5, mrExitZ: 0.3 }, 2);
    const targets = feed(s, [100, 101, 100, 101, 100]);
    // Window [100,101,100,101,100]: mean 100.4, sd √0.3, z = −0.73: between exit and entry → flat holds.
    expect(targets).toEqual([Number.NaN, Number.NaN, Number.NaN, Number.NaN, 0]);
    expect(s.z).toBeCloseTo(-0.4 / Math.sqrt(0.3), 9);
    // 105: window [101,100,101,100,105], mean 101.4, sd √4.3, z = 1.736 ≥ 1.5 → short.
    expect(s.onPrice(105)).toBe(-2);
    expect(s.z).toBeCloseTo(3.6 / Math.sqrt(4.3), 9);
    // 102: window [100,101,100,105,102], mean 101.6, z = 0.2: |z| ≤ 0.3 → flat.
    expect(s.onPrice(102)).toBe(0);
    // 97: window [101,100,105,102,97], mean 101, sd √8.5, z = −1.372: inside the entry → still flat.
    expect(s.onPrice(97)).toBe(0);
    // 90: window [100,105,102,97,90], mean 98.8, sd √32.7, z = −8.8/5.718 = −1.539 ≤ −1.5 → long.
    expect(s.onPrice(90)).toBe(2);
    expect(s.z).toBeCloseTo(-8.8 / Math.sqrt(32.7), 9);
  });

  it('holds its target on a flat window (no standard deviation)', () => {
    const s = new MeanReversion({ mrWindow: 3, mrEntryZ: 1, mrExitZ: 0.5 }, 1);
    expect(feed(s, [100, 100, 100, 100])).toEqual([Number.NaN, Number.NaN, 0, 0]);
    expect(s.z).toBeNaN();
  });
});

describe('planOrder', () => {
  it('steps one lot at a time towards the target', () => {
    expect(planOrder(3, 0, 0.01, 3)).toEqual({ side: 'buy', quantity: 0.01 });
    expect(planOrder(3, 0.02, 0.01, 3)).toEqual({ side: 'buy', quantity: 0.01 });
    expect(planOrder(-3, 0.01, 0.01, 3)).toEqual({ side: 'sell', quantity: 0.01 });
    expect(planOrder(-3, 0.01 + 0.02 - 0.03, 0.01, 3)).toEqual({ side: 'sell', quantity: 0.01 });
    expect(planOrder(0, -0.2, 0.2, 3)).toEqual({ side: 'buy', quantity: 0.2 });
  });

  it('does nothing at the target (up to rounding) or without a target', () => {
    expect(planOrder(3, 0.03, 0.01, 3)).toBeUndefined();
    // 0.01 + 0.01 + 0.01 = 0.030000000000000002
    expect(planOrder(3, 0.01 + 0.01 + 0.01, 0.01, 3)).toBeUndefined();
    expect(planOrder(Number.NaN, 0, 0.01, 3)).toBeUndefined();
  });

  it('trades an odd remainder left by a partial fill, never more than a lot', () => {
    expect(planOrder(1, 0.004, 0.01, 3)).toEqual({ side: 'buy', quantity: 0.006 });
  });

  it('never opens past the position limit, but always lets a position shrink', () => {
    // A target beyond the limit (misconfigured strategy) stops at the limit.
    expect(planOrder(5, 0.03, 0.01, 3)).toBeUndefined();
    expect(planOrder(5, 0.02, 0.01, 3)).toEqual({ side: 'buy', quantity: 0.01 });
    // Already past the limit (fills from elsewhere): orders that reduce it go out.
    expect(planOrder(3, 0.07, 0.01, 3)).toEqual({ side: 'sell', quantity: 0.01 });
    expect(planOrder(-5, -0.05, 0.01, 3)).toBeUndefined();
  });
});
