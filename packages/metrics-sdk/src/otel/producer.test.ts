import { readFileSync } from 'node:fs';
import { ValueType } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type GaugeMetricData,
  type HistogramMetricData,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { StrategyMetrics } from '../catalogs/strategy.js';
import { catalog } from '../define/catalog.js';
import { MetricDefinitionError } from '../define/errors.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { createMeterProvider } from './meter-provider.js';
import { CatalogMetricProducer, msToHrTime, SCOPE_NAME, SCOPE_VERSION } from './producer.js';

const defs = {
  sent: counter(
    'test_sent_total',
    'Messages sent.',
    { venue: closed('a', 'b'), symbol: open({ budget: 2 }) },
    { unit: '1' },
  ),
  plain: counter('test_plain_total', 'No labels.', {}),
  price: gauge('test_price', 'Last price.', { venue: closed('a', 'b') }, { unit: 'usd' }),
  latency: histogram('test_latency_ms', 'Latency.', { venue: closed('a', 'b') }, { unit: 'ms', buckets: [1, 5, 10] }),
  idle: gauge('test_idle', 'Never recorded.', {}),
} as const;
class TestMetrics extends catalog(defs) {}

/** A clock that returns each given time in turn, then keeps returning the last. */
function clock(...times: number[]): () => number {
  let i = 0;
  return () => times[Math.min(i++, times.length - 1)] as number;
}

async function collectMetrics(producer: CatalogMetricProducer): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await producer.collect();
  expect(errors).toEqual([]);
  return byName(resourceMetrics);
}

function byName(resourceMetrics: ResourceMetrics): Map<string, MetricData> {
  const out = new Map<string, MetricData>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
  }
  return out;
}

