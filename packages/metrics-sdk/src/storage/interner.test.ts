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

  it('returns the overflow ordinal (= budget) past the budget and remembers nothing new', () => {
    const interner = new OpenLabelInterner(2);
    interner.intern('a');
    interner.intern('b');
    expect(interner.overflow).toBe(2);
    expect(interner.intern('c')).toBe(2);
    expect(interner.intern('d')).toBe(2);
    expect(interner.intern('a')).toBe(0);
    expect(interner.values).toEqual(['a', 'b']);
    expect(interner.ordinals.has('c')).toBe(false);
  });

  it('keeps values that only look special as ordinary values', () => {
    const interner = new OpenLabelInterner(4);
    expect(interner.intern('')).toBe(0);
    expect(interner.intern('__proto__')).toBe(1);
    expect(interner.intern('constructor')).toBe(2);
    expect(interner.intern('__overflow__')).toBe(3);
    expect(interner.values).toEqual(['', '__proto__', 'constructor', '__overflow__']);
  });
});
