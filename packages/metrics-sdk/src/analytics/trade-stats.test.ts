import { describe, expect, it } from 'vitest';
import { BREAK_EVEN_USD, TradeStats } from './trade-stats.js';

describe('TradeStats', () => {
  it('is undefined (NaN) before any closed trade', () => {
    const stats = new TradeStats();
    expect(stats.closed).toBe(0);
    expect(stats.winRate).toBeNaN();
    expect(stats.avgProfit).toBeNaN();
    expect(stats.avgLoss).toBeNaN();
  });

  it('counts wins, losses and break-evens; win rate over all closed trades', () => {
    const stats = new TradeStats();
    expect([10, -4, 0, 2, -6, BREAK_EVEN_USD / 2].map((pnl) => stats.record(pnl))).toEqual([
      'win',
      'loss',
      'breakEven',
      'win',
      'loss',
      'breakEven',
    ]);
    expect(stats).toMatchObject({ winning: 2, losing: 2, breakEven: 2, closed: 6, grossProfit: 12, grossLoss: 10 });
    expect(stats.winRate).toBe(2 / 6);
    expect(stats.avgProfit).toBe(6);
    expect(stats.avgLoss).toBe(5);
  });

  it('treats float noise around zero as break-even, and a cent as a win', () => {
    const stats = new TradeStats();
    expect(stats.record(0.1 + 0.2 - 0.3)).toBe('breakEven'); // 5.5e-17
    expect(stats.record(-1e-12)).toBe('breakEven');
    expect(stats.record(0.01)).toBe('win');
  });
});
