// The bucket of a value in a native (sparse exponential) histogram, as Prometheus defines it: at
// schema s the buckets' boundaries are the powers of base = 2^(2^-s), bucket k holding the values
// in (base^(k-1), base^k], so 1 is the upper bound of bucket 0 at every schema. A value is split
// into its binary mantissa and exponent (frexp), and the mantissa's place among 2^s precomputed
// boundaries is looked up, so the key is exact even at the boundaries, where a logarithm rounds.
// Nothing here allocates: the split reads the value's bits through one shared typed array.

/** Lowest schema Prometheus accepts: a bucket spans a factor of 2^16. */
export const MIN_NATIVE_SCHEMA = -4;

/** Highest schema Prometheus accepts: a bucket spans a factor of 2^(1/256), about 0.27 %. */
export const MAX_NATIVE_SCHEMA = 8;

// For schema s > 0, the 2^s mantissa boundaries in [0.5, 1): 2^(i / 2^s - 1) for i = 0 … 2^s - 1.
// Index 0 (schema 0 and below) is unused. Built once at load, 511 numbers in all.
const MANTISSA_BOUNDS: readonly Float64Array[] = Array.from({ length: MAX_NATIVE_SCHEMA + 1 }, (_, schema) => {
  const n = schema === 0 ? 1 : 2 ** schema;
  const bounds = new Float64Array(n);
  for (let i = 0; i < n; i++) bounds[i] = 2 ** (i / n - 1);
  return bounds;
});

const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer);
// Little-endian hosts keep the high word (sign, exponent, top of the mantissa) second.
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** The exponent of `frexp(v)`: v = m · 2^e with m in [0.5, 1); v finite and > 0. */
function frexpExponent(v: number): number {
  BITS[0] = v;
  const biased = ((WORDS[HIGH] as number) >>> 20) & 0x7ff;
  if (biased !== 0) return biased - 1022;
  // A subnormal: scale it into the normal range first (2^64 is exact).
  BITS[0] = v * 2 ** 64;
  return (((WORDS[HIGH] as number) >>> 20) & 0x7ff) - 1022 - 64;
}

/**
 * The native-histogram bucket key of a value's magnitude: the k with base^(k-1) < |v| ≤ base^k.
 *
 * @param magnitude - `Math.abs(v)`, finite and greater than 0 (zero and values within the zero
 *   threshold go to the zero bucket; the caller decides that)
 * @param schema - an integer from {@link MIN_NATIVE_SCHEMA} to {@link MAX_NATIVE_SCHEMA}
 * @returns the bucket key
 */
export function nativeBucketKey(magnitude: number, schema: number): number {
  const exponent = frexpExponent(magnitude);
  // Scaling by a power of two is exact; each branch keeps that power representable (2^1024 and
  // 2^-(-1073) are not).
  const mantissa = exponent > 0 ? magnitude * 2 ** -exponent : magnitude / 2 ** exponent;
  if (schema > 0) {
    // The first boundary not below the mantissa: bucket (b[i-1], b[i]] within this power of two.
    const bounds = MANTISSA_BOUNDS[schema] as Float64Array;
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((bounds[mid] as number) < mantissa) lo = mid + 1;
      else hi = mid;
    }
    return lo + (exponent - 1) * bounds.length;
  }
  // Schema 0 and below: one bucket per power of two, then 2^-schema of them merged into one.
  const key = mantissa === 0.5 ? exponent - 1 : exponent;
  const shift = -schema;
  return (key + (1 << shift) - 1) >> shift;
}

/**
 * The upper bound of bucket `key` at `schema`: base^key.
 *
 * @param key - a bucket key
 * @param schema - the schema
 * @returns the bound (the lower bound is the previous key's)
 */
export function nativeBucketUpperBound(key: number, schema: number): number {
  if (schema <= 0) return 2 ** (key * 2 ** -schema);
  const n = 2 ** schema;
  const exponent = Math.floor(key / n);
  const index = key - exponent * n;
  // base^key = 2^(exponent + index / n) = (2 · b[index]) · 2^exponent, with b[0] = 0.5.
  return 2 * (MANTISSA_BOUNDS[schema] as Float64Array)[index]! * 2 ** exponent;
}