describe('CatalogMetricProducer', () => {
  it('exports a counter as a monotonic cumulative sum with decoded attributes and its own start times', async () => {
    const m = new TestMetrics({
      onInvalidValue: throwOnInvalidValue,
      now: clock(1_700_000_000_123.5, 1_700_000_001_000),
    });
    m.sent.add({ venue: 'b', symbol: 'BTCUSDT' }, 3);
    m.sent.inc({ venue: 'a', symbol: 'ETH"\\\nUSDT' });
    const producer = new CatalogMetricProducer([m], { now: () => 1_700_000_005_250 });
    const sent = (await collectMetrics(producer)).get('test_sent_total') as SumMetricData;
    expect(sent.dataPointType).toBe(DataPointType.SUM);
    expect(sent.isMonotonic).toBe(true);
    expect(sent.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(sent.descriptor).toEqual({
      name: 'test_sent_total',
      description: 'Messages sent.',
      unit: '',
      valueType: ValueType.DOUBLE,
    });
    expect(sent.dataPoints).toEqual([
      {
        startTime: [1_700_000_000, 123_500_000],
        endTime: [1_700_000_005, 250_000_000],
        attributes: { venue: 'b', symbol: 'BTCUSDT' },
        value: 3,
      },
      {
        startTime: [1_700_000_001, 0],
        endTime: [1_700_000_005, 250_000_000],
        attributes: { venue: 'a', symbol: 'ETH"\\\nUSDT' },
        value: 1,
      },
    ]);
  });

  it('exports an unlabelled series with empty attributes, and records past the budget in the otel.metric.overflow series', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 0 });
    m.plain.bind().add(7);
    for (const symbol of ['S1', 'S2', 'S3', 'S4']) m.sent.inc({ venue: 'a', symbol });
    const metrics = await collectMetrics(new CatalogMetricProducer([m], { now: () => 1000 }));
    expect(metrics.get('test_plain_total')?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{}, 7]]);
    expect(metrics.get('test_sent_total')?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ venue: 'a', symbol: 'S1' }, 1],
      [{ venue: 'a', symbol: 'S2' }, 1],
      [{ 'otel.metric.overflow': true }, 2],
    ]);
    expect(
      metrics.get('ttquant_metrics_overflow_records_total')?.dataPoints.map((p) => [p.attributes, p.value]),
    ).toEqual([[{ metric: 'test_sent_total' }, 2]]);
  });

  it('exports a gauge as a gauge, including negative values', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 2000 });
    m.price.set({ venue: 'a' }, -12.25);
    const price = (await collectMetrics(new CatalogMetricProducer([m], { now: () => 3000 }))).get(
      'test_price',
    ) as GaugeMetricData;
    expect(price.dataPointType).toBe(DataPointType.GAUGE);
    expect(price.dataPoints).toEqual([
      { startTime: [2, 0], endTime: [3, 0], attributes: { venue: 'a' }, value: -12.25 },
    ]);
  });

  it('passes NaN and infinities of a nonFinite: "emit" gauge through (strategy_sharpe_ratio)', async () => {
    const sm = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 0 });
    sm.sharpe.set({ strategy: 'warming_up' }, Number.NaN);
    sm.sharpe.set({ strategy: 'degenerate' }, Number.POSITIVE_INFINITY);
    const sharpe = (await collectMetrics(new CatalogMetricProducer([sm]))).get('strategy_sharpe_ratio');
    expect(sharpe?.dataPointType).toBe(DataPointType.GAUGE);
    const values = sharpe?.dataPoints.map((p) => [p.attributes.strategy, p.value]);
    expect(values).toEqual([
      ['warming_up', Number.NaN],
      ['degenerate', Number.POSITIVE_INFINITY],
    ]);
  });

  it('exports a histogram with per-bucket (not cumulative) counts, count and sum, and no min/max', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 0 });
    // On-bound values land in the bucket they bound (le is inclusive in both models).
    for (const v of [0, 1, 1, 4.5, 5, 10, 11, 1000]) m.latency.observe({ venue: 'b' }, v);
    const latency = (await collectMetrics(new CatalogMetricProducer([m], { now: () => 0 }))).get(
      'test_latency_ms',
    ) as HistogramMetricData;
    expect(latency.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(latency.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(latency.dataPoints).toHaveLength(1);
    const point = latency.dataPoints[0];
    expect(point?.attributes).toEqual({ venue: 'b' });
    expect(point?.value).toEqual({
      buckets: { boundaries: [1, 5, 10], counts: [3, 2, 1, 2] },
      sum: 1032.5,
      count: 8,
    });
    expect(point?.value).not.toHaveProperty('min');
    expect(point?.value).not.toHaveProperty('max');
  });

  it('leaves out families without series, and returns no scope when nothing was recorded', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue });
    const producer = new CatalogMetricProducer([m], { selfMetrics: false });
    expect((await producer.collect()).resourceMetrics.scopeMetrics).toEqual([]);
    m.price.bind({ venue: 'a' });
    const { resourceMetrics } = await producer.collect();
    expect(resourceMetrics.scopeMetrics).toHaveLength(1);
    expect(resourceMetrics.scopeMetrics[0]?.scope).toEqual({ name: SCOPE_NAME, version: SCOPE_VERSION });
    expect(resourceMetrics.scopeMetrics[0]?.metrics.map((metric) => metric.descriptor.name)).toEqual(['test_price']);
  });

  it('names its scope after the package, with the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      name: string;
      version: string;
    };
    expect(SCOPE_NAME).toBe(pkg.name);
    expect(SCOPE_VERSION).toBe(pkg.version);
  });

  it('runs each catalog’s collect hooks once per collect, before reading', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue });
    const sm = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue });
    let runs = 0;
    m.beforeCollect(() => {
      runs++;
      m.price.set({ venue: 'b' }, runs * 10);
    });
    let strategyRuns = 0;
    sm.beforeCollect(() => strategyRuns++);
    const producer = new CatalogMetricProducer([m, sm]);
    expect((await collectMetrics(producer)).get('test_price')?.dataPoints[0]?.value).toBe(10);
    expect((await collectMetrics(producer)).get('test_price')?.dataPoints[0]?.value).toBe(20);
    expect([runs, strategyRuns]).toEqual([2, 2]);
  });

  it('sees series created and values changed after an earlier collect', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 0 });
    const producer = new CatalogMetricProducer([m]);
    const a = m.sent.bind({ venue: 'a', symbol: 'X' });
    a.inc();
    expect((await collectMetrics(producer)).get('test_sent_total')?.dataPoints.map((p) => p.value)).toEqual([1]);
    a.add(4);
    m.sent.inc({ venue: 'b', symbol: 'Y' });
    const points = (await collectMetrics(producer)).get('test_sent_total')?.dataPoints ?? [];
    expect(points.map((p) => [p.attributes, p.value])).toEqual([
      [{ venue: 'a', symbol: 'X' }, 5],
      [{ venue: 'b', symbol: 'Y' }, 1],
    ]);
    // Attributes are shared between collects, so they are frozen.
    expect(Object.isFrozen(points[0]?.attributes)).toBe(true);
  });

  it('reports a throwing collect hook in errors and still returns the data', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue });
    const failure = new Error('hook failed');
    m.beforeCollect(() => {
      throw failure;
    });
    m.plain.inc({});
    const { resourceMetrics, errors } = await new CatalogMetricProducer([m]).collect();
    expect(errors).toEqual([failure]);
    expect(byName(resourceMetrics).get('test_plain_total')?.dataPoints[0]?.value).toBe(1);
  });

  it('reports a throwing clock in errors instead of rejecting', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue });
    m.plain.inc({});
    const failure = new Error('clock failed');
    const result = await new CatalogMetricProducer([m], {
      now: () => {
        throw failure;
      },
    }).collect();
    expect(result.errors).toEqual([failure]);
    expect(result.resourceMetrics.scopeMetrics).toEqual([]);
  });

  it('puts the declared units in descriptors only when asked', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue });
    m.latency.observe({ venue: 'a' }, 1);
    m.price.set({ venue: 'a' }, 1);
    const declared = await collectMetrics(new CatalogMetricProducer([m], { units: 'declared' }));
    expect(declared.get('test_latency_ms')?.descriptor.unit).toBe('ms');
    expect(declared.get('test_price')?.descriptor.unit).toBe('usd');
    const omitted = await collectMetrics(new CatalogMetricProducer([m]));
    expect(omitted.get('test_latency_ms')?.descriptor.unit).toBe('');
  });

  it('rejects two sources exposing the same metric name', () => {
    const build = () => new CatalogMetricProducer([new TestMetrics(), new TestMetrics()]);
    expect(build).toThrow(MetricDefinitionError);
    try {
      build();
    } catch (error) {
      expect((error as MetricDefinitionError).issues[0]).toEqual({
        path: 'test_sent_total',
        message: 'exposed by two catalogs',
      });
    }
  });
});

