import type { MetricKind } from '../define/metric.js';

/** Per-family counters of what the slow paths did; read by exposition and tests. */
export interface FamilyStats {
  /** Values dropped as invalid. */
  dropped: number;
  /** Records (and binds) that resolved to the overflow slot of an open label. */
  overflowed: number;
  /** Exemplars dropped: labels not declared or not strings, or over the 128-character limit. */
  exemplarsDropped: number;
}

/**
 * Everything a reader (the text writer, the OTel bridge, the prom-client interop, the self-metrics)
 * may see of one family: a readonly view over the family's own arrays, never a copy, so a scrape
 * reads exactly what the hot path wrote and costs what it cost before there was a view. The arrays
 * are sized once from the layout and never reallocated, so a reader may keep references to them.
 *
 * Values are indexed by series offset; iterate {@link series} to visit the series that exist.
 *
 * @internal
 */
export interface SeriesReader {
  readonly kind: MetricKind;
  /** Exact wire name. */
  readonly name: string;
  /** HELP text. */
  readonly help: string;
  /** Declared unit, or `''`. */
  readonly unit: string;
  /** Declared label names, in exposition order. */
  readonly labelNames: readonly string[];
  /** Whether the family has an overflow series, i.e. an open label (it may not exist yet). */
  readonly overflowable: boolean;
  /**
   * Offsets of the series that exist (bound or recorded), in creation order. Live: appended to as
   * series are created; reordered or emptied only by a remove or reset, which bump {@link generation}.
   */
  readonly series: readonly number[];
  /**
   * Bumped by every remove and reset (the only changes that are not an append to {@link series}),
   * so a reader that caches per-series data parallel to `series` knows to rebuild it.
   */
  readonly generation: number;
  /**
   * Label values of the series at `offset`, in {@link labelNames} order; `null` for the overflow
   * series, which has none of its own (it is labelled `otel_metric_overflow`). Allocates: call it
   * once per new series and cache the result, not per scrape.
   */
  labelValues(offset: number): readonly string[] | null;
  /** Per offset: when the series was first resolved, ms since the epoch (OTel start time). */
  readonly startTimes: Float64Array;
  /** Counter or gauge only: per offset, the series' value. Empty for a histogram (see {@link sums}). */
  readonly values: Float64Array;
  /** Histogram only: per offset, the sum of the samples. Empty for a counter or gauge. */
  readonly sums: Float64Array;
  /** Histogram only: per-bucket (not cumulative) counts at `offset * stride + bucket`. */
  readonly bucketCounts: Float64Array;
  /** Histogram only: the finite upper bounds, ascending; `+Inf` is implicit. */
  readonly bounds: Float64Array;
  /** Histogram only: `bounds.length + 1` (the `+Inf` bucket); 1 otherwise. */
  readonly stride: number;
  /** Drop and overflow counts, live. */
  readonly stats: Readonly<FamilyStats>;
  /** Histogram declared with native resolution only: its sparse exponential buckets, live. */
  readonly native?: NativeBuckets;
  /** Counter or histogram declared with exemplars only: the latest exemplar per slot, live. */
  readonly exemplars?: Exemplars;
}

/**
 * The latest exemplar of each slot of a family: slot `offset` of a counter series, slot
 * `offset * stride + bucket` of a histogram series' classic bucket (the `+Inf` bucket last).
 */
export interface Exemplars {
  /** Declared exemplar label names. */
  readonly labelNames: readonly string[];
  /** Per slot: when its latest exemplar was recorded, ms since the epoch; 0 when it has none. */
  readonly times: Float64Array;
  /** Per slot: the latest exemplar's value. */
  readonly values: Float64Array;
  /** Per slot, one value per declared label from `slot * labelNames.length`; `''` when not given. */
  readonly labelValues: readonly string[];
}

/**
 * The native (sparse exponential) buckets of a histogram's series. Per series at `offset`: its
 * current `schemas[offset]`, the samples in its zero bucket, and a window of `window` consecutive
 * bucket keys starting at key `lows[offset]`, whose counts are at `offset * window + slot` (not
 * cumulative; a zero count is an empty bucket). Bucket key k holds the samples in
 * (base^(k−1), base^k] with base = 2^(2^−schema). Count and sum are the histogram's own.
 */
export interface NativeBuckets {
  readonly zeroThreshold: number;
  readonly window: number;
  readonly schemas: Int8Array;
  readonly lows: Int32Array;
  readonly zeroCounts: Float64Array;
  readonly counts: Float64Array;
}

/**
 * What every exposition path reads: families seen through their readers, and the collection step
 * that brings them up to date before a read. A catalog is one; the SDK's self-metrics is another,
 * built on readers alone.
 *
 * @internal
 */
export interface ReaderSource {
  readonly '~families': readonly { readonly '~reader': SeriesReader }[];
  /** Runs the collection step (a catalog's `beforeCollect` hooks) once, before a read. */
  '~runCollectHooks'(): void;
}
