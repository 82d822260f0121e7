import { reportInvalidValue } from './invalid.js';

// The bound hot path. Each handle holds only its storage and an offset, assigned in the constructor
// in a fixed order so every instance of a class shares one hidden class (monomorphic call sites).
// No method allocates, builds a string, or reads a clock (except observeSince, by request).

/**
 * A counter series bound to one label set. `inc` and `add` are a typed-array write.
 */
export class CounterHandle {
  readonly #values: Float64Array;
  readonly #offset: number;

  /** @internal use `family.bind(labels)` */
  constructor(values: Float64Array, offset: number) {
    this.#values = values;
    this.#offset = offset;
  }

  /** Adds 1. */
  inc(): void {
    this.#values[this.#offset] += 1;
  }

  /**
   * Adds `value`. A negative, NaN or infinite value is dropped and counted (see `onInvalidValue`):
   * a counter never goes down.
   *
   * @param value - a finite number ≥ 0
   */
  add(value: number): void {
    // One compare pair rejects negatives, NaN and ±Infinity.
    if (value >= 0 && value < Number.POSITIVE_INFINITY) this.#values[this.#offset] += value;
    else reportInvalidValue(this.#values, value);
  }

  /** The current value. */
  get value(): number {
    return this.#values[this.#offset] as number;
  }
}

/**
 * A gauge series bound to one label set.
 */
export class GaugeHandle {
  readonly #values: Float64Array;
  readonly #offset: number;

  /** @internal use `family.bind(labels)` */
  constructor(values: Float64Array, offset: number) {
    this.#values = values;
    this.#offset = offset;
  }

  /**
   * Sets the value. A non-finite value is dropped and counted, unless the gauge declares
   * `nonFinite: 'emit'`.
   *
   * @param value - a finite number
   */
  set(value: number): void {
    // `v - v === 0` is false exactly for NaN and ±Infinity.
    if (value - value === 0) this.#values[this.#offset] = value;
    else reportInvalidValue(this.#values, value);
  }

  /**
   * Adds `value` (may be negative).
   *
   * @param value - a finite number
   */
  add(value: number): void {
    if (value - value === 0) this.#values[this.#offset] += value;
    else reportInvalidValue(this.#values, value);
  }

  /** Adds 1. */
  inc(): void {
    this.#values[this.#offset] += 1;
  }

  /** Subtracts 1. */
  dec(): void {
    this.#values[this.#offset] -= 1;
  }

  /** The current value. */
  get value(): number {
    return this.#values[this.#offset] as number;
  }
}

/**
 * A gauge handle for a gauge declared with `nonFinite: 'emit'`: NaN and ±Infinity are stored.
 */
export class EmittingGaugeHandle extends GaugeHandle {
  readonly #store: Float64Array;
  readonly #at: number;

  /** @internal use `family.bind(labels)` */
  constructor(values: Float64Array, offset: number) {
    super(values, offset);
    this.#store = values;
    this.#at = offset;
  }

  /** Sets the value, NaN and ±Infinity included. */
  override set(value: number): void {
    this.#store[this.#at] = value;
  }

  /** Adds `value`, NaN and ±Infinity included. */
  override add(value: number): void {
    this.#store[this.#at] += value;
  }
}

/**
 * Index of the first bucket whose upper bound is ≥ `value` (Prometheus `le` semantics), or
 * `bounds.length` for the implicit `+Inf` bucket.
 *
 * @internal
 */
export function bucketIndex(bounds: Float64Array, value: number): number {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bounds[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A histogram series bound to one label set. Keeps per-bucket counts (not cumulative: cumulating
 * happens at exposition) and a sum.
 */
export class HistogramHandle {
  readonly #counts: Float64Array;
  readonly #sums: Float64Array;
  readonly #offset: number;
  readonly #base: number;
  readonly #bounds: Float64Array;

  /** @internal use `family.bind(labels)` */
  constructor(counts: Float64Array, sums: Float64Array, offset: number, stride: number, bounds: Float64Array) {
    this.#counts = counts;
    this.#sums = sums;
    this.#offset = offset;
    this.#base = offset * stride;
    this.#bounds = bounds;
  }

  /**
   * Records one sample. A negative, NaN or infinite sample is dropped and counted.
   *
   * @param value - a finite number ≥ 0, in the metric's unit
   */
  observe(value: number): void {
    if (value >= 0 && value < Number.POSITIVE_INFINITY) {
      this.#counts[this.#base + bucketIndex(this.#bounds, value)] += 1;
      this.#sums[this.#offset] += value;
    } else {
      reportInvalidValue(this.#sums, value);
    }
  }

  /**
   * Records the time elapsed since `start`, a `performance.now()` reading, in milliseconds. One
   * clock read; no closure, unlike a timer object.
   *
   * @param start - an earlier `performance.now()` value
   */
  observeSince(start: number): void {
    this.observe(performance.now() - start);
  }

  /** Number of samples recorded. */
  get count(): number {
    let total = 0;
    const end = this.#base + this.#bounds.length + 1;
    for (let i = this.#base; i < end; i++) total += this.#counts[i] as number;
    return total;
  }

  /** Sum of the samples recorded. */
  get sum(): number {
    return this.#sums[this.#offset] as number;
  }
}
