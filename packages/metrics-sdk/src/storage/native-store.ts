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
 * Where a native store keeps its arrays: its own, or one thread's slab of a shared catalog (then
 * with a sequence word per series, odd while the slow path moves or halves its window).
 *
 * @internal
 */
export interface NativeArrays {
  readonly schemas: Int8Array;
  readonly lows: Int32Array;
  readonly zeroCounts: Float64Array;
  readonly counts: Float64Array;
  readonly sequences?: Int32Array;
}

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
  /** mergeFrom's copy of the other store's window. */
  readonly #incoming: Float64Array;
  /** Shared slab only: per series, odd while its window is being moved or halved. */
  readonly #sequences: Int32Array | undefined;

  /**
   * @param spec - the declared resolution
   * @param capacity - series slots
   * @param arrays - arrays to keep the buckets in (a thread's slab of shared memory); new ones by
   *   default
   * @param initialize - set every series to the declared schema (false for a view of a slab another
   *   thread owns)
   */
  constructor(spec: NativeHistogramSpec, capacity: number, arrays?: NativeArrays, initialize = true) {
    this.zeroThreshold = spec.zeroThreshold;
    this.window = spec.maxBuckets;
    this.#schema = spec.schema;
    this.schemas = arrays?.schemas ?? new Int8Array(capacity);
    // A view of another thread's slab is read as that thread left it.
    if (initialize) this.schemas.fill(spec.schema);
    this.lows = arrays?.lows ?? new Int32Array(capacity);
    this.zeroCounts = arrays?.zeroCounts ?? new Float64Array(capacity);
    this.counts = arrays?.counts ?? new Float64Array(capacity * spec.maxBuckets);
    this.#sequences = arrays?.sequences;
    this.#scratch = new Float64Array(spec.maxBuckets);
    this.#incoming = new Float64Array(spec.maxBuckets);
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
    else this.#placeSample(offset, value);
  }

  /**
   * Adds the buckets of series `offset` of another store (another thread's slab) into series `offset`
   * of this one, at the lower of the two schemas: how a reader sums a shared family's slabs.
   *
   * @param from - the other store
   * @param offset - the series
   * @param anyway - read even a window being moved (its owner may have died mid-move)
   * @param fromOffset - the series in `from`, when it sits elsewhere there (a cluster worker's
   *   snapshot, indexed by its own series order)
   * @returns false when the other store was moving that series' window (read again)
   */
  mergeFrom(from: NativeStore, offset: number, anyway = false, fromOffset = offset): boolean {
    const sequences = from.#sequences;
    const before = sequences === undefined || anyway ? 0 : Atomics.load(sequences, fromOffset);
    if ((before & 1) === 1) return false;
    const window = from.window;
    const base = fromOffset * window;
    // Its own scratch: #place, called below, rebuilds windows in #scratch.
    const theirs = this.#incoming;
    let populated = false;
    for (let slot = 0; slot < window; slot++) {
      const count = from.counts[base + slot] as number;
      theirs[slot] = count;
      if (count !== 0) populated = true;
    }
    const zero = from.zeroCounts[fromOffset] as number;
    const schema = from.schemas[fromOffset] as number;
    const low = from.lows[fromOffset] as number;
    if (sequences !== undefined && !anyway && Atomics.load(sequences, fromOffset) !== before) return false;
    this.zeroCounts[offset] += zero;
    if (!populated) return true;
    for (let slot = 0; slot < window; slot++) {
      const count = theirs[slot] as number;
      if (count === 0) continue;
      // Bucket k at schema s lies inside bucket ceil(k / 2^d) at schema s − d.
      const mine = this.schemas[offset] as number;
      const key = mine < schema ? -(-(low + slot) >> (schema - mine)) : low + slot;
      if (mine > schema) this.#place(offset, key, count, schema);
      else this.#addKey(offset, key, count);
    }
    return true;
  }

  // Adds `count` to bucket `key` (at the series' current schema).
  #addKey(offset: number, key: number, count: number): void {
    const slot = key - (this.lows[offset] as number);
    if (slot >= 0 && slot < this.window) this.counts[offset * this.window + slot] += count;
    else this.#place(offset, key, count, this.schemas[offset] as number);
  }

  // The slow path of one sample, under the series' sequence word (shared slabs), so a reader of this
  // slab never takes a window half moved. Kept out of `record` so that stays small enough to inline.
  #placeSample(offset: number, value: number): void {
    const sequences = this.#sequences;
    if (sequences !== undefined) Atomics.add(sequences, offset, 1);
    const schema = this.schemas[offset] as number;
    this.#place(offset, nativeBucketKey(value, schema), 1, schema);
    if (sequences !== undefined) Atomics.add(sequences, offset, 1);
  }

  /** Empties a series and gives it back its declared schema. */
  clear(offset: number): void {
    this.schemas[offset] = this.#schema;
    this.lows[offset] = 0;
    this.zeroCounts[offset] = 0;
    this.counts.fill(0, offset * this.window, (offset + 1) * this.window);
  }

  // Bucket `key` at schema `keySchema` (≤ the series' schema) is outside the window: move the window
  // over the populated keys and the new one, halving the resolution first while they span more than
  // the window holds, and at least down to `keySchema`.
  #place(offset: number, key: number, count: number, keySchema: number): void {
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
    if (first < 0) {
      // Nothing recorded yet: centre the window on the first key.
      schemas[offset] = keySchema;
      lows[offset] = key - (window >> 1);
      counts[base + (window >> 1)] += count;
      return;
    }
    // Both sides at the lower of the two schemas first.
    let schema = Math.min(oldSchema, keySchema);
    let min = Math.min(-(-(oldLow + first) >> (oldSchema - schema)), key);
    let max = Math.max(-(-(oldLow + last) >> (oldSchema - schema)), key);
    let newKey = key;
    while (max - min >= window && schema > MIN_NATIVE_SCHEMA) {
      schema--;
      // Bucket k at schema s lies inside bucket ceil(k / 2) at schema s − 1.
      min = -(-min >> 1);
      max = -(-max >> 1);
      newKey = -(-newKey >> 1);
    }
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
    scratch[clamp(newKey - low, window)] += count;
    counts.set(scratch, base);
    lows[offset] = low;
    schemas[offset] = schema;
  }
}

function clamp(slot: number, window: number): number {
  return slot < 0 ? 0 : slot >= window ? window - 1 : slot;
}
