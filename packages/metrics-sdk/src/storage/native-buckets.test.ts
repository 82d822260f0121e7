import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_NATIVE_SCHEMA, MIN_NATIVE_SCHEMA, nativeBucketKey, nativeBucketUpperBound } from './native-buckets.js';

const SCHEMAS = Array.from({ length: MAX_NATIVE_SCHEMA - MIN_NATIVE_SCHEMA + 1 }, (_, i) => MIN_NATIVE_SCHEMA + i);

describe('nativeBucketKey', () => {
  it('puts 1 at the top of bucket 0 and each power of two at the top of its bucket, at every schema', () => {
    for (const schema of SCHEMAS) {
      expect(nativeBucketKey(1, schema), `schema ${schema}`).toBe(0);
      // 2^e is base^(e · 2^schema): the upper bound of that key when the key is whole.
      for (const e of [-20, -3, -1, 1, 2, 7, 30, 100]) {
        const key = e * 2 ** schema;
        if (Number.isInteger(key)) expect(nativeBucketKey(2 ** e, schema), `2^${e} at ${schema}`).toBe(key);
      }
    }
  });

  it('matches the mantissa boundaries Prometheus publishes for schemas 1 to 4', () => {
    // client_golang's nativeHistogramBounds: at schema s the bucket keys within [0.5, 1) start at
    // these mantissas (the first one, 0.5, ends the bucket below).
    const published: Record<number, number[]> = {
      1: [0.5, 0.7071067811865475],
      2: [0.5, 0.5946035575013605, 0.7071067811865475, 0.8408964152537144],
      3: [
        0.5, 0.5452538663326288, 0.5946035575013605, 0.6484197773255048, 0.7071067811865475, 0.7711054127039704,
        0.8408964152537144, 0.9170040432046711,
      ],
      4: [
        0.5, 0.5221368912137069, 0.5452538663326288, 0.5693943173783458, 0.5946035575013605, 0.620928906036742,
        0.6484197773255048, 0.6771277734684463, 0.7071067811865475, 0.7384130729697496, 0.7711054127039704,
        0.805245165974627,
      ],
    };
    // Ours are the correctly rounded 2^(i/2^s - 1); a published one may sit one ulp away (0.7071…75
    // against 2^-0.5 = 0.7071…76), which moves only a value within that ulp to the next bucket.
    for (const [schemaText, bounds] of Object.entries(published)) {
      const schema = Number(schemaText);
      const n = 2 ** schema;
      bounds.forEach((bound, i) => {
        expect(Math.abs(nativeBucketUpperBound(i - n, schema) - bound)).toBeLessThanOrEqual(Number.EPSILON);
        const below = bound * (1 - 2 ** -40);
        const above = bound * (1 + 2 ** -40);
        expect(nativeBucketKey(below, schema), `${below} at ${schema}`).toBe(i - n);
        expect(nativeBucketKey(above, schema), `${above} at ${schema}`).toBe(i - n + 1);
      });
    }
  });

  it('puts a value exactly on one of its own boundaries into the bucket that boundary closes', () => {
    for (const schema of SCHEMAS) {
      for (const key of [-300, -17, -1, 0, 1, 5, 64, 1000]) {
        const bound = nativeBucketUpperBound(key, schema);
        // Keys whose bound is not a normal double (2^(-300·16) underflows) are out of range.
        if (!(bound >= 2 ** -1022 && bound < Number.POSITIVE_INFINITY)) continue;
        expect(nativeBucketKey(bound, schema), `key ${key} at ${schema}`).toBe(key);
      }
    }
  });

  it('merges 2^-schema powers of two into one bucket below schema 0', () => {
    // Schema -2: base 16; bucket 1 is (1, 16], bucket 2 (16, 256], bucket 0 (1/16, 1].
    expect([1.5, 16, 16.5, 256, 257, 0.07, 0.0625, 0.06].map((v) => nativeBucketKey(v, -2))).toEqual([
      1, 1, 2, 2, 3, 0, -1, -1,
    ]);
  });

  it('brackets every value between the bounds of its bucket', () => {
    fc.assert(
      fc.property(
        // Normal values: below 2^-1022 the bounds themselves lose precision (see the subnormal test).
        fc.double({ min: 1e-300, max: 1e300, noNaN: true }),
        fc.integer({ min: MIN_NATIVE_SCHEMA, max: MAX_NATIVE_SCHEMA }),
        (v, schema) => {
          const key = nativeBucketKey(v, schema);
          expect(Number.isInteger(key)).toBe(true);
          expect(v).toBeLessThanOrEqual(nativeBucketUpperBound(key, schema));
          expect(v).toBeGreaterThan(nativeBucketUpperBound(key - 1, schema));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('handles subnormal and the largest finite values', () => {
    expect(nativeBucketKey(Number.MIN_VALUE, 0)).toBe(-1074);
    expect(nativeBucketKey(Number.MAX_VALUE, 0)).toBe(1024);
    expect(nativeBucketKey(Number.MAX_VALUE, 8)).toBe(1024 * 256);
  });
});
