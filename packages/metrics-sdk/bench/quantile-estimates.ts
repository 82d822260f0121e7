// Quantile estimates as Prometheus 2.42's `histogram_quantile` computes them (promql/quantile.go,
// `bucketQuantile` for classic `le` buckets, `histogramQuantile` for native histograms), the exact
// quantile of a sample they are compared against, and a seeded log-normal sampler so the comparison
// is reproducible. Used by bench/accuracy.bench.ts and its test; nothing here is part of the SDK.

import { nativeBucketUpperBound } from '../src/storage/native-buckets.js';
import type { NativeBuckets } from '../src/storage/series-reader.js';

// ---------------------------------------------------------------- exact

/**
 * The exact φ-quantile of a sample, nearest rank: the smallest sample x with at least φ·n samples
 * ≤ x, i.e. `sorted[ceil(φ·n) − 1]` (the first sample for φ = 0). It is the same rank rule
 * `histogram_quantile` uses to pick a bucket (the first whose cumulative count reaches φ·n), so the
 * exact value always lies in the bucket an estimate interpolates in.
 *
 * @param sorted - the samples, ascending, at least one
 * @param q - φ in [0, 1]
 * @returns the sample at that rank
 */
export function exactQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0 || !(q >= 0 && q <= 1)) return Number.NaN;
  const index = Math.max(0, Math.ceil(q * n) - 1);
  return sorted[Math.min(index, n - 1)] as number;
}

// ---------------------------------------------------------------- classic buckets

/** One cumulative classic bucket, as the `_bucket{le="…"}` series carries it. */
export interface ClassicBucket {
  /** `le`: finite, or `Infinity` for the last bucket. */
  readonly upperBound: number;
  /** Observations ≤ `upperBound`. */
  readonly cumulativeCount: number;
}

/**
 * Cumulative `le` buckets from per-bucket counts, the way a scrape exposes them.
 *
 * @param bounds - the finite upper bounds, ascending
 * @param counts - per-bucket (not cumulative) counts: `bounds.length + 1` of them, `+Inf` last
 * @returns one bucket per bound plus the `+Inf` bucket
 */
export function cumulativeBuckets(bounds: ArrayLike<number>, counts: ArrayLike<number>): ClassicBucket[] {
  const buckets: ClassicBucket[] = [];
  let cumulative = 0;
  for (let i = 0; i <= bounds.length; i++) {
    cumulative += counts[i] as number;
    buckets.push({
      upperBound: i < bounds.length ? (bounds[i] as number) : Number.POSITIVE_INFINITY,
      cumulativeCount: cumulative,
    });
  }
  return buckets;
}

/**
 * `histogram_quantile(q, …)` over classic buckets, as Prometheus 2.42's `bucketQuantile`: rank =
 * q · total; the first bucket whose cumulative count reaches the rank holds the quantile, which is
 * interpolated linearly between the bucket's lower bound (the previous `le`; 0 for the first bucket
 * when its `le` is above 0) and its upper bound. A rank that falls in the `+Inf` bucket returns the
 * highest finite bound, however far above it the samples went.
 *
 * @param q - φ in [0, 1] (below 0 gives −Inf, above 1 +Inf, NaN NaN, as in Prometheus)
 * @param buckets - cumulative buckets, ascending by `upperBound`, the last one `+Inf`
 * @returns the estimate; NaN for no observations, fewer than 2 buckets or no `+Inf` bucket
 */
export function classicQuantile(q: number, buckets: readonly ClassicBucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const last = buckets.length - 1;
  if (last < 1 || buckets[last]?.upperBound !== Number.POSITIVE_INFINITY) return Number.NaN;
  const observations = (buckets[last] as ClassicBucket).cumulativeCount;
  if (observations === 0) return Number.NaN;
  const rank = q * observations;
  // sort.Search over all but the +Inf bucket: the first index whose count reaches the rank, else `last`.
  let b = 0;
  while (b < last && (buckets[b] as ClassicBucket).cumulativeCount < rank) b++;
  if (b === last) return (buckets[last - 1] as ClassicBucket).upperBound;
  const bucket = buckets[b] as ClassicBucket;
  if (b === 0 && bucket.upperBound <= 0) return bucket.upperBound;
  const below = b > 0 ? (buckets[b - 1] as ClassicBucket) : undefined;
  const start = below?.upperBound ?? 0;
  const before = below?.cumulativeCount ?? 0;
  return start + (bucket.upperBound - start) * ((rank - before) / (bucket.cumulativeCount - before));
}

// ---------------------------------------------------------------- native buckets

