import { describe, expect, it } from 'vitest';
import { OpenLabelInterner } from './interner.js';

describe('OpenLabelInterner', () => {
  it('gives dense ordinals in first-seen order and the same ordinal again for a known value', () => {
    const interner = new OpenLabelInterner(3);
    expect([interner.intern('BTC'), interner.intern('ETH'), interner.intern('BTC'), interner.intern('SOL')]).toEqual([
      0, 1, 0, 2,
    ]);
    expect(interner.values).toEqual(['BTC', 'ETH', 'SOL']);
    expect([...interner.ordinals]).toEqual([
      ['BTC', 0],
      ['ETH', 1],
      ['SOL', 2],
    ]);
  });

  it('returns -1 past the budget, admits only known values then, and remembers nothing new', () => {
    const interner = new OpenLabelInterner(2);
    expect(interner.admits('a')).toBe(true);
    interner.intern('a');
    interner.intern('b');
    expect(interner.admits('a')).toBe(true);
    expect(interner.admits('c')).toBe(false);
    expect(interner.intern('c')).toBe(-1);
    expect(interner.intern('d')).toBe(-1);
    expect(interner.intern('a')).toBe(0);
    expect(interner.values).toEqual(['a', 'b']);
    expect(interner.ordinals.has('c')).toBe(false);
  });

  it('keeps values that only look special as ordinary values', () => {
    const interner = new OpenLabelInterner(4);
    expect(interner.intern('')).toBe(0);
    expect(interner.intern('__proto__')).toBe(1);
    expect(interner.intern('constructor')).toBe(2);
    expect(interner.intern('otel_metric_overflow')).toBe(3);
    expect(interner.values).toEqual(['', '__proto__', 'constructor', 'otel_metric_overflow']);
  });
});
