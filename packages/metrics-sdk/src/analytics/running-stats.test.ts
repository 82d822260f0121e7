import { describe, expect, it } from 'vitest';
import { RunningStats } from './running-stats.js';

describe('RunningStats', () => {
  it('is NaN before enough values', () => {
    const stats = new RunningStats();
    expect(stats.count).toBe(0);
    expect(stats.mean).toBeNaN();
    expect(stats.populationVariance).toBeNaN();
    stats.push(3);
    expect(stats.mean).toBe(3);
    expect(stats.populationVariance).toBe(0);
    expect(stats.variance).toBeNaN();
    expect(stats.stdev).toBeNaN();
  });

  it('matches hand-computed mean and variances', () => {
    const stats = new RunningStats();
    for (const x of [2, 4, 4, 4, 5, 5, 7, 9]) stats.push(x);
    expect(stats.mean).toBe(5);
    expect(stats.populationVariance).toBe(4); // Σ(x−5)² = 32, / 8
    expect(stats.variance).toBeCloseTo(32 / 7, 14);
    expect(stats.stdev).toBeCloseTo(Math.sqrt(32 / 7), 14);
  });

  it('stays accurate on a large offset, where Σx² − (Σx)²/n cancels', () => {
    const stats = new RunningStats();
    for (const x of [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16]) stats.push(x);
    expect(stats.variance).toBe(30); // deviations −6, −3, 3, 6: 90 / 3
  });

  it('gives exactly zero variance for a constant series', () => {
    const stats = new RunningStats();
    for (let i = 0; i < 100; i++) stats.push(0.1);
    expect(stats.variance).toBe(0);
  });

  it('reset forgets everything', () => {
    const stats = new RunningStats();
    stats.push(1);
    stats.push(2);
    stats.reset();
    expect(stats.count).toBe(0);
    expect(stats.mean).toBeNaN();
  });
});
