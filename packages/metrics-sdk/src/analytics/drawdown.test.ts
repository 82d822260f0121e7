import { describe, expect, it } from 'vitest';
import { DrawdownTracker } from './drawdown.js';

describe('DrawdownTracker', () => {
  it('starts at the given value with no drawdown', () => {
    const dd = new DrawdownTracker(5);
    expect(dd.peak).toBe(5);
    expect(dd.equity).toBe(5);
    expect(dd.drawdown).toBe(0);
    expect(dd.maxDrawdown).toBe(0);
  });

  it('measures from the running peak and keeps the largest fall after a recovery', () => {
    const dd = new DrawdownTracker();
    const grew = [10, 4, 12, 1, 20, 15].map((equity) => dd.update(equity));
    expect(grew).toEqual([false, true, false, true, false, false]);
    expect(dd.peak).toBe(20);
    expect(dd.drawdown).toBe(5);
    expect(dd.maxDrawdown).toBe(11); // 12 → 1
  });

  it('counts a fall below the start (a curve that starts at 0 and goes negative)', () => {
    const dd = new DrawdownTracker();
    dd.update(-3);
    expect(dd.peak).toBe(0);
    expect(dd.maxDrawdown).toBe(3);
  });
});
