// scrape: one /metrics body for 10k and 100k series (half counters, half 12-bucket histograms),
// rendered by our PrometheusWriter, prom-client's `register.metrics()` and the OTel Prometheus
// exporter (collect + PrometheusSerializer, exactly what its request handler runs per scrape), and
// by our ProtobufWriter and OpenMetricsWriter (the protobuf and OpenMetrics 1.0.0 expositions of the
// same catalog, beside the text rows).
// Reports the median time per scrape and the peak memory of a scrape.

import { gzipSync } from 'node:zlib';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import * as prom from 'prom-client';
import { exchange } from '../src/catalogs/domains.js';
import { catalog } from '../src/define/catalog.js';
import { closed, open } from '../src/define/labels.js';
import { counter, histogram } from '../src/define/metric.js';
import { OpenMetricsWriter } from '../src/exposition/openmetrics-text.js';
import { ProtobufWriter } from '../src/exposition/prometheus-protobuf.js';
import { PrometheusWriter } from '../src/exposition/prometheus-text.js';
import { GZIP_LEVEL } from '../src/server/metrics-server.js';
import { throwOnInvalidValue } from '../src/storage/invalid.js';
import { decodeExposition, flatSamples } from '../test/fixtures/protobuf-exposition.js';
import {
  finish,
  type Group,
  memoryInUse,
  peakDuring,
  progress,
  quantile,
  type Row,
  requireGc,
  suiteArgs,
  time,
} from './harness.js';
import { BenchReader, BUCKETS, samples } from './peers.js';

const args = suiteArgs();
const gc = requireGc();

const TYPES = ['trade', 'book'] as const;
const OBSERVATIONS_PER_HISTOGRAM = 3;
const MB = 2 ** 20;

/** The series of one size: `size / 2` label sets, each used by one counter and one histogram. */
interface Fixture {
  readonly size: number;
  readonly symbolsPerExchangeType: number;
  readonly labels: readonly { readonly exchange: string; readonly symbol: string; readonly type: string }[];
  readonly counterValues: Float64Array;
  readonly observations: Float64Array;
}

function fixture(size: number): Fixture {
  const perMetric = size / 2;
  const symbols = perMetric / (exchange.values.length * TYPES.length);
  const labels: Fixture['labels'][number][] = [];
  for (const ex of exchange.values) {
    for (let s = 0; s < symbols; s++) {
      for (const type of TYPES) labels.push({ exchange: ex, symbol: `SYM${s}USDT`, type });
    }
  }
  // Integer counter values (the common case) and fractional histogram samples, the same for every peer.
  const counterValues = Float64Array.from({ length: perMetric }, (_, i) => 1 + ((i * 7919) % 100_000));
  const observations = samples(perMetric * OBSERVATIONS_PER_HISTOGRAM);
  return { size, symbolsPerExchangeType: symbols, labels, counterValues, observations };
}

/** A scrape under test: `scrape()` returns the body (kept alive by the caller), `close()` frees it all. */
interface Scraper {
  readonly scrape: () => unknown;
  readonly close: () => Promise<void>;
  /** The body's samples, when it is not text (the protobuf body: decoded with protobufjs). */
  readonly lines?: (body: unknown) => number;
}

