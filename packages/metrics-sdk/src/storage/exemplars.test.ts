import { readExposition } from '@ttquant/test-kit';
import { describe, expect, it } from 'vitest';
import { decodeExposition } from '../../test/fixtures/protobuf-exposition.js';
import { catalog } from '../define/catalog.js';
import { MetricDefinitionError } from '../define/errors.js';
import { closed } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { EXEMPLAR_RUNE_LIMIT } from '../define/naming.js';
import { OpenMetricsWriter } from '../exposition/openmetrics-text.js';
import { ProtobufWriter } from '../exposition/prometheus-protobuf.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { DROPPED_EXEMPLARS_METRIC } from '../self-metrics/self-metrics.js';
import { codeGenerationAllowed } from './code-generation.js';

const Desk = catalog({
  orders: counter('desk_orders_total', 'Orders sent.', { venue: closed('a', 'b') }, { exemplars: true }),
  latency: histogram(
    'desk_latency_ms',
    'Order latency.',
    { venue: closed('a', 'b') },
    { unit: 'ms', buckets: [1, 10], exemplars: ['trace_id', 'span_id', 'order_id'] },
  ),
  native: histogram('desk_native_ms', 'Native only.', {}, { buckets: [], native: true, exemplars: true }),
  both: histogram('desk_both_ms', 'Classic and native.', {}, { buckets: [1, 10], native: true, exemplars: true }),
  plain: counter('desk_plain_total', 'No exemplars.', {}),
});

const canDecode = codeGenerationAllowed();

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

/** The exemplar text after ` # ` on the OpenMetrics line that starts with `prefix`. */
function exemplarOn(body: string, prefix: string): string | undefined {
  const line = body.split('\n').find((l) => l.startsWith(prefix));
  if (line === undefined) throw new Error(`no line starts with ${prefix}\n${body}`);
  return line.split(' # ')[1];
}