/** One series' native histogram: non-negative observations only, as histograms record them. */
export interface NativeSnapshot {
  readonly schema: number;
  readonly zeroThreshold: number;
  /** Observations in the zero bucket, [0, zeroThreshold]. */
  readonly zeroCount: number;
  /** Populated positive buckets, ascending by key; key k holds (base^(k−1), base^k]. */
  readonly buckets: readonly { readonly key: number; readonly count: number }[];
}

/**
 * One series' native buckets, read out of a family's `~reader.native`.
 *
 * @param native - the family's native buckets
 * @param offset - the series
 * @returns its schema, zero bucket and populated buckets
 */
export function nativeSnapshot(native: NativeBuckets, offset: number): NativeSnapshot {
  const buckets: { key: number; count: number }[] = [];
  const low = native.lows[offset] as number;
  for (let slot = 0; slot < native.window; slot++) {
    const count = native.counts[offset * native.window + slot] as number;
    if (count !== 0) buckets.push({ key: low + slot, count });
  }
  return {
    schema: native.schemas[offset] as number,
    zeroThreshold: native.zeroThreshold,
    zeroCount: native.zeroCounts[offset] as number,
    buckets,
  };
}

/**
 * `histogram_quantile(q, …)` over a native histogram, as Prometheus 2.42's `histogramQuantile`:
 * walk the buckets upwards (zero bucket first) until the cumulative count reaches rank = q · count,
 * then interpolate linearly between that bucket's lower and upper bound. With no negative buckets
 * the zero bucket spans [0, zeroThreshold]; a positive bucket's lower bound is raised to the zero
 * threshold when it lies below it, as Prometheus's bucket iterator does (moot at the default 2^−128). Later Prometheus versions interpolate exponentially inside
 * a native bucket (and walk from the top for q ≥ 0.5); 2.42's linear rule is the one here, and it is
 * what bounds the error by the bucket width below. Empty buckets are skipped: they change nothing
 * for q > 0, and an exposed span never starts with one.
 *
 * @param q - φ in [0, 1] (below 0 gives −Inf, above 1 +Inf, NaN NaN, as in Prometheus)
 * @param h - the histogram
 * @returns the estimate; NaN for no observations
 */
export function nativeQuantile(q: number, h: NativeSnapshot): number {
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  let total = h.zeroCount;
  for (const b of h.buckets) total += b.count;
  if (total === 0 || Number.isNaN(q)) return Number.NaN;
  const rank = q * total;
  let lower = 0;
  let upper = h.zeroThreshold;
  let count = h.zeroCount;
  let cumulative = h.zeroCount;
  if (h.zeroCount === 0 || cumulative < rank) {
    for (const b of h.buckets) {
      if (b.count === 0) continue;
      cumulative += b.count;
      lower = Math.max(nativeBucketUpperBound(b.key - 1, h.schema), h.zeroThreshold);
      upper = nativeBucketUpperBound(b.key, h.schema);
      count = b.count;
      if (cumulative >= rank) break;
    }
  }
  // Float rounding could leave the rank a hair above the total: return the top bound, as 2.42 does.
  if (cumulative < rank) return upper;
  return lower + (upper - lower) * ((rank - (cumulative - count)) / count);
}

/**
 * The largest relative error of a native estimate at `schema`, wherever the quantile lands outside
 * the zero bucket: the estimate and the exact value share a bucket (L, L·base], so they differ by
 * less than (base − 1)·L, i.e. base − 1 of the exact value, with base = 2^(2^−schema).
 *
 * @param schema - the schema the series holds
 * @returns base − 1 (schema 3: about 0.0905)
 */
export function relativeBucketWidth(schema: number): number {
  return 2 ** (2 ** -schema) - 1;
}

// ---------------------------------------------------------------- seeded samples

/**
 * mulberry32: a tiny 32-bit PRNG, good enough to draw benchmark samples and reproducible from a seed.
 *
 * @param seed - any 32-bit integer
 * @returns a function giving uniform numbers in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * `n` log-normal samples, exp(ln(median) + σ·Z) with Z standard normal drawn by Box–Muller from
 * {@link mulberry32}: a latency shape, most samples near the median and a long right tail.
 *
 * @param n - how many
 * @param median - e^μ, in the samples' unit
 * @param sigma - σ of the underlying normal
 * @param seed - PRNG seed
 * @returns the samples, in draw order
 */
export function logNormalSamples(n: number, median: number, sigma: number, seed: number): Float64Array {
  const random = mulberry32(seed);
  const out = new Float64Array(n);
  const mu = Math.log(median);
  for (let i = 0; i < n; i += 2) {
    // 1 − u is in (0, 1]: the logarithm stays finite.
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    out[i] = Math.exp(mu + sigma * radius * Math.cos(angle));
    if (i + 1 < n) out[i + 1] = Math.exp(mu + sigma * radius * Math.sin(angle));
  }
  return out;
}
