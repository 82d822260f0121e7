// bridge: the cost per series of handing catalog storage to OpenTelemetry. Our CatalogMetricProducer
// reads the typed arrays once per collect; the usual alternative is one observable instrument per
// metric whose callback calls `result.observe(value, attributes)` for every series.

import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { exchange } from '../src/catalogs/domains.js';
import { catalog } from '../src/define/catalog.js';
import { closed, open } from '../src/define/labels.js';
import { counter, gauge, histogram } from '../src/define/metric.js';
import { CatalogMetricProducer } from '../src/otel/producer.js';
import { throwOnInvalidValue } from '../src/storage/invalid.js';
import { finish, type Group, progress, type Row, requireGc, suiteArgs, time } from './harness.js';
import { BenchReader, BUCKETS, samples } from './peers.js';

const args = suiteArgs();
requireGc();

const SERIES = 10_000;
const HALF = SERIES / 2;
const TYPES = ['trade', 'book'] as const;
const SYMBOLS = HALF / (exchange.values.length * TYPES.length);

type Labels = { exchange: (typeof exchange.values)[number]; symbol: string; type: (typeof TYPES)[number] };
const labelSets: Labels[] = [];
for (const ex of exchange.values) {
  for (let s = 0; s < SYMBOLS; s++)
    for (const type of TYPES) labelSets.push({ exchange: ex, symbol: `SYM${s}USDT`, type });
}
const values = samples(HALF);

const labels = { exchange, symbol: open({ budget: SYMBOLS }), type: closed(...TYPES) };
class CounterGaugeCatalog extends catalog({
  received: counter('bench_bridge_total', 'Bench counter series.', labels),
  price: gauge('bench_bridge_price', 'Bench gauge series.', labels),
}) {}
class CounterHistogramCatalog extends catalog({
  received: counter('bench_bridge_total', 'Bench counter series.', labels),
  latency: histogram('bench_bridge_latency_ms', 'Bench histogram series.', labels, { buckets: BUCKETS }),
}) {}

const cg = new CounterGaugeCatalog({ onInvalidValue: throwOnInvalidValue });
const ch = new CounterHistogramCatalog({ onInvalidValue: throwOnInvalidValue });
labelSets.forEach((l, i) => {
  const v = values[i] as number;
  cg.received.bind(l).add(Math.round(v * 100));
  cg.price.bind(l).set(v);
  ch.received.bind(l).add(Math.round(v * 100));
  ch.latency.bind(l).observe(v);
});

// Without the self-metrics: the OTel peers hold exactly the SERIES series, so do we.
const producer = new CatalogMetricProducer([cg], { selfMetrics: false });
const producerWithHistograms = new CatalogMetricProducer([ch], { selfMetrics: false });

// Our producer behind a real reader: what a PrometheusExporter or OTLP reader runs per collect.
const viaReader = new BenchReader(SERIES, [new CatalogMetricProducer([cg], { selfMetrics: false })]);
const viaReaderProvider = new MeterProvider({ readers: [viaReader] });

// The alternative: observable instruments whose callbacks walk the same series.
const observableReader = new BenchReader(SERIES);
const observableProvider = new MeterProvider({
  readers: [observableReader],
  views: [{ instrumentName: '*', aggregationCardinalityLimit: SERIES }],
});
{
  const meter = observableProvider.getMeter('bench');
  const counterValues = Float64Array.from(values, (v) => Math.round(v * 100));
  meter.createObservableCounter('bench_bridge_total').addCallback((result) => {
    for (let i = 0; i < HALF; i++) result.observe(counterValues[i] as number, labelSets[i]);
  });
  meter.createObservableGauge('bench_bridge_price').addCallback((result) => {
    for (let i = 0; i < HALF; i++) result.observe(values[i] as number, labelSets[i]);
  });
}

/** Fails loudly if an implementation exports fewer points than the series it was given. */
async function points(
  collect: () => Promise<{ resourceMetrics: { scopeMetrics: { metrics: { dataPoints: unknown[] }[] }[] } }>,
): Promise<number> {
  const { resourceMetrics } = await collect();
  let n = 0;
  for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) n += m.dataPoints.length;
  return n;
}

const cases: { id: string; label: string; run: () => Promise<unknown> }[] = [
  {
    id: 'ours',
    label: '**ours** `CatalogMetricProducer.collect()` (counters + gauges)',
    run: () => producer.collect(),
  },
  {
    id: 'ours.reader',
    label: '**ours** producer behind a `MetricReader.collect()`',
    run: () => viaReader.collect(),
  },
  {
    id: 'ours.histograms',
    label: '**ours** `collect()` (counters + 12-bucket histograms)',
    run: () => producerWithHistograms.collect(),
  },
  {
    id: 'otel.observable',
    label: 'OTel observable counter + gauge callbacks, `MetricReader.collect()`',
    run: () => observableReader.collect(),
  },
];

const rows: Row[] = [];
for (const c of cases) {
  const n = await points(c.run as () => ReturnType<typeof producer.collect>);
  if (n !== SERIES) throw new Error(`${c.id}: exported ${n} points, expected ${SERIES}`);
  progress(`bridge: ${c.id}`);
  const t = await time(c.run, { ops: SERIES, quick: args.quick });
  // The mean, not the median: a collect allocates its points, and the collections that garbage
  // triggers land in a minority of samples, which a median would hide.
  rows.push({ id: c.id, label: c.label, value: t.avg / 1000, extra: { p50: t.p50 / 1000, p99: t.p99 / 1000 } });
}
await viaReaderProvider.shutdown();
await observableProvider.shutdown();

const groups: Group[] = [
  {
    title: `collect, ${SERIES / 1000}k series: µs per series`,
    unit: 'µs',
    stat: 'mean',
    extras: [
      { key: 'p50', label: 'median' },
      { key: 'p99', label: 'p99' },
    ],
    refs: [{ id: 'otel.observable', label: 'OTel observable' }],
    rows,
  },
];

finish(
  {
    suite: 'bridge: OpenTelemetry collect',
    quick: args.quick,
    groups,
    notes: [
      `${SERIES.toLocaleString('en-US')} series (${HALF} counter + ${HALF} gauge series; the histogram row has ${HALF} ` +
        'counter + 12-bucket histogram series), labels exchange/symbol/type. Each implementation is checked to ' +
        'export exactly that many points before it is timed.',
      'Mean of mitata samples (one collect per sample) divided by the series count, so the garbage ' +
        'collections a collect triggers are averaged in; the median hides them. Observable callbacks get ' +
        'preallocated attribute objects.',
    ],
  },
  args,
);