function oursScraper(f: Fixture): {
  readonly freshWriter: () => PrometheusWriter;
  readonly scraper: Scraper;
  readonly protobuf: Scraper;
  readonly openmetrics: Scraper;
} {
  const labels = { exchange, symbol: open({ budget: f.symbolsPerExchangeType }), type: closed(...TYPES) };
  class ScrapeCatalog extends catalog({
    requests: counter('bench_scrape_total', 'Bench counter series.', labels),
    latency: histogram('bench_scrape_latency_ms', 'Bench histogram series.', labels, { buckets: BUCKETS }),
  }) {}
  const cat = new ScrapeCatalog({ onInvalidValue: throwOnInvalidValue });
  f.labels.forEach((l, i) => {
    const typed = l as { exchange: (typeof exchange.values)[number]; symbol: string; type: (typeof TYPES)[number] };
    cat.requests.bind(typed).add(f.counterValues[i] as number);
    const h = cat.latency.bind(typed);
    for (let k = 0; k < OBSERVATIONS_PER_HISTOGRAM; k++)
      h.observe(f.observations[i * OBSERVATIONS_PER_HISTOGRAM + k] as number);
  });
  let writer: PrometheusWriter | undefined;
  let protobufWriter: ProtobufWriter | undefined;
  let openMetricsWriter: OpenMetricsWriter | undefined;
  return {
    freshWriter: () => new PrometheusWriter([cat]),
    // The same catalog in the protobuf exposition; its "sample lines" are the samples the text
    // format would carry for the decoded families (+Inf buckets included).
    protobuf: {
      scrape: () => {
        protobufWriter ??= new ProtobufWriter([cat]);
        return protobufWriter.render();
      },
      close: async () => {
        protobufWriter = undefined;
      },
      lines: (body) => flatSamples(decodeExposition(body as Buffer).families).length,
    },
    // The same catalog in OpenMetrics text; its `_created` samples (one per series, which the other
    // formats do not carry) are left out of the sample lines so the counts stay comparable.
    openmetrics: {
      scrape: () => {
        openMetricsWriter ??= new OpenMetricsWriter([cat]);
        return openMetricsWriter.render();
      },
      close: async () => {
        openMetricsWriter = undefined;
      },
      lines: (body) => sampleLines(body) - ((body as Buffer).toString('utf8').match(/^\w+_created[{ ]/gm)?.length ?? 0),
    },
    scraper: {
      scrape: () => {
        writer ??= new PrometheusWriter([cat]);
        return writer.render();
      },
      close: async () => {
        writer = undefined;
      },
    },
  };
}

function promScraper(f: Fixture): Scraper {
  const registry = new prom.Registry();
  const labelNames = ['exchange', 'symbol', 'type'];
  const c = new prom.Counter({
    name: 'bench_scrape_total',
    help: 'Bench counter series.',
    labelNames,
    registers: [registry],
  });
  const h = new prom.Histogram({
    name: 'bench_scrape_latency_ms',
    help: 'Bench histogram series.',
    labelNames,
    buckets: [...BUCKETS],
    registers: [registry],
  });
  f.labels.forEach((l, i) => {
    c.labels(l.exchange, l.symbol, l.type).inc(f.counterValues[i] as number);
    const child = h.labels(l.exchange, l.symbol, l.type);
    for (let k = 0; k < OBSERVATIONS_PER_HISTOGRAM; k++)
      child.observe(f.observations[i * OBSERVATIONS_PER_HISTOGRAM + k] as number);
  });
  return {
    scrape: () => registry.metrics(),
    close: async () => registry.clear(),
  };
}

function otelScraper(f: Fixture): Scraper {
  // The exporter's own reader options (cumulative, default aggregations) on a pull reader; the view
  // lifts the default cardinality limit of 2,000 so every series is exported.
  const reader = new BenchReader(f.size);
  const provider = new MeterProvider({
    readers: [reader],
    views: [{ instrumentName: '*', aggregationCardinalityLimit: f.size }],
  });
  const meter = provider.getMeter('bench');
  const c = meter.createCounter('bench_scrape_total', { description: 'Bench counter series.' });
  const h = meter.createHistogram('bench_scrape_latency_ms', {
    description: 'Bench histogram series.',
    advice: { explicitBucketBoundaries: [...BUCKETS] },
  });
  f.labels.forEach((l, i) => {
    c.add(f.counterValues[i] as number, l);
    for (let k = 0; k < OBSERVATIONS_PER_HISTOGRAM; k++)
      h.record(f.observations[i * OBSERVATIONS_PER_HISTOGRAM + k] as number, l);
  });
  // Default exporter settings: no prefix, no timestamps, target_info and scope labels included.
  const serializer = new PrometheusSerializer('', false, undefined, false, false);
  return {
    // What PrometheusExporter._exportMetrics does for one request, minus the socket write.
    scrape: async () => serializer.serialize((await reader.collect()).resourceMetrics),
    close: () => provider.shutdown(),
  };
}

/** Sample lines (not comments, not OTel's target_info): proves every peer exposes the same series. */
function sampleLines(body: unknown): number {
  const text = typeof body === 'string' ? body : (body as Buffer).toString('utf8');
  let n = 0;
  for (const line of text.split('\n')) if (line !== '' && !line.startsWith('#') && !line.startsWith('target_info')) n++;
  return n;
}

function bodyBytes(body: unknown): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : (body as Buffer).length;
}

