import { describe, expect, it } from 'vitest';
import { LedgerInputError } from './input-error.js';
import { SharpeRatio } from './sharpe.js';

/** The straightforward batch computation: two passes over the array. */
function batchSharpe(returns: readonly number[], periodsPerYear: number, riskFreeRate = 0): number {
  const n = returns.length;
  let sum = 0;
  for (const r of returns) sum += r;
  const mean = sum / n;
  let squares = 0;
  for (const r of returns) squares += (r - mean) ** 2;
  const stdev = Math.sqrt(squares / (n - 1));
  return ((mean - riskFreeRate / periodsPerYear) / stdev) * Math.sqrt(periodsPerYear);
}

/** Deterministic returns (a linear congruential generator), so the fixture is the same every run. */
function dailyReturns(n: number, seed: number): number[] {
  let state = seed;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    out.push((state / 2_147_483_648 - 0.48) * 0.04); // about ±2 % a day, slight positive drift
  }
  return out;
}

describe('SharpeRatio', () => {
  it('matches the batch mean/stdev computation to 1e-9 on a year of daily returns', () => {
    const returns = dailyReturns(365, 42);
    const sharpe = new SharpeRatio({ periodsPerYear: 365 });
    for (const r of returns) sharpe.addReturn(r);
    const expected = batchSharpe(returns, 365);
    expect(Number.isFinite(expected)).toBe(true);
    expect(Math.abs(sharpe.value - expected)).toBeLessThan(1e-9);
  });

  it('subtracts the risk-free rate per period, 252 trading days', () => {
    const returns = dailyReturns(252, 7);
    const sharpe = new SharpeRatio({ periodsPerYear: 252, riskFreeRate: 0.05 });
    for (const r of returns) sharpe.addReturn(r);
    expect(Math.abs(sharpe.value - batchSharpe(returns, 252, 0.05))).toBeLessThan(1e-9);
    expect(sharpe.value).toBeLessThan(batchSharpe(returns, 252, 0));
  });

  it('matches the hand-computed example of the docs', () => {
    const sharpe = new SharpeRatio({ periodsPerYear: 365 });
    for (const r of [0.01, -0.005, 0.015]) sharpe.addReturn(r);
    // mean 0.0066667, sample stdev 0.0104083, ratio 0.6405126, × √365 = 12.2370
    const mean = 0.02 / 3;
    const sd = Math.sqrt(((0.01 - mean) ** 2 + (-0.005 - mean) ** 2 + (0.015 - mean) ** 2) / 2);
    expect(sharpe.value).toBeCloseTo((mean / sd) * Math.sqrt(365), 12);
    expect(sharpe.value.toFixed(4)).toBe('12.2370');
  });

  it('is NaN below minSamples and at zero variance', () => {
    const sharpe = new SharpeRatio({ periodsPerYear: 12, minSamples: 3 });
    expect(sharpe.value).toBeNaN();
    expect(sharpe.addReturn(0.01)).toBeNaN();
    expect(sharpe.addReturn(0.02)).toBeNaN();
    expect(sharpe.addReturn(0.03)).toBeCloseTo((0.02 / 0.01) * Math.sqrt(12), 12);
    const flat = new SharpeRatio({ periodsPerYear: 12 });
    for (let i = 0; i < 10; i++) flat.addReturn(0.005);
    expect(flat.value).toBeNaN();
    expect(flat.count).toBe(10);
  });

  it('rejects bad options', () => {
    for (const [options, field] of [
      [{ periodsPerYear: 0 }, 'periodsPerYear'],
      [{ periodsPerYear: Number.NaN }, 'periodsPerYear'],
      [{ periodsPerYear: 365, riskFreeRate: Number.POSITIVE_INFINITY }, 'riskFreeRate'],
      [{ periodsPerYear: 365, minSamples: 1 }, 'minSamples'],
      [{ periodsPerYear: 365, minSamples: 2.5 }, 'minSamples'],
    ] as const) {
      expect(() => new SharpeRatio(options)).toThrow(LedgerInputError);
      expect(() => new SharpeRatio(options)).toThrow(expect.objectContaining({ field }));
    }
  });
});
