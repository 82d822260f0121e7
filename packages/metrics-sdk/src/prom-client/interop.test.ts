import { spawnSync } from 'node:child_process';
import { itWithTool, pythonWithPrometheusClient } from '@ttquant/test-kit';
import { type OpenMetricsContentType, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { MetricDefinitionError } from '../define/errors.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { registerCatalogs } from './interop.js';

// Debian's interpreter and promtool (see TOOLCHAIN.md). Without them the checks skip locally, with the
// reason in the test name, and fail under CI.
const PYTHON = pythonWithPrometheusClient() ?? '/usr/bin/python3';
const PARSE_SCRIPT = `
import sys, json
from prometheus_client.parser import text_string_to_metric_families as classic
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
parse = openmetrics if sys.argv[1] == 'openmetrics' else classic
print(json.dumps([[s.name, s.labels, repr(float(s.value))] for f in parse(sys.stdin.read()) for s in f.samples]))
`;

type Sample = [name: string, labels: Record<string, string>, value: string];

/** Parses an exposition with Debian's prometheus_client and returns its samples, sorted. */
function parseSamples(text: string, format: 'classic' | 'openmetrics' = 'classic'): Sample[] {
  const result = spawnSync(PYTHON, ['-c', PARSE_SCRIPT, format], { input: text, encoding: 'utf8' });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) throw new Error(`python parser failed: ${result.stderr}`);
  const samples = JSON.parse(result.stdout) as Sample[];
  const key = (s: Sample): string => JSON.stringify([s[0], Object.entries(s[1]).sort()]);
  return samples.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

const defs = {
  orders: counter('orders_total', 'Orders sent.', { exchange: closed('binance', 'okx'), symbol: open({ budget: 2 }) }),
  price: gauge('last_price', 'Last "price" \\ seen.\nSecond line.', { symbol: open({ budget: 2 }) }),
  latency: histogram('latency_ms', 'Latency.', { exchange: closed('binance', 'okx') }, { buckets: [1, 2.5, 10] }),
  up: gauge('up_flag', 'Unlabelled gauge.', {}),
  sharpe: gauge('sharpe_ratio', 'May be NaN.', {}, { nonFinite: 'emit' }),
  idle: counter('idle_total', 'Never recorded.', { exchange: closed('binance', 'okx') }),
} as const;
class TestMetrics extends catalog(defs) {}

function recorded(): TestMetrics {
  const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 0 });
  m.orders.inc({ exchange: 'binance', symbol: 'BTCUSDT' });
  m.orders.add({ exchange: 'okx', symbol: 'ETH"USDT\\\n' }, 2.5);
  m.orders.inc({ exchange: 'okx', symbol: 'SOLUSDT' }); // third symbol: past the budget of 2
  m.price.set({ symbol: 'BTCUSDT' }, -0.125);
  const latency = m.latency.bind({ exchange: 'okx' });
  for (const v of [0.5, 1, 2, 10, 11]) latency.observe(v);
  m.latency.bind({ exchange: 'binance' });
  m.up.bind().set(1);
  m.sharpe.bind().set(Number.NaN);
  return m;
}