/**
 * The first scrape, in its own frame: once it returns nothing references the body (a server drops it
 * once written), so it cannot be mistaken for memory the scraper retains.
 */
async function warmScrape(scraper: Scraper): Promise<{ readonly body: number; readonly lines: number }> {
  const warm = await scraper.scrape();
  return { body: bodyBytes(warm), lines: (scraper.lines ?? sampleLines)(warm) };
}

interface MemoryResult {
  readonly body: number;
  readonly lines: number;
  readonly retained: number;
  /** The part of `retained` that is ArrayBuffer memory (our reused output buffer's capacity). */
  readonly retainedBuffers: number;
  readonly transient: number;
}

/**
 * Peak memory of one scrape = retained + transient: `retained` is what the scraper keeps between
 * scrapes (after a GC; our writer's reused output buffer and label cache), `transient` the peak above
 * that during one scrape (see harness.peakDuring).
 */
async function measureMemory(scraper: Scraper): Promise<MemoryResult> {
  gc();
  gc();
  const before = memoryInUse();
  const { body, lines } = await warmScrape(scraper);
  gc();
  gc();
  const after = memoryInUse();
  const retained = Math.max(0, after.heap + after.arrayBuffers - before.heap - before.arrayBuffers);
  const retainedBuffers = Math.max(0, after.arrayBuffers - before.arrayBuffers);
  const transient = await peakDuring(() => scraper.scrape());
  return { body, lines, retained, retainedBuffers, transient };
}

interface Impl {
  readonly id: string;
  readonly label: string;
  readonly scraper: Scraper;
  readonly samples: number[];
  memory?: MemoryResult;
}

/** The format of each of our scrapers' bodies, for the gzip rows. */
const GZIP_FORMATS: Readonly<Record<string, string>> = {
  ours: 'text 0.0.4',
  'ours.om': 'OpenMetrics',
  'ours.pb': 'protobuf',
};

// Timing runs in interleaved rounds (ours, prom-client, OTel, ours, …) with all three resident, so a
// burst of load from other processes lands on every implementation instead of on one of them.
const ROUNDS = args.quick ? 1 : 3;

