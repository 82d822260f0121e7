// The runtime metrics reach OpenTelemetry through the same bridge as every catalog: one OTel metric
// per runtime family that has series, with the data point type of its kind and the same series.

import { DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import { afterAll, describe, expect, it } from 'vitest';
import type { MetricKind } from '../../src/define/metric.js';
import { CatalogMetricProducer } from '../../src/otel/producer.js';
import { RuntimeMetrics } from '../../src/runtime/runtime-metrics.js';
import { throwOnInvalidValue } from '../../src/storage/invalid.js';

const POINT_TYPE: Record<MetricKind, DataPointType> = {
  counter: DataPointType.SUM,
  gauge: DataPointType.GAUGE,
  histogram: DataPointType.HISTOGRAM,
};

describe('RuntimeMetrics through CatalogMetricProducer', () => {
  const rm = new RuntimeMetrics({ onInvalidValue: throwOnInvalidValue });
  afterAll(() => rm.stop());

  it('yields one metric per runtime family with series, of the matching data point type', async () => {
    const producer = new CatalogMetricProducer([rm], { selfMetrics: false });
    // Two collections a monitor sample apart, so the event-loop families have series too.
    await producer.collect();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { resourceMetrics, errors } = await producer.collect();
    expect(errors).toEqual([]);
    const metrics = new Map<string, MetricData>(
      resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics.map((m) => [m.descriptor.name, m] as const)),
    );

    // The collection ran the hooks: the families with series now are what the producer must carry.
    const withSeries = rm['~families'].filter((family) => family.seriesCount > 0);
    expect(withSeries.length).toBeGreaterThan(rm['~families'].length / 2);
    expect([...metrics.keys()].sort()).toEqual(withSeries.map((f) => f.name).sort());
    for (const family of withSeries) {
      const store = family['~store'];
      const metric = metrics.get(family.name) as MetricData;
      expect(metric.dataPointType, family.name).toBe(POINT_TYPE[store.kind]);
      expect(metric.dataPoints, family.name).toHaveLength(store.series.length);
      if (store.kind === 'counter') expect((metric as { isMonotonic?: boolean }).isMonotonic).toBe(true);
    }

    const cpu = metrics.get('process_cpu_seconds_total');
    expect(cpu?.dataPoints[0]?.value).toBeGreaterThan(0);
    const gc = metrics.get('nodejs_gc_duration_seconds');
    expect(gc?.dataPoints.map((p) => p.attributes['kind']).sort()).toEqual(['incremental', 'major', 'minor', 'weakcb']);
  });
});