describe('registerCatalogs', () => {
  it("serves the catalog through prom-client's registry.metrics()", async () => {
    const registry = new Registry();
    registerCatalogs(registry, [recorded()], { selfMetrics: false });
    expect(await registry.metrics()).toBe(
      [
        '# HELP orders_total Orders sent.',
        '# TYPE orders_total counter',
        'orders_total{exchange="binance",symbol="BTCUSDT"} 1',
        'orders_total{exchange="okx",symbol="ETH\\"USDT\\\\\\n"} 2.5',
        'orders_total{otel_metric_overflow="true"} 1',
        '',
        '# HELP last_price Last "price" \\\\ seen.\\nSecond line.',
        '# TYPE last_price gauge',
        'last_price{symbol="BTCUSDT"} -0.125',
        '',
        '# HELP latency_ms Latency.',
        '# TYPE latency_ms histogram',
        'latency_ms_bucket{exchange="okx",le="1"} 2',
        'latency_ms_bucket{exchange="okx",le="2.5"} 3',
        'latency_ms_bucket{exchange="okx",le="10"} 4',
        'latency_ms_bucket{exchange="okx",le="+Inf"} 5',
        'latency_ms_sum{exchange="okx"} 24.5',
        'latency_ms_count{exchange="okx"} 5',
        'latency_ms_bucket{exchange="binance",le="1"} 0',
        'latency_ms_bucket{exchange="binance",le="2.5"} 0',
        'latency_ms_bucket{exchange="binance",le="10"} 0',
        'latency_ms_bucket{exchange="binance",le="+Inf"} 0',
        'latency_ms_sum{exchange="binance"} 0',
        'latency_ms_count{exchange="binance"} 0',
        '',
        '# HELP up_flag Unlabelled gauge.',
        '# TYPE up_flag gauge',
        'up_flag 1',
        '',
        '# HELP sharpe_ratio May be NaN.',
        '# TYPE sharpe_ratio gauge',
        // prom-client's spelling of NaN; Prometheus and the python parser accept it.
        'sharpe_ratio Nan',
        '',
        '# HELP idle_total Never recorded.',
        '# TYPE idle_total counter',
        '',
      ].join('\n'),
    );
  });

  itWithTool(
    'python-prometheus-client',
    `prom-client's output parses to the same samples as PrometheusWriter's`,
    async () => {
      const m = recorded();
      const registry = new Registry();
      registerCatalogs(registry, [m]);
      const ours = parseSamples(new PrometheusWriter([m]).renderText());
      const theirs = parseSamples(await registry.metrics());
      // 18 catalog samples, then the self-metrics: dropped for 6 families, overflow for the 2
      // with an open label.
      expect(ours.length).toBe(18 + 8);
      expect(ours).toContainEqual(['ttquant_metrics_overflow_records_total', { metric: 'orders_total' }, '1.0']);
      expect(theirs).toEqual(ours);
    },
  );

  itWithTool('python-prometheus-client', `an OpenMetrics registry's output parses with the strict parser`, async () => {
    const m = recorded();
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    registerCatalogs(registry, [m]);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE orders counter\norders_total{exchange="binance",symbol="BTCUSDT"} 1\n');
    expect(parseSamples(text, 'openmetrics')).toEqual(parseSamples(new PrometheusWriter([m]).renderText()));
  });

  it('reads live storage: later records show in the next collection', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue });
    const registry = new Registry();
    registerCatalogs(registry, [m]);
    const up = m.up.bind();
    up.set(1);
    expect(await registry.getSingleMetricAsString('up_flag')).toBe(
      '# HELP up_flag Unlabelled gauge.\n# TYPE up_flag gauge\nup_flag 1',
    );
    up.set(0);
    expect(await registry.getSingleMetricAsString('up_flag')).toBe(
      '# HELP up_flag Unlabelled gauge.\n# TYPE up_flag gauge\nup_flag 0',
    );
  });

  it('returns getMetricsAsJSON values with le merged into the labels', async () => {
    const registry = new Registry();
    registerCatalogs(registry, [recorded()]);
    const json = await registry.getMetricsAsJSON();
    const latency = json.find((metric) => metric.name === 'latency_ms');
    expect(latency).toMatchObject({ name: 'latency_ms', help: 'Latency.', type: 'histogram', aggregator: 'sum' });
    expect(latency?.values.slice(0, 2)).toEqual([
      { value: 2, labels: { exchange: 'okx', le: '1' }, metricName: 'latency_ms_bucket' },
      { value: 3, labels: { exchange: 'okx', le: '2.5' }, metricName: 'latency_ms_bucket' },
    ]);
  });

  it('runs each catalog’s collect hooks once per registry.metrics() call', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue });
    let runs = 0;
    const up = m.up.bind();
    m.beforeCollect(() => {
      runs++;
      up.set(runs);
    });
    const registry = new Registry();
    registerCatalogs(registry, [m]);
    expect(await registry.metrics()).toContain('\nup_flag 1\n');
    expect(runs).toBe(1);
    expect(await registry.metrics()).toContain('\nup_flag 2\n');
    expect(runs).toBe(2);
  });

  it('leaves catalog values alone on registry.resetMetrics()', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue });
    m.up.bind().set(7);
    const registry = new Registry();
    registerCatalogs(registry, [m]);
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('\nup_flag 7\n');
  });

  it('registers nothing and lists every collision when a name is taken', () => {
    const registry = new Registry();
    registerCatalogs(registry, [new TestMetrics()]);
    const before = registry.getMetricsAsArray().length;
    const other = new Registry();
    let error: unknown;
    try {
      registerCatalogs(registry, [new TestMetrics()]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MetricDefinitionError);
    expect((error as MetricDefinitionError).issues).toEqual(
      Object.values(defs).map((def) => ({ path: def.name, message: 'already registered in the prom-client registry' })),
    );
    expect(registry.getMetricsAsArray().length).toBe(before);

    expect(() => registerCatalogs(other, [new TestMetrics(), new TestMetrics()])).toThrow(MetricDefinitionError);
    expect(other.getMetricsAsArray()).toEqual([]);
  });
});
