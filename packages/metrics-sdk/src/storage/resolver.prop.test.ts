import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { MetricLabelError } from '../define/errors.js';
import { closed, open } from '../define/labels.js';
import { counter } from '../define/metric.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { throwOnInvalidValue } from './invalid.js';
import { decodeOffset } from './layout.js';
import { compileResolver } from './resolver.js';

const SIDES = ['buy', 'sell', 'hold'] as const;
const VENUES = ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9'] as const;
const SYMBOL_BUDGET = 3;
const ACCOUNT_BUDGET = 2;

// Two small closed domains, one past the inline limit (Map lookup), two open labels.
const defs = {
  orders: counter('orders_total', 'Orders.', {
    side: closed(...SIDES),
    symbol: open({ budget: SYMBOL_BUDGET }),
    venue: closed(...VENUES),
    account: open({ budget: ACCOUNT_BUDGET }),
  }),
} as const;
class Desk extends catalog(defs) {}

type Labels = { side: string; symbol: string; venue: string; account: string };

// Values outside the closed domains make some calls invalid; open pools exceed their budgets.
const labelsArb: fc.Arbitrary<Labels> = fc.record({
  side: fc.constantFrom(...SIDES, 'short'),
  symbol: fc.constantFrom('BTC', 'ETH', 'SOL', 'XRP', 'DOGE'),
  venue: fc.constantFrom(...VENUES, 'v10'),
  account: fc.constantFrom('a', 'b', 'c'),
});

/** An independent model of the offset: first-seen ordinals for open values, within budget. */
class Model {
  readonly symbols = new Map<string, number>();
  readonly accounts = new Map<string, number>();

  valid(l: Labels): boolean {
    return (SIDES as readonly string[]).includes(l.side) && (VENUES as readonly string[]).includes(l.venue);
  }

  /**
   * Records a valid call; returns the offset, or -1 when an open value overflowed (then neither
   * open value is interned: a folded record takes no slot).
   */
  record(l: Labels): number {
    if (!admits(this.symbols, l.symbol, SYMBOL_BUDGET) || !admits(this.accounts, l.account, ACCOUNT_BUDGET)) return -1;
    const s = intern(this.symbols, l.symbol, SYMBOL_BUDGET);
    const a = intern(this.accounts, l.account, ACCOUNT_BUDGET);
    // Strides, last label fastest: account 1, venue ACCOUNT_BUDGET, symbol 3 × that, side SYMBOL_BUDGET × that.
    const venueStride = ACCOUNT_BUDGET;
    const symbolStride = VENUES.length * venueStride;
    const sideStride = SYMBOL_BUDGET * symbolStride;
    return (
      SIDES.indexOf(l.side as never) * sideStride +
      s * symbolStride +
      VENUES.indexOf(l.venue as never) * venueStride +
      a
    );
  }
}

function admits(map: Map<string, number>, value: string, budget: number): boolean {
  return map.has(value) || map.size < budget;
}

function intern(map: Map<string, number>, value: string, budget: number): number {
  const known = map.get(value);
  if (known !== undefined) return known;
  if (map.size >= budget) return -1;
  map.set(value, map.size);
  return map.size - 1;
}

describe('resolver vs slow path', () => {
  it('resolves every combo to the offset the slow path created, or misses', () => {
    fc.assert(
      fc.property(fc.array(labelsArb, { minLength: 1, maxLength: 60 }), (calls) => {
        const desk = new Desk({ onInvalidValue: throwOnInvalidValue });
        const store = desk.orders['~store'];
        const resolve = compileResolver(store.layout);
        const model = new Model();
        let overflowed = 0;
        let valid = 0;
        const overflowOffset = store.layout.overflowOffset;
        for (const labels of calls) {
          if (!model.valid(labels)) {
            expect(() => desk.orders.inc(labels as never)).toThrow(MetricLabelError);
            expect(resolve(labels)).toBe(-1);
            continue;
          }
          valid++;
          desk.orders.inc(labels as never);
          const expected = model.record(labels);
          const offset = resolve(labels);
          expect(offset).toBe(expected);
          if (expected < 0) {
            overflowed++;
            expect(store.touched[overflowOffset]).toBe(1);
          } else {
            expect(store.touched[offset]).toBe(1);
            expect(decodeOffset(store.layout, offset)).toEqual([
              labels.side,
              labels.symbol,
              labels.venue,
              labels.account,
            ]);
          }
        }
        expect(desk.orders.overflowed).toBe(overflowed);
        let total = 0;
        for (const offset of store.series) {
          total += store.values[offset] as number;
          const decoded = decodeOffset(store.layout, offset);
          // A series is either resolvable by the fast path or the overflow series.
          if (decoded === null) expect(offset).toBe(overflowOffset);
          else
            expect(resolve({ side: decoded[0], symbol: decoded[1], venue: decoded[2], account: decoded[3] })).toBe(
              offset,
            );
        }
        // Every valid record is in some series: none lost to the budget.
        expect(total).toBe(valid);
        expect(overflowed === 0 ? 0 : store.values[overflowOffset]).toBe(overflowed);
      }),
      { numRuns: 200 },
    );
  });

  it('bound handles and unbound calls expose the same text', () => {
    fc.assert(
      fc.property(fc.array(labelsArb, { maxLength: 40 }), (calls) => {
        const unbound = new Desk({ onInvalidValue: throwOnInvalidValue });
        const bound = new Desk({ onInvalidValue: throwOnInvalidValue });
        for (const labels of calls) {
          let failedUnbound = false;
          let failedBound = false;
          try {
            unbound.orders.inc(labels as never);
          } catch {
            failedUnbound = true;
          }
          try {
            bound.orders.bind(labels as never).inc();
          } catch {
            failedBound = true;
          }
          expect(failedBound).toBe(failedUnbound);
        }
        expect(new PrometheusWriter([bound]).renderText()).toBe(new PrometheusWriter([unbound]).renderText());
        expect(bound.orders.overflowed).toBe(unbound.orders.overflowed);
      }),
      { numRuns: 100 },
    );
  });
});
