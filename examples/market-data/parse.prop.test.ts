import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMarketMessage } from './parse.js';

// Whatever a peer sends, the parser returns a message or one of the four reasons, and never throws.
// A few hundred runs each: fast-check already mixes in the edge values (empty, NaN, -0, huge, odd
// Unicode), and hostileValue below names the venue-specific ones, so more runs mostly repeat cases.

const REASONS = ['invalid_json', 'unknown_type', 'missing_field', 'invalid_value'];

function wellFormed(result: unknown): boolean {
  if (typeof result === 'string') return REASONS.includes(result);
  const m = result as { type: string; price: number; exchangeTime: number; quantity: number; volume24h: number };
  return (
    ['trade', 'ticker', 'book'].includes(m.type) &&
    Number.isFinite(m.price) &&
    m.price > 0 &&
    Number.isFinite(m.exchangeTime) &&
    m.exchangeTime > 0 &&
    m.quantity >= 0 &&
    m.volume24h >= 0
  );
}

// Field values a hostile or buggy venue might send in place of the real ones.
const hostileValue = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('NaN', 'Infinity', '-1', '0', '1e999', '0x1f', ' 1', '1.5', '65000.10', 'buy', 'sell', 'BTCUSDT'),
  fc.array(fc.oneof(fc.string(), fc.double()), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);

const messageLike = fc.record(
  {
    e: fc.oneof(fc.constantFrom('trade', 'ticker', 'book'), hostileValue),
    s: hostileValue,
    p: hostileValue,
    q: hostileValue,
    v: hostileValue,
    S: hostileValue,
    b: hostileValue,
    a: hostileValue,
    T: fc.oneof(fc.integer({ min: 1 }), hostileValue),
  },
  { requiredKeys: [] },
);

describe('parseMarketMessage properties', () => {
  it('never throws on arbitrary strings (any Unicode)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (text) => {
        expect(wellFormed(parseMarketMessage(text))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary bytes, as text or binary frames', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, isBinary) => {
        const result = parseMarketMessage(Buffer.from(bytes), isBinary);
        expect(wellFormed(result)).toBe(true);
        if (isBinary) expect(result).toBe('invalid_json');
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(wellFormed(parseMarketMessage(JSON.stringify(value)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('classifies message-shaped objects with hostile fields without throwing', () => {
    fc.assert(
      fc.property(messageLike, (value) => {
        const result = parseMarketMessage(JSON.stringify(value));
        expect(wellFormed(result)).toBe(true);
        // A message is accepted only with a known type.
        if (typeof result !== 'string') expect(['trade', 'ticker', 'book']).toContain(value.e);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts every well-formed trade and keeps its numbers', () => {
    const decimal = fc.double({ min: 1e-8, max: 1e9, noNaN: true }).map((n) => String(n));
    fc.assert(
      fc.property(
        decimal,
        decimal,
        fc.constantFrom('buy', 'sell'),
        fc.integer({ min: 1, max: 4_102_444_800_000 }),
        (p, q, S, T) => {
          const result = parseMarketMessage(JSON.stringify({ e: 'trade', s: 'BTCUSDT', p, q, S, T }));
          expect(result).toMatchObject({
            type: 'trade',
            price: Number(p),
            quantity: Number(q),
            side: S,
            exchangeTime: T,
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