describe('msToHrTime', () => {
  it('splits epoch milliseconds into seconds and nanoseconds', () => {
    expect(msToHrTime(0)).toEqual([0, 0]);
    expect(msToHrTime(1_700_000_000_123)).toEqual([1_700_000_000, 123_000_000]);
    expect(msToHrTime(1500.000001)).toEqual([1, 500_000_001]);
    // Rounding up to a whole second carries into the seconds.
    expect(msToHrTime(1999.9999999)).toEqual([2, 0]);
  });
});

describe('OTel SDK readers get the catalog data (not only Prometheus)', () => {
  it('a PeriodicExportingMetricReader with an InMemoryMetricExporter receives it, beside SDK instruments', async () => {
    const sm = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 5000 });
    sm.trades.add({ strategy: 'ma_cross', side: 'buy' }, 3);
    sm.sharpe.set({ strategy: 'ma_cross' }, Number.NaN);
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const producer = new CatalogMetricProducer([sm], { now: () => 6000 });
    // A long interval: the test exports by forceFlush, never by waiting for the timer.
    const reader = new PeriodicExportingMetricReader({
      exporter,
      exportIntervalMillis: 3_600_000,
      metricProducers: [producer],
    });
    const provider = new MeterProvider({ readers: [reader] });
    try {
      provider.getMeter('app').createCounter('app_events_total').add(2);
      await provider.forceFlush();
      const exported = exporter.getMetrics();
      expect(exported).toHaveLength(1);
      const scopes = exported[0]?.scopeMetrics.map((s) => s.scope.name);
      expect(scopes).toEqual(['app', SCOPE_NAME]);
      const metrics = byName(exported[0] as ResourceMetrics);
      expect(metrics.get('app_events_total')?.dataPoints[0]?.value).toBe(2);
      expect(metrics.get('strategy_trades_total')?.dataPoints).toEqual([
        { startTime: [5, 0], endTime: [6, 0], attributes: { strategy: 'ma_cross', side: 'buy' }, value: 3 },
      ]);
      expect(metrics.get('strategy_sharpe_ratio')?.dataPoints[0]?.value).toBeNaN();
    } finally {
      await provider.shutdown();
    }
  });

  it('createMeterProvider builds every reader with the catalog producer and the given resource', async () => {
    const { resourceFromAttributes } = await import('@opentelemetry/resources');
    const sm = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue });
    sm.winningTrades.inc({ strategy: 'grid' });
    const exporters = [
      new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    ];
    const provider = createMeterProvider({
      sources: [sm],
      resource: resourceFromAttributes({ 'service.name': 'strategy-engine' }),
      readers: exporters.map(
        (exporter) => (metricProducers) =>
          new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000, metricProducers }),
      ),
    });
    try {
      await provider.forceFlush();
      for (const exporter of exporters) {
        const [exported] = exporter.getMetrics();
        expect(exported?.resource.attributes['service.name']).toBe('strategy-engine');
        const points = byName(exported as ResourceMetrics).get('strategy_winning_trades_total')?.dataPoints;
        expect(points?.map((p) => [p.attributes, p.value])).toEqual([[{ strategy: 'grid' }, 1]]);
      }
    } finally {
      await provider.shutdown();
    }
  });
});