describe('exemplars', () => {
  it('keep the latest exemplar per bucket of a histogram series, with its value and time', () => {
    const desk = new Desk();
    const a = desk.latency.bind({ venue: 'a' });
    const before = Date.now();
    a.observeWithExemplar(0.5, { trace_id: 'first', span_id: SPAN });
    a.observeWithExemplar(0.7, { trace_id: TRACE, span_id: SPAN, order_id: 'o-1' });
    a.observeWithExemplar(42, { trace_id: 'slow' });
    a.observe(5); // no exemplar: the (1, 10] bucket keeps none
    const om = new OpenMetricsWriter([desk], { selfMetrics: false }).renderText();
    const first = exemplarOn(om, 'desk_latency_ms_bucket{venue="a",le="1.0"}');
    const [labels, value, seconds] = (first ?? '').split(' ');
    expect(labels).toBe(`{trace_id="${TRACE}",span_id="${SPAN}",order_id="o-1"}`);
    expect(Number(value)).toBe(0.7);
    // The process clock (timeOrigin + performance.now()) may stand a few ms off Date.now().
    expect(Number(seconds) * 1000).toBeGreaterThanOrEqual(before - 50);
    expect(Number(seconds) * 1000).toBeLessThanOrEqual(Date.now() + 50);
    expect(exemplarOn(om, 'desk_latency_ms_bucket{venue="a",le="10.0"}')).toBeUndefined();
    expect(exemplarOn(om, 'desk_latency_ms_bucket{venue="a",le="+Inf"}')).toMatch(/^\{trace_id="slow"\} 42 \d+/);
    // The samples are what observe() would have recorded.
    expect(a.count).toBe(4);
    expect(a.sum).toBeCloseTo(48.2, 10);
  });

  it('keep the latest exemplar of a counter series, with the increment as its value', () => {
    const desk = new Desk();
    const orders = desk.orders.bind({ venue: 'b' });
    orders.incWithExemplar({ trace_id: TRACE });
    orders.addWithExemplar(3, { trace_id: TRACE, span_id: SPAN });
    const om = new OpenMetricsWriter([desk], { selfMetrics: false }).renderText();
    expect(exemplarOn(om, 'desk_orders_total{venue="b"}')).toMatch(
      new RegExp(`^\\{trace_id="${TRACE}",span_id="${SPAN}"\\} 3 \\d+(\\.\\d+)?$`),
    );
    expect(orders.value).toBe(4);
  });

  it('an undefined exemplar records the sample alone, as the OTel helper returns outside a span', () => {
    const desk = new Desk();
    const a = desk.latency.bind({ venue: 'a' });
    a.observeWithExemplar(0.5, undefined);
    desk.orders.bind({ venue: 'a' }).incWithExemplar(undefined);
    const om = new OpenMetricsWriter([desk], { selfMetrics: false }).renderText();
    expect(om).not.toContain(' # {');
    expect(a.count).toBe(1);
    expect(desk.latency.exemplarsDropped + desk.orders.exemplarsDropped).toBe(0);
  });

  it('drop and count an exemplar over 128 characters, or with a label not declared or not a string, never the sample', () => {
    const desk = new Desk();
    const a = desk.latency.bind({ venue: 'a' });
    const names = 'trace_id'.length;
    const fits = { trace_id: 'x'.repeat(EXEMPLAR_RUNE_LIMIT - names) };
    const over = { trace_id: 'x'.repeat(EXEMPLAR_RUNE_LIMIT - names + 1) };
    // 60 astral characters are 120 UTF-16 units: 8 + 60 characters fit though 8 + 120 units do not.
    const astral = { trace_id: '💹'.repeat(60) };
    a.observeWithExemplar(0.1, fits);
    a.observeWithExemplar(2, over);
    a.observeWithExemplar(50, astral);
    a.observeWithExemplar(3, { trace: 'undeclared' });
    a.observeWithExemplar(4, { trace_id: 7 } as unknown as Record<string, string>);
    a.observeWithExemplar(5, 'trace' as unknown as Record<string, string>);
    a.observeWithExemplar(6, {});
    expect(desk.latency.exemplarsDropped).toBe(5);
    expect(a.count).toBe(7);
    const om = new OpenMetricsWriter([desk]).renderText();
    expect(exemplarOn(om, 'desk_latency_ms_bucket{venue="a",le="1.0"}')).toContain(fits.trace_id);
    expect(exemplarOn(om, 'desk_latency_ms_bucket{venue="a",le="10.0"}')).toBeUndefined();
    expect(exemplarOn(om, 'desk_latency_ms_bucket{venue="a",le="+Inf"}')).toContain(astral.trace_id);
    // Counted where an alert sees it: the self-metric, for the metrics that declare exemplars.
    const text = readExposition(new PrometheusWriter([desk]).renderText());
    expect(text.value(DROPPED_EXEMPLARS_METRIC, { metric: 'desk_latency_ms' })).toBe(5);
    expect(text.value(DROPPED_EXEMPLARS_METRIC, { metric: 'desk_orders_total' })).toBe(0);
    expect(text.select(DROPPED_EXEMPLARS_METRIC).map((s) => s.labels['metric'])).not.toContain('desk_plain_total');
  });

  it('name the metric when code records an exemplar on a metric that declares none', () => {
    const desk = new Desk();
    const plain = desk.plain.bind();
    expect(() => plain.incWithExemplar({ trace_id: TRACE })).toThrow(MetricDefinitionError);
    expect(() => plain.incWithExemplar({ trace_id: TRACE })).toThrow(/desk_plain_total: records an exemplar/);
  });

  it('are forgotten with the series they belong to', () => {
    const desk = new Desk();
    desk.latency.bind({ venue: 'a' }).observeWithExemplar(0.5, { trace_id: TRACE });
    desk.latency.remove({ venue: 'a' });
    desk.latency.bind({ venue: 'a' }).observe(0.5);
    expect(new OpenMetricsWriter([desk], { selfMetrics: false }).renderText()).not.toContain(TRACE);
  });

  it('are left out of the text format 0.0.4, which has no exemplars', () => {
    const desk = new Desk();
    desk.latency.bind({ venue: 'a' }).observeWithExemplar(0.5, { trace_id: TRACE });
    expect(new PrometheusWriter([desk]).renderText()).not.toContain(TRACE);
  });

  it('are declared on counters and histograms only, with valid distinct label names', () => {
    expect(() => catalog({ g: { ...gauge('g_x', 'G.', {}), exemplars: ['trace_id'] } })).toThrow(
      /g.exemplars: a gauge has no exemplars/,
    );
    expect(() => catalog({ c: counter('c_total', 'C.', {}, { exemplars: ['trace id'] }) })).toThrow(
      /label name "trace id"/,
    );
    expect(() => catalog({ c: counter('c_total', 'C.', {}, { exemplars: ['a', 'a'] }) })).toThrow(/distinct/);
    expect(() => catalog({ c: counter('c_total', 'C.', {}, { exemplars: [] }) })).toThrow(/at least one/);
    expect(() => counter('c_total', 'C.', {}, { exemplars: 'trace_id' as unknown as true })).toThrow(
      /counter\("c_total"\)\.options\.exemplars/,
    );
    expect(() => gauge('g', 'G.', {}, { exemplars: true } as never)).toThrow(/options.*exemplars/);
  });

  describe.skipIf(!canDecode)(
    canDecode
      ? 'in protobuf, decoded by protobufjs'
      : 'in protobuf, decoded by protobufjs (skipped: protobufjs compiles its decoders, and code generation from strings is disallowed here)',
    () => {
      it('reach protobuf in Counter.exemplar and Bucket.exemplar, the +Inf bucket written when it holds one', () => {
        const desk = new Desk();
        desk.orders.bind({ venue: 'a' }).addWithExemplar(2, { trace_id: TRACE, span_id: SPAN });
        const a = desk.latency.bind({ venue: 'a' });
        a.observeWithExemplar(0.5, { trace_id: 'fast', order_id: 'o-€' });
        a.observeWithExemplar(99, { trace_id: 'slow' });
        desk.latency.bind({ venue: 'b' }).observe(5);
        desk.native.bind().observeWithExemplar(3, { trace_id: 'native' });
        const body = new ProtobufWriter([desk], { selfMetrics: false }).render();
        const { families, reencoded } = decodeExposition(body);
        expect(Buffer.from(reencoded).equals(body)).toBe(true);
        const family = (name: string) => families.find((f) => f.name === name)?.metric ?? [];
        const counterExemplar = family('desk_orders_total')[0]?.counter?.exemplar;
        expect(counterExemplar?.label).toEqual([
          { name: 'trace_id', value: TRACE },
          { name: 'span_id', value: SPAN },
        ]);
        expect(counterExemplar?.value).toBe(2);
        expect(counterExemplar?.timestamp?.seconds).toBeGreaterThan(1.7e9);
        const [venueA, venueB] = family('desk_latency_ms');
        const buckets = venueA?.histogram?.bucket ?? [];
        expect(buckets.map((b) => b.upperBound)).toEqual([1, 10, Number.POSITIVE_INFINITY]);
        expect(buckets.map((b) => b.exemplar?.label?.[0]?.value)).toEqual(['fast', undefined, 'slow']);
        expect(buckets[0]?.exemplar?.label?.[1]).toEqual({ name: 'order_id', value: 'o-€' });
        expect(buckets[2]?.cumulativeCount).toBe(2);
        // A series without exemplars keeps the +Inf bucket implied, as before.
        expect(venueB?.histogram?.bucket?.map((b) => b.upperBound)).toEqual([1, 10]);
        const native = family('desk_native_ms')[0]?.histogram;
        expect(native?.schema).toBe(3);
        expect(native?.bucket?.map((b) => [b.upperBound, b.exemplar?.value])).toEqual([[Number.POSITIVE_INFINITY, 3]]);
      });

      it('of a native histogram reach protobuf as its newest exemplar only, which Prometheus stores one of per scrape', () => {
        const desk = new Desk();
        const both = desk.both.bind();
        both.observeWithExemplar(900, { trace_id: 'older' });
        for (const start = Date.now(); Date.now() === start; );
        both.observeWithExemplar(0.2, { trace_id: 'newest' });
        const { families } = decodeExposition(new ProtobufWriter([desk], { selfMetrics: false }).render());
        const buckets = families.find((f) => f.name === 'desk_both_ms')?.metric?.[0]?.histogram?.bucket ?? [];
        expect(buckets.flatMap((b) => b.exemplar?.label?.map((l) => l.value) ?? [])).toEqual(['newest']);
        // OpenMetrics, which has no native histograms, keeps every bucket's.
        expect(new OpenMetricsWriter([desk], { selfMetrics: false }).renderText()).toContain('older');
      });
    },
  );
});
