// Exemplars against real parsers: Debian's strict OpenMetrics parser reads them back exactly,
// hostile label values included, and rejects what our limit drops; a real Prometheus 2.42 with
// exemplar storage ingests them from our server, over OpenMetrics on a classic scrape and over
// protobuf with native histograms on, and answers /api/v1/query_exemplars with the trace ids.

import {
  describeWithTools,
  type ExemplarSeries,
  type PrometheusServer,
  parseOpenMetricsWithPython,
  pollExemplars,
  pollUntil,
  startPrometheus,
} from '@ttquant/test-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { catalog } from '../../src/define/catalog.js';
import { closed } from '../../src/define/labels.js';
import { counter, histogram } from '../../src/define/metric.js';
import { EXEMPLAR_RUNE_LIMIT } from '../../src/define/naming.js';
import { escapeLabelValue } from '../../src/exposition/escape.js';
import { OpenMetricsWriter } from '../../src/exposition/openmetrics-text.js';
import { createMetricsServer, type MetricsServer } from '../../src/server/metrics-server.js';
import { throwOnInvalidValue } from '../../src/storage/invalid.js';

class Desk extends catalog({
  orders: counter('ex_orders_total', 'Orders sent.', { venue: closed('a', 'b') }, { exemplars: true }),
  latency: histogram(
    'ex_latency_ms',
    'Order latency.',
    { venue: closed('a', 'b') },
    { unit: 'ms', buckets: [1, 10, 100], native: true, exemplars: ['trace_id', 'span_id', 'order_id'] },
  ),
}) {}

const HOSTILE = 'o"1\\x\n€💹';
/** An order id with every character OpenMetrics escapes, and `}`, which ends the label set when unescaped. */
const HOSTILE_ORDER = 'o}9"\\x\n€ # {}';

describeWithTools('the strict OpenMetrics parser reads our exemplars', ['python-prometheus-client'], () => {
  it('back exactly: labels (hostile values included), value and timestamp, on _total and _bucket samples', async () => {
    const desk = new Desk({ onInvalidValue: throwOnInvalidValue });
    desk.orders.bind({ venue: 'a' }).addWithExemplar(2.5, { trace_id: 't-counter' });
    const latency = desk.latency.bind({ venue: 'b' });
    latency.observeWithExemplar(0.25, { trace_id: 't-fast', span_id: 's-1', order_id: HOSTILE });
    latency.observeWithExemplar(1e6, { trace_id: 't-slow' });
    const families = await parseOpenMetricsWithPython(new OpenMetricsWriter([desk]).render());
    const samples = families.flatMap((f) => f.samples);
    const withExemplars = samples.filter((s) => s.exemplar !== null);
    expect(withExemplars.map((s) => [s.name, s.labels['le'] ?? '', s.exemplar?.labels])).toEqual([
      ['ex_orders_total', '', { trace_id: 't-counter' }],
      ['ex_latency_ms_bucket', '1.0', { trace_id: 't-fast', span_id: 's-1', order_id: HOSTILE }],
      ['ex_latency_ms_bucket', '+Inf', { trace_id: 't-slow' }],
    ]);
    expect(withExemplars.map((s) => Number(s.exemplar?.value))).toEqual([2.5, 0.25, 1e6]);
    for (const s of withExemplars)
      expect(Math.abs(Number(s.exemplar?.timestamp) * 1000 - Date.now())).toBeLessThan(60_000);
  });

  it('at the 128-character limit, and rejects one character more, which the SDK drops and counts instead', async () => {
    const desk = new Desk({ onInvalidValue: throwOnInvalidValue });
    const orders = desk.orders.bind({ venue: 'a' });
    const room = EXEMPLAR_RUNE_LIMIT - 'trace_id'.length;
    orders.incWithExemplar({ trace_id: '💹'.repeat(room) });
    const atLimit = new OpenMetricsWriter([desk], { selfMetrics: false }).renderText();
    const read = await parseOpenMetricsWithPython(atLimit);
    expect(read[0]?.samples[0]?.exemplar?.labels['trace_id']).toBe('💹'.repeat(room));
    // The same line with one character more, written by hand: the parser refuses the whole body.
    const overLimit = atLimit.replace('💹"}', '💹💹"}');
    await expect(parseOpenMetricsWithPython(overLimit)).rejects.toThrow(/Exemplar labels are too long/);
    orders.incWithExemplar({ trace_id: '💹'.repeat(room + 1) });
    expect(desk.orders.exemplarsDropped).toBe(1);
    expect(new OpenMetricsWriter([desk], { selfMetrics: false }).renderText()).toBe(
      atLimit.replace(/ex_orders_total\{venue="a"\} 1 /, 'ex_orders_total{venue="a"} 2 '),
    );
  });
});

