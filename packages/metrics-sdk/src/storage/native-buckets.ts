// The bucket of a value in a native (sparse exponential) histogram, as Prometheus defines it: at
// schema s the buckets' boundaries are the powers of base = 2^(2^-s), bucket k holding the values
// in (base^(k-1), base^k], so 1 is the upper bound of bucket 0 at every schema. A value is split
// into its binary mantissa and exponent (frexp) by reading its bits, and the mantissa's place among
// 2^s precomputed boundaries is looked up, so the key is exact even at the boundaries, where a
// logarithm rounds. Nothing here allocates or calls Math: bits go through one shared typed array.

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

// For schema s > 0, which bucket a mantissa starts in, by its top s + 1 fraction bits: each such
// prefix covers a range of mantissas narrower than the gap between two boundaries (a gap is at
// least 0.35 / 2^s, a prefix 0.5 / 2^(s+1)), so the table entry plus one comparison finds the
// bucket with no search: entry = how many boundaries lie below the prefix's lowest mantissa.
const PREFIX_STARTS: readonly Uint16Array[] = MANTISSA_BOUNDS.map((bounds, schema) => {
  if (schema === 0) return new Uint16Array(0);
  const bits = schema + 1;
  const starts = new Uint16Array(2 ** bits);
  let below = 0;
  for (let prefix = 0; prefix < starts.length; prefix++) {
    const lowest = 0.5 + prefix * 2 ** (-1 - bits);
    while (below < bounds.length && (bounds[below] as number) < lowest) below++;
    starts[prefix] = below;
  }
  return starts;
});

const BITS = new Float64Array(1);
const WORDS = new Uint32Array(BITS.buffer);
// Little-endian hosts keep the high word (sign, exponent, top 20 fraction bits) second.
const HIGH = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LOW = 1 - HIGH;

/**
 * The native-histogram bucket key of a value's magnitude: the k with base^(k-1) < |v| ≤ base^k.
 *
 * @param magnitude - `Math.abs(v)`, finite and greater than 0 (zero and values within the zero
 *   threshold go to the zero bucket; the caller decides that)
 * @param schema - an integer from {@link MIN_NATIVE_SCHEMA} to {@link MAX_NATIVE_SCHEMA}
 * @returns the bucket key
 */
export function nativeBucketKey(magnitude: number, schema: number): number {
  BITS[0] = magnitude;
  const high = WORDS[HIGH] as number;
  const biased = high >>> 20;
  // A subnormal (below 2^-1022): scale it up by 2^64, exactly, and take 64 from the exponent.
  if (biased === 0) return subnormalKey(magnitude, schema);
  // frexp: magnitude = m · 2^exponent with m in [0.5, 1).
  const exponent = biased - 1022;
  if (schema > 0) {
    const bounds = MANTISSA_BOUNDS[schema] as Float64Array;
    let index = (PREFIX_STARTS[schema] as Uint16Array)[(high & 0xfffff) >>> (19 - schema)] as number;
    // The mantissa itself: the same bits with the exponent of [0.5, 1).
    WORDS[HIGH] = (high & 0xfffff) | 0x3fe00000;
    const mantissa = BITS[0] as number;
    while (index < bounds.length && (bounds[index] as number) < mantissa) index++;
    return index + ((exponent - 1) << schema);
  }
  // Schema 0 and below: one bucket per power of two (2^(e-1) itself closes the bucket below), then
  // 2^-schema of them merged into one.
  const key = (high & 0xfffff) === 0 && WORDS[LOW] === 0 ? exponent - 1 : exponent;
  const shift = -schema;
  return (key + (1 << shift) - 1) >> shift;
}

function subnormalKey(magnitude: number, schema: number): number {
  // 2^64 · magnitude is normal and exact; its key is 64 · 2^schema more than the magnitude's at a
  // schema ≥ 0. Below 0 the merge of 2^-schema powers must see the true exponent: recompute.
  if (schema >= 0) return nativeBucketKey(magnitude * 2 ** 64, schema) - 64 * 2 ** schema;
  const key = nativeBucketKey(magnitude * 2 ** 64, 0) - 64;
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
