import { describe, expect, it } from 'vitest';
import type { Fill } from './fill.js';
import { Position } from './position.js';

const fill = (buy: boolean, quantity: number, price: number, fee: number): Fill => ({
  strategy: 's',
  symbol: 'X',
  side: buy ? 'buy' : 'sell',
  quantity,
  price,
  fee,
  time: 0,
});

describe('Position (average cost)', () => {
  it('averages entries, realizes on a partial close and keeps the average', () => {
    const p = new Position();
    p.apply(fill(true, 1, 100, 1));
    p.apply(fill(true, 3, 104, 3));
    expect(p.avgPrice).toBe(103);
    expect(p.openFees).toBe(4);
    p.apply(fill(false, 2, 110, 2));
    expect(p.quantity).toBe(2);
    expect(p.avgPrice).toBe(103);
    expect(p.realizedDelta).toBe(14 - 2); // (110 − 103) × 2 − fee
    expect(p.closedQuantity).toBe(2);
    expect(p.tradePnl).toBe(14 - 2 - 2); // and half the opening fees
    expect(p.openFees).toBe(2);
  });

  it('flips through zero: closes the long, opens a short at the fill price, splits the fee', () => {
    const p = new Position();
    p.apply(fill(true, 2, 50, 0));
    p.apply(fill(false, 6, 40, 3));
    expect(p.quantity).toBe(-4);
    expect(p.avgPrice).toBe(40);
    expect(p.closedQuantity).toBe(2);
    expect(p.realizedDelta).toBe(-20 - 3);
    expect(p.tradePnl).toBe(-20 - 1); // closing share: 3 × 2/6
    expect(p.openFees).toBe(2);
    expect(p.unrealizedAt(30)).toBe(40);
  });

  it('realizes a short correctly and resets on an exact close', () => {
    const p = new Position();
    p.apply(fill(false, 5, 20, 0));
    p.apply(fill(true, 5, 18, 0.5));
    expect(p.quantity).toBe(0);
    expect(p.avgPrice).toBe(0);
    expect(p.realizedDelta).toBe(10 - 0.5);
    expect(p.unrealizedAt(99)).toBe(0);
  });

  it('an opening fill realizes only its fee and closes no trade', () => {
    const p = new Position();
    p.apply(fill(false, 1, 10, 0.25));
    expect(p.realizedDelta).toBe(-0.25);
    expect(p.closedQuantity).toBe(0);
  });
});
