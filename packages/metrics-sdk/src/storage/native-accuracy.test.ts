// The quantile estimators of bench/accuracy.bench.ts (Prometheus 2.42's histogram_quantile rules) on
// hand-computed cases, then the claim that bench prints: over seeded log-normal latencies recorded
// into a real histogram, the native schema-3 estimate stays within the schema's relative bucket
// width of the exact quantile, while the classic buckets' estimate can be far off. Lives under src/
// because the unit project only collects src/ and test/ files.

import { describe, expect, it } from 'vitest';
import {
  classicQuantile,
  cumulativeBuckets,
  exactQuantile,
  logNormalSamples,
  type NativeSnapshot,
  nativeQuantile,
  nativeSnapshot,
  relativeBucketWidth,
} from '../../bench/quantile-estimates.js';
import { marketDataDefinitions } from '../catalogs/market-data.js';
import { catalog } from '../define/catalog.js';
import { histogram } from '../define/metric.js';
import { throwOnInvalidValue } from './invalid.js';
import type { NativeBuckets } from './series-reader.js';

describe('exactQuantile (nearest rank)', () => {
  const sorted = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

  it('takes the smallest sample with at least q·n samples at or below it', () => {
    expect(exactQuantile(sorted, 0)).toBe(1);
    expect(exactQuantile(sorted, 0.5)).toBe(5);
    expect(exactQuantile(sorted, 0.9)).toBe(9);
    expect(exactQuantile(sorted, 0.91)).toBe(10);
    expect(exactQuantile(sorted, 1)).toBe(10);
    expect(exactQuantile([], 0.5)).toBeNaN();
  });
});

describe('classicQuantile (bucketQuantile)', () => {
  // le=1: 2, le=2: 4, le=4: 8, +Inf: 10.
  const buckets = cumulativeBuckets([1, 2, 4], [2, 2, 4, 2]);

  it('builds cumulative le buckets ending in +Inf', () => {
    expect(buckets).toEqual([
      { upperBound: 1, cumulativeCount: 2 },
      { upperBound: 2, cumulativeCount: 4 },
      { upperBound: 4, cumulativeCount: 8 },
      { upperBound: Number.POSITIVE_INFINITY, cumulativeCount: 10 },
    ]);
  });

  it('interpolates linearly inside the bucket that reaches the rank, from 0 in the first one', () => {
    expect(classicQuantile(0, buckets)).toBe(0);
    expect(classicQuantile(0.1, buckets)).toBe(0.5); // rank 1 of 2 in (0, 1]
    expect(classicQuantile(0.3, buckets)).toBe(1.5); // rank 1 of 2 in (1, 2]
    expect(classicQuantile(0.5, buckets)).toBe(2.5); // rank 1 of 4 in (2, 4]
    expect(classicQuantile(0.8, buckets)).toBe(4); // rank 8 reached exactly at le=4
  });

  it('returns the highest finite bound for a rank in the +Inf bucket', () => {
    expect(classicQuantile(0.9, buckets)).toBe(4);
    expect(classicQuantile(1, buckets)).toBe(4);
  });

  it('returns the first bound when it is ≤ 0 and the rank falls in it', () => {
    expect(classicQuantile(0.25, cumulativeBuckets([-1, 1], [1, 1, 0]))).toBe(-1);
  });

  it('has the special cases of Prometheus', () => {
    expect(classicQuantile(-0.1, buckets)).toBe(Number.NEGATIVE_INFINITY);
    expect(classicQuantile(1.1, buckets)).toBe(Number.POSITIVE_INFINITY);
    expect(classicQuantile(Number.NaN, buckets)).toBeNaN();
    expect(classicQuantile(0.5, cumulativeBuckets([1], [0, 0]))).toBeNaN();
    expect(classicQuantile(0.5, [{ upperBound: 1, cumulativeCount: 1 }])).toBeNaN();
    expect(
      classicQuantile(0.5, [
        { upperBound: 1, cumulativeCount: 1 },
        { upperBound: 2, cumulativeCount: 2 },
      ]),
    ).toBeNaN();
  });
});

