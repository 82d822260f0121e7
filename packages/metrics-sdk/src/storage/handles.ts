import type { DropSink } from './drop-sink.js';
import type { ExemplarLabels, ExemplarSink } from './exemplar-store.js';
import type { NativeStore } from './native-store.js';

// The bound hot path. Each handle holds only its storage, an offset, its family's drop sink (read on
// the slow path only) and, for counters and histograms, its family's exemplar sink (read only by the
// `…WithExemplar` methods), assigned in the constructor in a fixed order so every instance of a
// class shares one hidden class (monomorphic call sites). No method allocates, builds a string, or
// reads a clock (except observeSince and the `…WithExemplar` methods, by request).

/**
 * A counter series bound to one label set. `inc` and `add` are a typed-array write.
 */
export class CounterHandle {
  readonly #values: Float64Array;
  readonly #offset: number;
  readonly #drops: DropSink;
  readonly #exemplars: ExemplarSink;

  /** @internal use `family.bind(labels)` */
  constructor(values: Float64Array, offset: number, drops: DropSink, exemplars: ExemplarSink) {
    this.#values = values;
    this.#offset = offset;
    this.#drops = drops;
    this.#exemplars = exemplars;
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
    else this.#drops.drop(value);
  }

  /**
   * Adds 1 and keeps `exemplar` as the series' latest exemplar (value 1). Reads the clock once.
   *
   * @param exemplar - declared exemplar labels to strings, e.g. `{ trace_id, span_id }`; `undefined`
   *   records without one. Labels not declared, not strings, or over 128 characters together drop
   *   the exemplar (counted in `exemplarsDropped`), never the increment.
   * @throws MetricDefinitionError when the counter declares no `exemplars`
   */
  incWithExemplar(exemplar: ExemplarLabels | undefined): void {
    this.#values[this.#offset] += 1;
    if (exemplar !== undefined) this.#exemplars.record(this.#offset, 1, exemplar);
  }

  /**
   * Adds `value` and keeps `exemplar` as the series' latest exemplar; see {@link incWithExemplar}.
   * An invalid `value` is dropped and counted, with its exemplar.
   *
   * @param value - a finite number ≥ 0
   * @param exemplar - declared exemplar labels to strings, or `undefined`
   */
  addWithExemplar(value: number, exemplar: ExemplarLabels | undefined): void {
    if (value >= 0 && value < Number.POSITIVE_INFINITY) {
      this.#values[this.#offset] += value;
      if (exemplar !== undefined) this.#exemplars.record(this.#offset, value, exemplar);
    } else {
      this.#drops.drop(value);
    }
  }

  /** The current value. */
  get value(): number {
    return this.#values[this.#offset] as number;
  }
}

// Assigned by GaugeHandle's static block, the only code that can reach its private slot.
let storeGauge: (handle: GaugeHandle, value: number) => void;
let addToGauge: (handle: GaugeHandle, value: number) => void;

/**
 * A gauge series bound to one label set.
 */
export class GaugeHandle {
  readonly #values: Float64Array;
  readonly #offset: number;
  readonly #drops: DropSink;

  static {
    // The emitting subclass writes what this class would drop, into the same slot: these give it
    // that slot without a second copy of the array and offset in every emitting handle.
    storeGauge = (handle, value) => {
      handle.#values[handle.#offset] = value;
    };
    addToGauge = (handle, value) => {
      handle.#values[handle.#offset] += value;
    };
  }

  /** @internal use `family.bind(labels)` */
  constructor(values: Float64Array, offset: number, drops: DropSink) {
    this.#values = values;
    this.#offset = offset;
    this.#drops = drops;
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
    else this.#drops.drop(value);
  }

