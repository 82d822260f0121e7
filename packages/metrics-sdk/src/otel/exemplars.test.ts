import { context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { closed } from '../define/labels.js';
import { counter, histogram } from '../define/metric.js';
import type { OtelExemplar, WithExemplars } from './exemplars.js';
import { CatalogMetricProducer } from './producer.js';
import { spanExemplar } from './span-exemplar.js';

// Exemplars from the active span, through a real context manager (AsyncLocalStorage, across an
// await), to a real OTel reader and exporter fed by the bridge.

class Desk extends catalog({
  latency: histogram(
    'otel_desk_latency_ms',
    'Latency.',
    { venue: closed('a') },
    { unit: 'ms', buckets: [1, 10], native: true, exemplars: true },
  ),
  classic: histogram('otel_desk_classic_ms', 'Classic.', {}, { buckets: [1, 10], exemplars: true }),
  orders: counter('otel_desk_orders_total', 'Orders.', {}, { exemplars: ['trace_id', 'order_id'] }),
  plain: counter('otel_desk_plain_total', 'Plain.', {}),
}) {}

const SAMPLED = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
};

const manager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(manager.enable());
});
afterAll(() => {
  context.disable();
});

/** Collects through a MeterProvider's reader, as an application's exporter would receive it. */
async function exported(desk: Desk): Promise<MetricData[]> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const producer = new CatalogMetricProducer([desk], { selfMetrics: false });
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: 60_000,
    metricProducers: [producer],
  });
  const provider = new MeterProvider({ readers: [reader] });
  await reader.forceFlush();
  const metrics = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
  await provider.shutdown();
  return metrics;
}

function exemplarsOf(metrics: readonly MetricData[], name: string): readonly OtelExemplar[] | undefined {
  const data = metrics.find((m) => m.descriptor.name === name);
  if (data === undefined) throw new Error(`${name} not exported`);
  return (data.dataPoints[0] as WithExemplars).exemplars;
}

describe('exemplars through the OTel bridge', () => {
  it('carry the trace and span of the active, sampled span into the exported points', async () => {
    const desk = new Desk();
    const latency = desk.latency.bind({ venue: 'a' });
    const span = trace.wrapSpanContext(SAMPLED);
    await context.with(trace.setSpan(context.active(), span), async () => {
      await new Promise((resolve) => setImmediate(resolve));
      latency.observeWithExemplar(7.5, spanExemplar());
    });
    // Outside the span: the sample alone.
    latency.observeWithExemplar(0.5, spanExemplar());
    desk.classic.bind().observeWithExemplar(20, spanExemplar(trace.setSpan(ROOT_CONTEXT, span)));
    const metrics = await exported(desk);
    const native = exemplarsOf(metrics, 'otel_desk_latency_ms');
    expect(native).toHaveLength(1);
    expect(native?.[0]).toMatchObject({ traceId: SAMPLED.traceId, spanId: SAMPLED.spanId, value: 7.5 });
    expect(native?.[0]?.filteredAttributes).toEqual({});
    const [seconds = 0] = native?.[0]?.timestamp ?? [];
    expect(Math.abs(seconds * 1000 - Date.now())).toBeLessThan(60_000);
    expect(exemplarsOf(metrics, 'otel_desk_classic_ms')).toEqual([
      expect.objectContaining({ traceId: SAMPLED.traceId, value: 20 }),
    ]);
  });

  it('give no exemplar outside a span or in one that is not sampled', () => {
    expect(spanExemplar()).toBeUndefined();
    const unsampled = trace.wrapSpanContext({ ...SAMPLED, traceFlags: TraceFlags.NONE });
    expect(spanExemplar(trace.setSpan(ROOT_CONTEXT, unsampled))).toBeUndefined();
    const invalid = trace.wrapSpanContext({ ...SAMPLED, traceId: '0'.repeat(32) });
    expect(spanExemplar(trace.setSpan(ROOT_CONTEXT, invalid))).toBeUndefined();
  });

  it('keep labels other than trace_id and span_id as filtered attributes; points of other metrics have none', async () => {
    const desk = new Desk();
    desk.orders.bind().addWithExemplar(2, { trace_id: SAMPLED.traceId, order_id: 'o-17' });
    desk.plain.bind().inc();
    const metrics = await exported(desk);
    expect(exemplarsOf(metrics, 'otel_desk_orders_total')).toEqual([
      expect.objectContaining({ traceId: SAMPLED.traceId, filteredAttributes: { order_id: 'o-17' }, value: 2 }),
    ]);
    const plain = metrics.find((m) => m.descriptor.name === 'otel_desk_plain_total');
    expect(plain?.dataPoints[0]).not.toHaveProperty('exemplars');
  });
});
