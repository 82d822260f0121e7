import type { NativeHistogramSpec } from '../define/metric.js';
import { MIN_NATIVE_SCHEMA, nativeBucketKey } from './native-buckets.js';

// Storage of the native (sparse exponential) buckets of a histogram, sized once: per series, a
// window of `maxBuckets` consecutive bucket keys starting at that series' `low` key, its current
// schema and its zero-bucket count. A record is one key computation and one typed-array write
// when the key falls in the window. A key outside it moves the window (the populated keys still
// fit) or halves the resolution, schema by schema, merging neighbouring buckets until they do, as
// client_golang does past its maximum bucket number; that slow path allocates nothing either (it
// merges through one scratch window). Only samples ≥ 0 reach it: histograms drop negative ones.

/**
 * The native buckets of every series of one histogram family.
 *
 * @internal
 */
export class NativeStore {
  readonly zeroThreshold: number;
  /** Keys per series window: `maxBuckets`. */
  readonly window: number;
  /** Per offset: the current schema (it only decreases, until the series is cleared). */
  readonly schemas: Int8Array;
  /** Per offset: the bucket key held by the first slot of its window. */
  readonly lows: Int32Array;
  /** Per offset: samples counted in the zero bucket. */
  readonly zeroCounts: Float64Array;
  /** Per offset, `window` slots from `offset * window`: the count of bucket `lows[offset] + slot`. */
  readonly counts: Float64Array;
  readonly #schema: number;
  readonly #scratch: Float64Array;

  constructor(spec: NativeHistogramSpec, capacity: number) {
    this.zeroThreshold = spec.zeroThreshold;
    this.window = spec.maxBuckets;
    this.#schema = spec.schema;
    this.schemas = new Int8Array(capacity).fill(spec.schema);
    this.lows = new Int32Array(capacity);
    this.zeroCounts = new Float64Array(capacity);
    this.counts = new Float64Array(capacity * spec.maxBuckets);
    this.#scratch = new Float64Array(spec.maxBuckets);
  }

  /**
   * Counts one sample of the series at `offset`.
   *
   * @param offset - the series
   * @param value - a finite sample ≥ 0
   */
  record(offset: number, value: number): void {
    if (value <= this.zeroThreshold) {
      this.zeroCounts[offset] += 1;
      return;
    }
    const window = this.window;
    const slot = nativeBucketKey(value, this.schemas[offset] as number) - (this.lows[offset] as number);
    if (slot >= 0 && slot < window) this.counts[offset * window + slot] += 1;
    else this.#place(offset, value);
  }

  /** Empties a series and gives it back its declared schema. */
  clear(offset: number): void {
    this.schemas[offset] = this.#schema;
    this.lows[offset] = 0;
    this.zeroCounts[offset] = 0;
    this.counts.fill(0, offset * this.window, (offset + 1) * this.window);
  }

  // The key is outside the window: move the window over the populated keys and the new one, halving
  // the resolution first while they span more than the window holds.
  #place(offset: number, value: number): void {
    const { window, counts, lows, schemas } = this;
    const base = offset * window;
    let first = -1;
    let last = -1;
    for (let slot = 0; slot < window; slot++) {
      if ((counts[base + slot] as number) === 0) continue;
      if (first < 0) first = slot;
      last = slot;
    }
    const oldSchema = schemas[offset] as number;
    const oldLow = lows[offset] as number;
    let schema = oldSchema;
    let key = nativeBucketKey(value, schema);
    if (first < 0) {
      // Nothing recorded yet: centre the window on the first key.
      lows[offset] = key - (window >> 1);
      counts[base + (window >> 1)] += 1;
      return;
    }
    let min = Math.min(oldLow + first, key);
    let max = Math.max(oldLow + last, key);
    while (max - min >= window && schema > MIN_NATIVE_SCHEMA) {
      schema--;
      // Bucket k at schema s lies inside bucket ceil(k / 2) at schema s − 1.
      min = -(-min >> 1);
      max = -(-max >> 1);
    }
    key = nativeBucketKey(value, schema);
    const shift = oldSchema - schema;
    // Centre the populated keys in the window; at schema −4 a window too small for them (fewer
    // than about 140 buckets across the whole range of doubles) folds the excess into its ends.
    const low = max - min >= window ? min : min - ((window - (max - min + 1)) >> 1);
    const scratch = this.#scratch;
    scratch.fill(0);
    for (let slot = first; slot <= last; slot++) {
      const count = counts[base + slot] as number;
      if (count === 0) continue;
      const merged = -(-(oldLow + slot) >> shift);
      scratch[clamp(merged - low, window)] += count;
    }
    scratch[clamp(key - low, window)] += 1;
    counts.set(scratch, base);
    lows[offset] = low;
    schemas[offset] = schema;
  }
}

function clamp(slot: number, window: number): number {
  return slot < 0 ? 0 : slot >= window ? window - 1 : slot;
}
