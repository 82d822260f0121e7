// Child process of cardinality-flood.test.ts: records one value for each of RECORDS distinct symbols
// into metrics with a 2,000-value budget, and prints one JSON line of counts and memory. A child
// of its own, run with --expose-gc, so the memory figures are this workload's and not the test
// runner's.
import { catalog } from '../../src/define/catalog.js';
import { open } from '../../src/define/labels.js';
import { counter, histogram } from '../../src/define/metric.js';
import { PrometheusWriter } from '../../src/exposition/prometheus-text.js';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const BUDGET = 2_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const Flood = catalog({
  ticks: counter('flood_ticks_total', 'One per record.', { symbol: open({ budget: BUDGET }) }),
  sizes: histogram('flood_size', 'Record sizes.', { symbol: open({ budget: BUDGET }) }, { buckets: [10, 100] }),
});
let warnings = 0;
const flood = new Flood({ onOverflow: () => warnings++, onInvalidValue: () => undefined });
const writer = new PrometheusWriter([flood]);

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
gc();
const before = process.memoryUsage();
let peakRss = before.rss;
for (let i = 0; i < RECORDS; i++) {
  // A new string per record, like a symbol parsed from an exchange message.
  const symbol = `SYM${i}`;
  flood.ticks.inc({ symbol });
  flood.sizes.observe({ symbol }, i % 200);
  if (i % 100_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
}
const body = writer.renderText();
gc();
const after = process.memoryUsage();
peakRss = Math.max(peakRss, after.rss);

const store = flood.ticks['~store'];
let counterSum = 0;
for (const offset of store.series) counterSum += store.values[offset] as number;
const hist = flood.sizes['~store'];
let histCount = 0;
for (let i = 0; i < hist.counts.length; i++) histCount += hist.counts[i] as number;

process.stdout.write(
  `${JSON.stringify({
    records: RECORDS,
    budget: BUDGET,
    counterSum,
    histogramCount: histCount,
    counterSeries: flood.ticks.seriesCount,
    histogramSeries: flood.sizes.seriesCount,
    overflowed: [flood.ticks.overflowed, flood.sizes.overflowed],
    overflowHookCalls: warnings,
    overflowLine: body.split('\n').find((line) => line.startsWith('flood_ticks_total{otel_metric_overflow')),
    selfMetricLines: body.split('\n').filter((line) => line.startsWith('ttquant_metrics_overflow_records_total')),
    bodyBytes: Buffer.byteLength(body),
    rssBeforeMb: mb(before.rss),
    rssAfterMb: mb(after.rss),
    peakRssMb: mb(peakRss),
    heapUsedBeforeMb: mb(before.heapUsed),
    heapUsedAfterMb: mb(after.heapUsed),
  })}\n`,
);