  /**
   * Adds `value` (may be negative).
   *
   * @param value - a finite number
   */
  add(value: number): void {
    if (value - value === 0) this.#values[this.#offset] += value;
    else this.#drops.drop(value);
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
  /** Sets the value, NaN and ±Infinity included. */
  override set(value: number): void {
    storeGauge(this, value);
  }

  /** Adds `value`, NaN and ±Infinity included. */
  override add(value: number): void {
    addToGauge(this, value);
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
  readonly #drops: DropSink;
  readonly #exemplars: ExemplarSink;

  /** @internal use `family.bind(labels)` */
  constructor(
    counts: Float64Array,
    sums: Float64Array,
    offset: number,
    stride: number,
    bounds: Float64Array,
    drops: DropSink,
    exemplars: ExemplarSink,
  ) {
    this.#counts = counts;
    this.#sums = sums;
    this.#offset = offset;
    this.#base = offset * stride;
    this.#bounds = bounds;
    this.#drops = drops;
    this.#exemplars = exemplars;
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
      this.#drops.drop(value);
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

  /**
   * Records one sample, as {@link observe}, and keeps `exemplar` as the latest exemplar of the
   * bucket the sample falls in: Grafana then links that bucket of a latency panel to the trace.
   * Reads the clock once.
   *
   * @param value - a finite number ≥ 0, in the metric's unit
   * @param exemplar - declared exemplar labels to strings, e.g. `{ trace_id, span_id }`; `undefined`
   *   records without one. Labels not declared, not strings, or over 128 characters together drop
   *   the exemplar (counted in `exemplarsDropped`), never the sample.
   * @throws MetricDefinitionError when the histogram declares no `exemplars`
   */
  observeWithExemplar(value: number, exemplar: ExemplarLabels | undefined): void {
    if (value >= 0 && value < Number.POSITIVE_INFINITY) {
      const slot = this.#base + bucketIndex(this.#bounds, value);
      this.#counts[slot] += 1;
      this.#sums[this.#offset] += value;
      if (exemplar !== undefined) this.#exemplars.record(slot, value, exemplar);
    } else {
      this.#drops.drop(value);
    }
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

/**
 * A {@link HistogramHandle} of a histogram declared with native resolution: each sample also
 * counts in its sparse exponential bucket (one key computation and one write, nothing allocated).
 */
export class NativeHistogramHandle extends HistogramHandle {
  readonly #counts: Float64Array;
  readonly #sums: Float64Array;
  readonly #offset: number;
  readonly #base: number;
  readonly #bounds: Float64Array;
  readonly #drops: DropSink;
  readonly #exemplars: ExemplarSink;
  readonly #native: NativeStore;

  /** @internal use `family.bind(labels)` */
  constructor(
    counts: Float64Array,
    sums: Float64Array,
    offset: number,
    stride: number,
    bounds: Float64Array,
    drops: DropSink,
    exemplars: ExemplarSink,
    native: NativeStore,
  ) {
    super(counts, sums, offset, stride, bounds, drops, exemplars);
    // Its own copies of the classic storage, so `observe` is one straight path, not a super call.
    this.#counts = counts;
    this.#sums = sums;
    this.#offset = offset;
    this.#base = offset * stride;
    this.#bounds = bounds;
    this.#drops = drops;
    this.#exemplars = exemplars;
    this.#native = native;
  }

  /**
   * Records one sample in the classic buckets (if any) and in its native bucket. A negative, NaN
   * or infinite sample is dropped and counted.
   *
   * @param value - a finite number ≥ 0, in the metric's unit
   */
  override observe(value: number): void {
    if (value >= 0 && value < Number.POSITIVE_INFINITY) {
      this.#counts[this.#base + bucketIndex(this.#bounds, value)] += 1;
      this.#sums[this.#offset] += value;
      this.#native.record(this.#offset, value);
    } else {
      this.#drops.drop(value);
    }
  }

  /**
   * Records one sample in the classic buckets (if any) and in its native bucket, and keeps
   * `exemplar` as the latest exemplar of its classic bucket; see {@link HistogramHandle.observeWithExemplar}.
   *
   * @param value - a finite number ≥ 0, in the metric's unit
   * @param exemplar - declared exemplar labels to strings, or `undefined`
   */
  override observeWithExemplar(value: number, exemplar: ExemplarLabels | undefined): void {
    if (value >= 0 && value < Number.POSITIVE_INFINITY) {
      const slot = this.#base + bucketIndex(this.#bounds, value);
      this.#counts[slot] += 1;
      this.#sums[this.#offset] += value;
      this.#native.record(this.#offset, value);
      if (exemplar !== undefined) this.#exemplars.record(slot, value, exemplar);
    } else {
      this.#drops.drop(value);
    }
  }
}