describe('nativeQuantile (histogramQuantile, 2.42 linear rule)', () => {
  // Schema 0: bucket k is (2^(k−1), 2^k]. Zero bucket [0, 0.001]: 2; (1, 2]: 4; (2, 4]: 2; (8, 16]: 2.
  const h: NativeSnapshot = {
    schema: 0,
    zeroThreshold: 0.001,
    zeroCount: 2,
    buckets: [
      { key: 1, count: 4 },
      { key: 2, count: 2 },
      { key: 4, count: 2 },
    ],
  };

  it('interpolates linearly between the lower and upper bound of the bucket reaching the rank', () => {
    expect(nativeQuantile(0.1, h)).toBeCloseTo(0.0005, 15); // rank 1 of 2 in the zero bucket [0, 0.001]
    expect(nativeQuantile(0.4, h)).toBe(1.5); // rank 2 of 4 in (1, 2]
    expect(nativeQuantile(0.7, h)).toBe(3); // rank 1 of 2 in (2, 4]
    expect(nativeQuantile(0.9, h)).toBe(12); // rank 1 of 2 in (8, 16]: the empty (4, 8] is skipped
    expect(nativeQuantile(1, h)).toBe(16);
  });

  it('starts at the lowest bucket when the zero bucket is empty', () => {
    expect(nativeQuantile(0, { ...h, zeroCount: 0 })).toBe(1);
    expect(nativeQuantile(0.25, { ...h, zeroCount: 0 })).toBe(1.5); // rank 2 of 4 in (1, 2]
  });

  it('uses the schema’s bounds: key 8 at schema 3 is (2^(7/8), 2]', () => {
    const one: NativeSnapshot = { schema: 3, zeroThreshold: 2 ** -128, zeroCount: 0, buckets: [{ key: 8, count: 4 }] };
    expect(nativeQuantile(0.5, one)).toBeCloseTo(2 ** (7 / 8) + (2 - 2 ** (7 / 8)) / 2, 12);
  });

  it('has the special cases of Prometheus', () => {
    expect(nativeQuantile(-0.1, h)).toBe(Number.NEGATIVE_INFINITY);
    expect(nativeQuantile(1.1, h)).toBe(Number.POSITIVE_INFINITY);
    expect(nativeQuantile(Number.NaN, h)).toBeNaN();
    expect(nativeQuantile(0.5, { ...h, zeroCount: 0, buckets: [] })).toBeNaN();
  });

  it('bounds the relative error by base − 1', () => {
    expect(relativeBucketWidth(0)).toBe(1);
    expect(relativeBucketWidth(3)).toBeCloseTo(0.0905077, 6);
    expect(relativeBucketWidth(5)).toBeCloseTo(0.0218971, 6);
  });
});

describe('log-normal samples', () => {
  it('are reproducible from the seed and centred on the median', () => {
    const a = logNormalSamples(10_001, 2, 0.5, 7);
    expect(logNormalSamples(10_001, 2, 0.5, 7)).toEqual(a);
    expect(logNormalSamples(10_001, 2, 0.5, 8)).not.toEqual(a);
    expect(a.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    expect(exactQuantile(a.slice().sort(), 0.5)).toBeGreaterThan(1.9);
    expect(exactQuantile(a.slice().sort(), 0.5)).toBeLessThan(2.1);
  });
});

describe('native vs classic accuracy on seeded log-normal latencies', () => {
  const { buckets, native } = marketDataDefinitions.latency;
  const Accuracy = catalog({
    latency: histogram('accuracy_latency_ms', 'Catalog buckets, native.', {}, { buckets, native: native ?? true }),
  });
  const N = 200_000;
  const QUANTILES = [0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999];

  function record(median: number, sigma: number, seed: number) {
    const m = new Accuracy({ onInvalidValue: throwOnInvalidValue });
    const h = m.latency.bind();
    const samples = logNormalSamples(N, median, sigma, seed);
    for (const v of samples) h.observe(v);
    const reader = m.latency['~reader'];
    const offset = reader.series[0] as number;
    const counts = reader.bucketCounts.subarray(offset * reader.stride, (offset + 1) * reader.stride);
    return {
      sorted: samples.sort(),
      native: nativeSnapshot(reader.native as NativeBuckets, offset),
      classic: cumulativeBuckets(reader.bounds, counts),
    };
  }

  for (const [median, sigma, seed] of [
    [2, 0.5, 0x5eed0001],
    [5, 1, 0x5eed0002],
  ] as const) {
    it(`schema 3 stays within its bucket width at every quantile (median ${median} ms, σ ${sigma})`, () => {
      const r = record(median, sigma, seed);
      // The catalogs' default 160 buckets hold the whole sample at schema 3: no halving.
      expect(r.native.schema).toBe(3);
      const bound = relativeBucketWidth(3);
      for (const q of QUANTILES) {
        const exact = exactQuantile(r.sorted, q);
        const error = Math.abs(nativeQuantile(q, r.native) / exact - 1);
        expect(error, `p${q * 100}`).toBeLessThan(bound);
      }
    });
  }

  it('classic p99 and p99.9 are further off than native wherever the classic bucket is wide', () => {
    const r = record(2, 0.5, 0x5eed0001);
    const errors = [0.99, 0.999].map((q) => {
      const exact = exactQuantile(r.sorted, q);
      return {
        q,
        native: Math.abs(nativeQuantile(q, r.native) / exact - 1),
        classic: Math.abs(classicQuantile(q, r.classic) / exact - 1),
      };
    });
    // Both land in the classic (5, 10] bucket, a factor of 2 wide; for this seed the classic error
    // exceeds native's at both, and at p99 (mid-bucket, on the falling tail) even native's bound.
    for (const e of errors) expect(e.classic, `p${e.q * 100}`).toBeGreaterThan(e.native);
    expect(errors[0]?.classic).toBeGreaterThan(relativeBucketWidth(3));
  });
});