for (const features of [['exemplar-storage'], ['exemplar-storage', 'native-histograms']]) {
  describeWithTools(`a real Prometheus 2.42 with ${features.join(',')} stores our exemplars`, ['prometheus'], () => {
    let server: MetricsServer | undefined;
    let prometheus: PrometheusServer | undefined;
    const desk = new Desk({ onInvalidValue: throwOnInvalidValue });
    const latency = desk.latency.bind({ venue: 'a' });

    beforeAll(async () => {
      latency.observeWithExemplar(0.4, { trace_id: 'trace-fast', span_id: 'span-1' });
      // A later millisecond, so the slow exemplar is the newest.
      for (const start = Date.now(); Date.now() === start; );
      latency.observeWithExemplar(250, { trace_id: 'trace-slow', span_id: 'span-2', order_id: HOSTILE_ORDER });
      desk.orders.bind({ venue: 'a' }).incWithExemplar({ trace_id: 'trace-order' });
      server = createMetricsServer({ sources: [desk], service: 'exemplars', port: 0 });
      const { port } = await server.listen();
      prometheus = await startPrometheus({
        targets: [`127.0.0.1:${port}`],
        scrapeInterval: '1s',
        features,
      });
    });

    afterAll(async () => {
      await prometheus?.stop();
      await server?.close();
    });

    const exemplarsOf = (query: string): Promise<ExemplarSeries[]> =>
      pollExemplars((prometheus as PrometheusServer).api, query, { timeoutMs: 20_000 });

    it('answers query_exemplars with the trace ids recorded on the histogram and the counter', async () => {
      const orders = await exemplarsOf('ex_orders_total');
      expect(orders[0]?.exemplars[0]?.labels).toEqual({ trace_id: 'trace-order' });
      if (!features.includes('native-histograms')) {
        const series = await exemplarsOf('ex_latency_ms_bucket');
        const traces = series.flatMap((s) => s.exemplars.map((e) => e.labels['trace_id'])).sort();
        expect(traces).toEqual(['trace-fast', 'trace-slow']);
        const slow = series.flatMap((s) => s.exemplars).find((e) => e.labels['trace_id'] === 'trace-slow');
        expect(slow).toMatchObject({ labels: { span_id: 'span-2' }, value: '250' });
        // Prometheus 2.42's OpenMetrics parser reads the `}` inside the value as part of it (python's
        // cannot), but stores an exemplar's label values as escaped on the wire: it unescapes series
        // labels, not exemplar labels. Protobuf (below) carries them raw and they arrive exact.
        expect(slow?.labels['order_id']).toBe(escapeLabelValue(HOSTILE_ORDER));
        return;
      }
      // Native histograms on: Prometheus keeps the native series only (no _bucket) and stores one
      // exemplar per series and scrape; the writer sends the newest, so a slow order's is stored,
      // and a later one is stored at the next scrape.
      const stored = async () => (await exemplarsOf('ex_latency_ms')).flatMap((s) => s.exemplars);
      const traces = async () => (await stored()).map((e) => e.labels['trace_id']);
      expect(await stored()).toMatchObject([
        { labels: { trace_id: 'trace-slow', span_id: 'span-2', order_id: HOSTILE_ORDER }, value: '250' },
      ]);
      latency.observeWithExemplar(0.3, { trace_id: 'trace-later' });
      const both = await pollUntil(
        async () => {
          const seen = await traces();
          return seen.includes('trace-later') ? seen : undefined;
        },
        'the later exemplar',
        20_000,
      );
      expect(both).toEqual(['trace-slow', 'trace-later']);
    });
  });
}
