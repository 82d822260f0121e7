import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  type ExponentialHistogram,
  type ExponentialHistogramMetricData,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { closed } from '../define/labels.js';
import { histogram } from '../define/metric.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { CatalogMetricProducer } from './producer.js';

// A histogram declared with native resolution reaches OTel readers as an exponential histogram, and
// must hold what OpenTelemetry's own base-2 exponential aggregation holds for the same samples. OTel
// starts at scale 20 and lowers it until the samples fit `maxSize` buckets; ours starts at the
// declared schema and lowers it until they fit `maxBuckets`. With the same bucket limit and samples
// that need a scale below the declared schema, both end at the same scale, bucket for bucket.

const MAX_BUCKETS = 64;

class Latency extends catalog({
  latency: histogram(
    'parity_latency_ms',
    'Latency.',
    { venue: closed('a') },
    { unit: 'ms', buckets: [1, 10, 100], native: { schema: 8, maxBuckets: MAX_BUCKETS } },
  ),
}) {}

async function ours(values: readonly number[]): Promise<ExponentialHistogram> {
  const m = new Latency({ onInvalidValue: throwOnInvalidValue });
  const h = m.latency.bind({ venue: 'a' });
  for (const v of values) h.observe(v);
  const { resourceMetrics } = await new CatalogMetricProducer([m], {
    selfMetrics: false,
    histogramsWithBoth: 'exponential',
  }).collect();
  const data = resourceMetrics.scopeMetrics[0]?.metrics[0] as ExponentialHistogramMetricData;
  expect(data.dataPointType).toBe(DataPointType.EXPONENTIAL_HISTOGRAM);
  return data.dataPoints[0]?.value as ExponentialHistogram;
}

async function otel(values: readonly number[]): Promise<ExponentialHistogram> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const provider = new MeterProvider({
    readers: [reader],
    views: [
      {
        instrumentName: 'otel_latency_ms',
        aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: MAX_BUCKETS } },
      },
    ],
  });
  const h = provider.getMeter('parity').createHistogram('otel_latency_ms');
  for (const v of values) h.record(v, { venue: 'a' });
  await reader.forceFlush();
  const data = exporter.getMetrics()[0]?.scopeMetrics[0]?.metrics[0] as ExponentialHistogramMetricData;
  await provider.shutdown();
  expect(data.dataPointType).toBe(DataPointType.EXPONENTIAL_HISTOGRAM);
  return data.dataPoints[0]?.value as ExponentialHistogram;
}

/** Bucket counts keyed by OTel index, empty buckets left out (the two may pad differently). */
function buckets(h: ExponentialHistogram): [number, number][] {
  return h.positive.bucketCounts.flatMap((count, i) => (count === 0 ? [] : [[h.positive.offset + i, count]]));
}

describe('native histogram through the OTel bridge', () => {
  it('equals OpenTelemetry’s exponential aggregation of the same samples: scale, buckets, count, sum', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Latency-like samples over five decades: they need a scale well below 8 to fit 64 buckets.
        fc.array(
          fc.double({ min: 0.01, max: 1000, noNaN: true }).filter((v) => v > 0),
          { maxLength: 300 },
        ),
        async (drawn) => {
          // Both ends of the range, so the samples always need a scale below 8.
          const values = [0.01, 1000, ...drawn];
          const [a, b] = [await ours(values), await otel(values)];
          expect(a.scale).toBe(b.scale);
          expect(buckets(a)).toEqual(buckets(b));
          expect([a.count, a.zeroCount]).toEqual([b.count, b.zeroCount]);
          expect(a.sum).toBeCloseTo(b.sum as number, 6);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('counts zeros in the zero bucket, as OTel does', async () => {
    const values = [0, 0, 0.5, 3, 7, 900];
    const [a, b] = [await ours(values), await otel(values)];
    expect([a.zeroCount, a.count, buckets(a)]).toEqual([b.zeroCount, b.count, buckets(b)]);
  });

  it('exports a histogram with both as its classic buckets unless asked, and a native-only one as exponential', async () => {
    class Both extends catalog({
      both: histogram('both_ms', 'Both.', {}, { buckets: [1, 10], native: true }),
      nativeOnly: histogram('native_only_ms', 'Native only.', {}, { buckets: [], native: true }),
    }) {}
    const m = new Both({ onInvalidValue: throwOnInvalidValue });
    m.both.bind().observe(3);
    m.nativeOnly.bind().observe(3);
    const types = async (options: ConstructorParameters<typeof CatalogMetricProducer>[1]) => {
      const { resourceMetrics } = await new CatalogMetricProducer([m], { selfMetrics: false, ...options }).collect();
      return resourceMetrics.scopeMetrics[0]?.metrics.map((d) => [d.descriptor.name, d.dataPointType]);
    };
    expect(await types({})).toEqual([
      ['both_ms', DataPointType.HISTOGRAM],
      ['native_only_ms', DataPointType.EXPONENTIAL_HISTOGRAM],
    ]);
    expect(await types({ histogramsWithBoth: 'exponential' })).toEqual([
      ['both_ms', DataPointType.EXPONENTIAL_HISTOGRAM],
      ['native_only_ms', DataPointType.EXPONENTIAL_HISTOGRAM],
    ]);
    expect(() => new CatalogMetricProducer([m], { histogramsWithBoth: 'native' as never })).toThrow(
      /options\.histogramsWithBoth/,
    );
  });
});
