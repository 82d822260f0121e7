import { describe, expect, it } from 'vitest';
import { closed, open } from '../define/labels.js';
import { counter, gauge } from '../define/metric.js';
import { codeGenerationAllowed } from './code-generation.js';
import { interpretResolver } from './interpreted-resolver.js';
import { computeLayout, type SeriesLayout } from './layout.js';
import { generateResolver, type Resolver } from './resolver.js';

const tenVenues = closed('v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9');

// The same cases for both ways of building a resolver; the compiled one needs code generation, so
// it is skipped (with the reason in its title) in the run under --disallow-code-generation-from-strings.
const canGenerate = codeGenerationAllowed();
describe.skipIf(!canGenerate)(
  canGenerate ? 'generateResolver' : 'generateResolver (skipped: code generation from strings is disallowed here)',
  () => resolverCases(generateResolver),
);
describe('interpretResolver', () => resolverCases(interpretResolver));

function resolverCases(compileResolver: (layout: SeriesLayout) => Resolver): void {
  it('returns 0 for a label-less metric whatever it is given', () => {
    const resolve = compileResolver(computeLayout(gauge('up', 'h', {})));
    expect([resolve(undefined), resolve({}), resolve({ x: 'y' })]).toEqual([0, 0, 0]);
  });

  it('computes offsets for small closed domains (inline compares)', () => {
    const layout = computeLayout(
      counter('c', 'h', { exchange: closed('binance', 'okx'), side: closed('buy', 'sell') }),
    );
    const resolve = compileResolver(layout);
    expect(resolve({ exchange: 'binance', side: 'buy' })).toBe(0);
    expect(resolve({ exchange: 'binance', side: 'sell' })).toBe(1);
    expect(resolve({ exchange: 'okx', side: 'buy' })).toBe(2);
    expect(resolve({ exchange: 'okx', side: 'sell' })).toBe(3);
    // Key order in the caller's object does not matter.
    expect(resolve({ side: 'sell', exchange: 'okx' })).toBe(3);
  });

  it('computes offsets for a closed domain over 8 values (Map lookup)', () => {
    const layout = computeLayout(counter('c', 'h', { venue: tenVenues, side: closed('buy', 'sell') }));
    const resolve = compileResolver(layout);
    for (let i = 0; i < 10; i++) {
      expect(resolve({ venue: `v${i}`, side: 'buy' })).toBe(i * 2);
      expect(resolve({ venue: `v${i}`, side: 'sell' })).toBe(i * 2 + 1);
    }
    expect(resolve({ venue: 'v10', side: 'buy' })).toBe(-1);
    expect(resolve({ venue: 'toString', side: 'buy' })).toBe(-1);
  });

  it('misses (-1) on anything the slow path must look at', () => {
    const layout = computeLayout(counter('c', 'h', { exchange: closed('binance', 'okx'), venue: tenVenues }));
    const resolve = compileResolver(layout);
    expect(resolve(null)).toBe(-1);
    expect(resolve(undefined)).toBe(-1);
    expect(resolve({})).toBe(-1);
    expect(resolve({ exchange: 'binance' })).toBe(-1);
    expect(resolve({ exchange: 'kraken', venue: 'v1' })).toBe(-1);
    expect(resolve({ exchange: 'binance', venue: 1 })).toBe(-1);
    expect(resolve({ exchange: new String('binance'), venue: 'v1' })).toBe(-1);
  });

  it('reads open labels through the interner: a miss until interned, never the overflow slot', () => {
    // Strides: symbol 2, side 1 (radix = budget; the overflow slot sits after all of them).
    const layout = computeLayout(counter('c', 'h', { symbol: open({ budget: 2 }), side: closed('buy', 'sell') }));
    const resolve = compileResolver(layout);
    const interner = layout.axes[0]?.interner;
    expect(resolve({ symbol: 'BTC', side: 'sell' })).toBe(-1);
    interner?.intern('BTC');
    interner?.intern('ETH');
    expect(resolve({ symbol: 'BTC', side: 'sell' })).toBe(1);
    expect(resolve({ symbol: 'ETH', side: 'buy' })).toBe(2);
    // Past the budget: the value is never interned, so every record takes the slow path and is
    // counted as overflowed there.
    expect(interner?.intern('SOL')).toBe(-1);
    expect(resolve({ symbol: 'SOL', side: 'buy' })).toBe(-1);
    expect(resolve({ symbol: 'ETH', side: 42 })).toBe(-1);
  });

  it('ignores extra keys (the slow path rejects them when the series is first resolved)', () => {
    const resolve = compileResolver(computeLayout(counter('c', 'h', { side: closed('buy', 'sell') })));
    expect(resolve({ side: 'sell', extra: 'x' })).toBe(1);
  });

  it('quotes hostile closed values in the generated code', () => {
    const hostile = closed('a"b', 'c\\d', "'); throw 1; ('", 'é', '\u2028', '\n');
    const resolve = compileResolver(computeLayout(counter('c', 'h', { v: hostile })));
    expect(hostile.values.map((v) => resolve({ v }))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(resolve({ v: 'a' })).toBe(-1);
  });
}
