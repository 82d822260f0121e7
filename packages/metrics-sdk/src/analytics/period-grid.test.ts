import { describe, expect, it } from 'vitest';
import { PeriodGrid } from './period-grid.js';

describe('PeriodGrid', () => {
  it('anchors at the first reading and closes one period per boundary, despite jitter', () => {
    const grid = new PeriodGrid(1000);
    expect(grid.anchored).toBe(false);
    expect(grid.advance(500)).toBe(true); // anchor: boundaries at 1500, 2500, 3500 …
    expect(grid.advance(1499)).toBe(false);
    expect(grid.advance(1503)).toBe(true);
    expect(grid.advance(2499.9)).toBe(false);
    expect(grid.advance(2500)).toBe(true);
    expect(grid.skipped).toBe(0);
  });

  it('counts skipped periods and ignores a clock that goes back', () => {
    const grid = new PeriodGrid(10);
    grid.advance(0);
    expect(grid.advance(45)).toBe(true); // crosses 10, 20, 30, 40
    expect(grid.skipped).toBe(3);
    expect(grid.advance(30)).toBe(false);
    expect(grid.advance(49)).toBe(false);
    expect(grid.advance(50)).toBe(true);
  });

  it('rejects a non-finite time or period', () => {
    expect(() => new PeriodGrid(0)).toThrow(expect.objectContaining({ field: 'sharpe.periodMs' }));
    const grid = new PeriodGrid(1);
    expect(() => grid.advance(Number.NaN)).toThrow(expect.objectContaining({ field: 'now' }));
    expect(grid.anchored).toBe(false);
  });
});
