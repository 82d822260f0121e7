import { describe, expect, it } from 'vitest';
import { closed, open } from '../define/labels.js';
import { counter, gauge } from '../define/metric.js';
import { validateDefinitions } from '../define/validate.js';
import { computeLayout, decodeOffset } from './layout.js';

const def = counter('orders_total', 'h', {
  exchange: closed('binance', 'okx', 'bybit'),
  symbol: open({ budget: 4 }),
  side: closed('buy', 'sell'),
});

describe('computeLayout', () => {
  it('gives mixed-radix strides with the last label varying fastest', () => {
    const layout = computeLayout(def);
    expect(layout.axes.map((a) => [a.name, a.radix, a.stride])).toEqual([
      ['exchange', 3, 8],
      ['symbol', 4, 2],
      ['side', 2, 1],
    ]);
    // 3 exchanges × 4 symbols × 2 sides, plus the one overflow slot at the end.
    expect(layout.capacity).toBe(25);
    expect(layout.overflowOffset).toBe(24);
    expect(layout.axes[0]?.closedValues).toEqual(['binance', 'okx', 'bybit']);
    expect(layout.axes[0]?.interner).toBeUndefined();
    expect(layout.axes[1]?.closedValues).toEqual([]);
    expect(layout.axes[1]?.interner?.budget).toBe(4);
  });

  it('reads budgets of open labels named like Object.prototype members from the declaration', () => {
    const named = counter('calls_total', 'h', { constructor: open({ budget: 3 }), toString: open({ budget: 2 }) });
    const layout = computeLayout(named);
    expect(layout.axes.map((a) => [a.name, a.radix])).toEqual([
      ['constructor', 3],
      ['toString', 2],
    ]);
    expect(layout.capacity).toBe(7);
    expect(validateDefinitions({ calls: named })).toEqual([]);
  });

  it('applies a budget override to the open label', () => {
    const layout = computeLayout(def, { symbol: 9 });
    expect(layout.axes[1]?.radix).toBe(9);
    expect(layout.axes[1]?.interner?.budget).toBe(9);
    expect(layout.capacity).toBe(55);
  });

  it('has one slot for a label-less metric', () => {
    expect(computeLayout(gauge('up', 'h', {}))).toEqual({ axes: [], capacity: 1, overflowOffset: -1 });
  });

  it('gives each layout its own interners', () => {
    const a = computeLayout(def);
    const b = computeLayout(def);
    a.axes[1]?.interner?.intern('X');
    expect(b.axes[1]?.interner?.values).toEqual([]);
  });
});

describe('decodeOffset', () => {
  it('inverts the offset arithmetic for every slot, and gives null for the overflow slot', () => {
    const layout = computeLayout(def);
    const interner = layout.axes[1]?.interner;
    for (const s of ['A', 'B', 'C', 'D']) interner?.intern(s);
    const symbols = ['A', 'B', 'C', 'D'];
    const seen = new Set<number>();
    for (const [e, exchange] of ['binance', 'okx', 'bybit'].entries()) {
      for (const [s, symbol] of symbols.entries()) {
        for (const [d, side] of ['buy', 'sell'].entries()) {
          const offset = e * 8 + s * 2 + d;
          seen.add(offset);
          expect(decodeOffset(layout, offset)).toEqual([exchange, symbol, side]);
        }
      }
    }
    expect(seen.size).toBe(layout.capacity - 1);
    expect(decodeOffset(layout, layout.overflowOffset)).toBeNull();
  });

  it('decodes the single slot of a label-less metric to no values', () => {
    expect(decodeOffset(computeLayout(gauge('up', 'h', {})), 0)).toEqual([]);
  });
});