const groups: Group[] = [];
const sizes = args.quick ? [10_000] : [10_000, 100_000];
for (const size of sizes) {
  const f = fixture(size);
  progress(`scrape ${size}: building the three registries`);
  const ours = oursScraper(f);
  const impls: Impl[] = [
    { id: 'ours', label: '**ours** `PrometheusWriter.render()`', scraper: ours.scraper, samples: [] },
    {
      id: 'ours.om',
      label: '**ours** `OpenMetricsWriter.render()` (OpenMetrics)',
      scraper: ours.openmetrics,
      samples: [],
    },
    { id: 'ours.pb', label: '**ours** `ProtobufWriter.render()` (protobuf)', scraper: ours.protobuf, samples: [] },
    { id: 'prom', label: 'prom-client 15 `register.metrics()`', scraper: promScraper(f), samples: [] },
    { id: 'otel', label: 'OTel exporter-prometheus (collect + serialize)', scraper: otelScraper(f), samples: [] },
  ];

  // First render of a fresh writer: sizes the output buffer from an estimate and renders every label set
  // once. ArrayBuffers freed by a GC inside this render are not counted (harness note).
  progress(`scrape ${size}: memory`);
  const cold = await peakDuring(() => ours.freshWriter().render());
  for (const impl of impls) impl.memory = await measureMemory(impl.scraper);

  const perRound = args.quick ? 3 : size >= 100_000 ? 2 : 3;
  for (let round = 0; round < ROUNDS; round++) {
    for (const impl of impls) {
      progress(`scrape ${size} round ${round + 1}/${ROUNDS}: ${impl.id}`);
      const t = await time(() => impl.scraper.scrape(), { slow: true, quick: args.quick, samples: perRound });
      impl.samples.push(...t.raw);
    }
  }
  // gzip at the server's level (1) of each of our three bodies: what Accept-Encoding: gzip costs.
  // The server runs it on libuv's thread pool (zlib.gzip), off the event loop; gzipSync here
  // measures the same CPU on this thread.
  const gzipRows: Row[] = [];
  for (const impl of impls.filter((i) => i.id.startsWith('ours'))) {
    progress(`scrape ${size}: gzip of ${impl.id}`);
    const body = Buffer.from(impl.scraper.scrape() as Uint8Array | string);
    const compressed = gzipSync(body, { level: GZIP_LEVEL });
    const t = await time(() => gzipSync(body, { level: GZIP_LEVEL }), {
      slow: true,
      quick: args.quick,
      samples: 3,
    });
    const ms = quantile(t.raw, 0.5) / 1e6;
    gzipRows.push({
      id: `${impl.id}.gzip`,
      label: `**ours** ${GZIP_FORMATS[impl.id] ?? impl.id} body`,
      value: ms,
      extra: {
        body: body.length / MB,
        gzipped: compressed.length / MB,
        ratio: body.length / compressed.length,
        perMB: ms / (body.length / MB),
      },
    });
  }
  for (const impl of impls) await impl.scraper.close();

  const timeRows: Row[] = impls.map((impl) => ({
    id: impl.id,
    label: impl.label,
    value: quantile(impl.samples, 0.5) / 1e6,
    p75: quantile(impl.samples, 0.75) / 1e6,
    p99: quantile(impl.samples, 0.99) / 1e6,
    extra: { body: (impl.memory?.body ?? 0) / MB, lines: impl.memory?.lines ?? 0, samples: impl.samples.length },
  }));
  const memRows: Row[] = impls.map((impl) => {
    const m = impl.memory as MemoryResult;
    return {
      id: impl.id,
      label: impl.label,
      value: (m.retained + m.transient) / MB,
      extra: { retained: m.retained / MB, buffers: m.retainedBuffers / MB, transient: m.transient / MB },
    };
  });
  memRows.splice(1, 0, {
    id: 'ours.cold',
    label: "**ours**, a fresh writer's first render",
    value: cold / MB,
    extra: { transient: cold / MB },
  });

  const label = `${size / 1000}k series`;
  const refs = [
    { id: 'prom', label: 'prom-client' },
    { id: 'otel', label: 'OTel exporter' },
  ];
  groups.push(
    {
      title: `scrape time, ${label} (${size / 2} counters + ${size / 2} histograms × 12 buckets)`,
      unit: 'ms',
      refs,
      extras: [
        { key: 'body', label: 'body MB' },
        { key: 'lines', label: 'sample lines' },
        { key: 'samples', label: 'samples' },
      ],
      rows: timeRows,
    },
    {
      title: `gzip (level ${GZIP_LEVEL}) of our bodies, ${label}: CPU on zlib's thread pool, off the event loop`,
      unit: 'ms',
      refs: [],
      extras: [
        { key: 'body', label: 'body MB' },
        { key: 'gzipped', label: 'gzipped MB' },
        { key: 'ratio', label: 'ratio' },
        { key: 'perMB', label: 'ms per body MB' },
      ],
      rows: gzipRows,
    },
    {
      title: `peak memory of one scrape, ${label}`,
      unit: 'MB',
      refs,
      extras: [
        { key: 'retained', label: 'retained between scrapes' },
        { key: 'buffers', label: 'of which ArrayBuffer capacity' },
        { key: 'transient', label: 'transient peak' },
      ],
      rows: memRows,
    },
  );
}

finish(
  {
    suite: 'scrape: /metrics body',
    quick: args.quick,
    groups,
    notes: [
      'Every implementation holds the same series and values (sample lines must match; OTel adds ' +
        '`otel_scope_*` labels and a target_info metric, which the exporter emits by default).',
      'Time: one scrape per sample, a full GC before each sample (not timed); the three implementations ' +
        `are resident together and timed in ${ROUNDS} interleaved round(s); median of all samples. Ours ` +
        'returns a Buffer view; prom-client and OTel return a string.',
      'Peak memory = retained + transient. Retained: V8 heap + ArrayBuffers kept by the scraper between ' +
        'scrapes (after a GC), e.g. our reused output buffer and per-series label bytes. Transient: peak ' +
        "above that during one scrape, from V8's GCProfiler (the heap peaks right before a GC or at the end) " +
        'plus ArrayBuffer growth read at the end; the body is kept alive until the end, as a server would.',
      'ArrayBuffer memory is counted at its allocated capacity. Our writer sizes its buffer at about 1.1× the last body and ' +
        'Buffer.allocUnsafe leaves untouched pages unmapped, so only about the body size of that capacity ' +
        'is resident; the capacity is counted anyway, so this column over-states our footprint, never understates it.',
    ],
  },
  args,
);
