// Shared fixtures for every suite: one label pattern (4 exchanges × 50 symbols, labels
// exchange/symbol/type), one sample sequence, and the same three instruments built on this SDK,
// prom-client 15 and @opentelemetry/sdk-metrics 3. Every suite imports its peers from here so no
// implementation gets a friendlier setup than another.

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { AggregationType, MeterProvider, type MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';
import * as prom from 'prom-client';
import { exchange, messageType, networkLatencyMs } from '../src/catalogs/domains.js';
import { marketDataDefinitions } from '../src/catalogs/market-data.js';
import { catalog } from '../src/define/catalog.js';
import { open } from '../src/define/labels.js';
import { gauge, histogram } from '../src/define/metric.js';
import { throwOnInvalidValue } from '../src/storage/invalid.js';

/** Number of distinct label sets every hot/alloc benchmark rotates through. */
export const LABEL_SETS = 200;

/** The 12 finite bucket bounds shared by every histogram (the catalog's network latencies, ms). */
export const BUCKETS: readonly number[] = networkLatencyMs;

export type Exchange = (typeof exchange.values)[number];
export type MessageType = (typeof messageType.values)[number];

/** One label set of the shared pattern (a type alias, so it is assignable to OTel `Attributes`). */
export type LabelSet = {
  readonly exchange: Exchange;
  readonly symbol: string;
  readonly type: MessageType;
};

/**
 * The 200 label sets: 4 exchanges × 50 symbols, each symbol with one message type. Strings are
 * built once here and reused by every implementation, so no peer pays or skips string hashing that
 * another does not.
 */
export function labelSets(): readonly LabelSet[] {
  const out: LabelSet[] = [];
  const exchanges = exchange.values;
  const types = messageType.values;
  for (let s = 0; s < 50; s++) {
    for (let e = 0; e < exchanges.length; e++) {
      out.push({
        exchange: exchanges[e] as Exchange,
        symbol: `SYM${String(s).padStart(3, '0')}USDT`,
        type: types[s % types.length] as MessageType,
      });
    }
  }
  return out;
}

/** Column views of the label sets, so unbound call sites can build their object literal inline. */
export interface LabelColumns {
  readonly exchanges: readonly Exchange[];
  readonly symbols: readonly string[];
  readonly types: readonly MessageType[];
  readonly objects: readonly LabelSet[];
}

export function labelColumns(sets: readonly LabelSet[] = labelSets()): LabelColumns {
  return {
    exchanges: sets.map((l) => l.exchange),
    symbols: sets.map((l) => l.symbol),
    types: sets.map((l) => l.type),
    objects: sets,
  };
}

/**
 * Deterministic latency-like samples (ms), spread over every bucket including `+Inf`, fractional so
 * they are real doubles (as `performance.now()` differences are), not small integers.
 */
export function samples(n = LABEL_SETS): Float64Array {
  const out = new Float64Array(n);
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    // xorshift32: no Math.random, so every run and every peer sees the same sequence.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const u = (x >>> 0) / 0x1_0000_0000;
    out[i] = 0.25 * 2 ** (u * 15) + u; // 0.25 ms … ~8 s, log-spread
  }
  return out;
}

// ---------------------------------------------------------------- this SDK

/**
 * The hot-path catalog: `received` is the market-data catalog's own declaration; the gauge and
 * histogram use the same label domains, so all three kinds share the label pattern.
 */
const hotDefs = {
  received: marketDataDefinitions.received,
  price: gauge('bench_price', 'Bench gauge with the shared label pattern.', {
    exchange,
    symbol: open({ budget: LABEL_SETS }),
    type: messageType,
  }),
  latency: histogram(
    'bench_latency_ms',
    'Bench histogram with the shared label pattern.',
    { exchange, symbol: open({ budget: LABEL_SETS }), type: messageType },
    { unit: 'ms', buckets: networkLatencyMs },
  ),
  // The same histogram with native resolution too (schema 3, 160 buckets): what the catalogs'
  // latency histograms record when declared both ways.
  nativeLatency: histogram(
    'bench_native_latency_ms',
    'Bench histogram, classic and native.',
    { exchange, symbol: open({ budget: LABEL_SETS }), type: messageType },
    { unit: 'ms', buckets: networkLatencyMs, native: true },
  ),
  // The same histogram keeping exemplars (trace_id, span_id) per bucket.
  exemplarLatency: histogram(
    'bench_exemplar_latency_ms',
    'Bench histogram with exemplars.',
    { exchange, symbol: open({ budget: LABEL_SETS }), type: messageType },
    { unit: 'ms', buckets: networkLatencyMs, exemplars: true },
  ),
} as const;

/** Catalog class used by the hot and alloc suites. */
export class HotCatalog extends catalog(hotDefs) {}

/**
 * The hot counter, gauge and classic histogram again, as a catalog shared across worker threads:
 * its handles write into this thread's slab of shared memory.
 */
export class SharedHotCatalog extends catalog({
  received: hotDefs.received,
  price: hotDefs.price,
  latency: hotDefs.latency,
}) {}

export function ourCatalog(): HotCatalog {
  // A throwing hook: a benchmark that silently dropped values would measure the slow path.
  return new HotCatalog({ onInvalidValue: throwOnInvalidValue });
}

// ---------------------------------------------------------------- prom-client 15

export interface PromInstruments {
  readonly registry: prom.Registry;
  readonly counter: prom.Counter<'exchange' | 'symbol' | 'type'>;
  readonly gauge: prom.Gauge<'exchange' | 'symbol' | 'type'>;
  readonly histogram: prom.Histogram<'exchange' | 'symbol' | 'type'>;
  /** The histogram again, with exemplars on, in an OpenMetrics registry (prom-client's requirement). */
  readonly exemplarHistogram: prom.Histogram<'exchange' | 'symbol' | 'type' | 'trace_id' | 'span_id'>;
}

export function promInstruments(): PromInstruments {
  const registry = new prom.Registry();
  const openMetrics = new prom.Registry<typeof prom.Registry.OPENMETRICS_CONTENT_TYPE>();
  openMetrics.setContentType(prom.Registry.OPENMETRICS_CONTENT_TYPE);
  const labelNames = ['exchange', 'symbol', 'type'] as const;
  return {
    registry,
    counter: new prom.Counter({
      name: 'market_data_received_total',
      help: 'Bench counter.',
      labelNames,
      registers: [registry],
    }),
    gauge: new prom.Gauge({ name: 'bench_price', help: 'Bench gauge.', labelNames, registers: [registry] }),
    histogram: new prom.Histogram({
      name: 'bench_latency_ms',
      help: 'Bench histogram.',
      labelNames,
      buckets: [...BUCKETS],
      registers: [registry],
    }),
    exemplarHistogram: new prom.Histogram({
      name: 'bench_exemplar_latency_ms',
      help: 'Bench histogram with exemplars.',
      labelNames,
      buckets: [...BUCKETS],
      registers: [openMetrics],
      enableExemplars: true,
    }),
  };
}

// ---------------------------------------------------------------- @opentelemetry/sdk-metrics 3

/**
 * A pull reader that does nothing on flush or shutdown: the SDK only aggregates for instruments that
 * have at least one reader, so a reader must exist for the record path to be measured at all.
 */
export class BenchReader extends MetricReader {
  /**
   * @param cardinality - per-instrument series limit (the SDK's default is 2,000)
   * @param metricProducers - extra sources, e.g. our CatalogMetricProducer
   */
  constructor(cardinality = 2000, metricProducers: MetricProducer[] = []) {
    super({ cardinalitySelector: () => cardinality, metricProducers });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface OtelInstruments {
  readonly provider: MeterProvider;
  readonly reader: BenchReader;
  readonly counter: ReturnType<ReturnType<MeterProvider['getMeter']>['createCounter']>;
  readonly gauge: ReturnType<ReturnType<MeterProvider['getMeter']>['createGauge']>;
  readonly histogram: ReturnType<ReturnType<MeterProvider['getMeter']>['createHistogram']>;
  /** A histogram under OTel's base-2 exponential aggregation (max 160 buckets), OTel's native form. */
  readonly exponential: ReturnType<ReturnType<MeterProvider['getMeter']>['createHistogram']>;
}

export function otelInstruments(): OtelInstruments {
  const reader = new BenchReader();
  const provider = new MeterProvider({
    readers: [reader],
    views: [
      {
        instrumentName: 'bench_exponential_ms',
        aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } },
      },
    ],
  });
  const meter = provider.getMeter('bench');
  return {
    provider,
    reader,
    counter: meter.createCounter('market_data_received_total', { description: 'Bench counter.' }),
    gauge: meter.createGauge('bench_price', { description: 'Bench gauge.' }),
    histogram: meter.createHistogram('bench_latency_ms', {
      description: 'Bench histogram.',
      unit: 'ms',
      advice: { explicitBucketBoundaries: [...BUCKETS] },
    }),
    exponential: meter.createHistogram('bench_exponential_ms', { description: 'Bench histogram.', unit: 'ms' }),
  };
}

// ---------------------------------------------------------------- raw Float64Array floor

/**
 * The floor: what a record costs when it is nothing but a typed-array write. Counter and gauge:
 * `values[offset]`; histogram: binary search over the 12 bounds, then a count and a sum write.
 */
export interface RawFloor {
  readonly values: Float64Array;
  readonly counts: Float64Array;
  readonly sums: Float64Array;
  readonly bounds: Float64Array;
  /** Per label set: its series offset (a scattered layout, like a real catalog's). */
  readonly offsets: Int32Array;
  readonly stride: number;
}

export function rawFloor(): RawFloor {
  const offsets = new Int32Array(LABEL_SETS);
  // 4 × 201 × 3 slots like the catalog; offset arithmetic matches its mixed-radix layout.
  const sets = labelSets();
  const exchanges = exchange.values as readonly string[];
  const types = messageType.values as readonly string[];
  const symbols = new Map<string, number>();
  sets.forEach((l, i) => {
    if (!symbols.has(l.symbol)) symbols.set(l.symbol, symbols.size);
    offsets[i] =
      exchanges.indexOf(l.exchange) * (LABEL_SETS + 1) * types.length +
      (symbols.get(l.symbol) as number) * types.length +
      types.indexOf(l.type);
  });
  const capacity = exchanges.length * (LABEL_SETS + 1) * types.length;
  const stride = BUCKETS.length + 1;
  return {
    values: new Float64Array(capacity),
    counts: new Float64Array(capacity * stride),
    sums: new Float64Array(capacity),
    bounds: Float64Array.from(BUCKETS),
    offsets,
    stride,
  };
}

// ---------------------------------------------------------------- versions

/** Installed version of a dependency, read from its package.json (for the report header). */
export function versionOf(pkg: string): string {
  const require = createRequire(import.meta.url);
  try {
    let dir = require.resolve(pkg);
    // Walk up from the entry point to the package root: some packages do not export ./package.json.
    for (let i = 0; i < 6; i++) {
      dir = dirname(dir);
      try {
        const json = require(`${dir}/package.json`) as { name?: string; version?: string };
        if (json.name === pkg) return json.version ?? '?';
      } catch {
        // not the package root yet
      }
    }
  } catch {
    // not installed
  }
  return '?';
}

// ---------------------------------------------------------------- the record operations

/** One record operation of one implementation; `run` performs it once per label set. */
export interface RecordCase {
  readonly id: string;
  readonly label: string;
  readonly run: () => void;
}

export type RecordKind = 'counter' | 'gauge' | 'histogram';

/**
 * The operations the hot and alloc suites measure, built once so both suites run the very same
 * functions. Each `run` loops over the 200 label sets: the loop index rotates labels and values so
 * nothing is constant-folded. Bound and raw cases use preallocated handles/offsets; unbound cases
 * build the label object literal at the call site, as a user would.
 */
export function recordCases(): Record<RecordKind, readonly RecordCase[]> {
  const { exchanges: EX, symbols: SY, types: TY, objects: OBJ } = labelColumns();
  const V = samples();
  const N = LABEL_SETS;
  const raw = rawFloor();
  const ours = ourCatalog();
  const received = ours.received;
  const price = ours.price;
  const latency = ours.latency;
  const counterHandles = OBJ.map((l) => received.bind(l));
  const gaugeHandles = OBJ.map((l) => price.bind(l));
  const histogramHandles = OBJ.map((l) => latency.bind(l));
  const nativeHandles = OBJ.map((l) => ours.nativeLatency.bind(l));
  const exemplarHandles = OBJ.map((l) => ours.exemplarLatency.bind(l));
  const shared = new SharedHotCatalog({ onInvalidValue: throwOnInvalidValue, shared: { threads: 2 } });
  const sharedCounterHandles = OBJ.map((l) => shared.received.bind(l));
  const sharedGaugeHandles = OBJ.map((l) => shared.price.bind(l));
  const sharedHistogramHandles = OBJ.map((l) => shared.latency.bind(l));
  // One exemplar label object per series, built once, as a service holding its span's ids would.
  const EXEMPLARS = OBJ.map((_, i) => ({
    trace_id: (0x4bf92f3577b34000 + i).toString(16).padStart(32, '0'),
    span_id: (0xf067aa0ba90000 + i).toString(16).padStart(16, '0'),
  }));
  const prom = promInstruments();
  const promCounter = prom.counter;
  const promGauge = prom.gauge;
  const promHistogram = prom.histogram;
  const promExemplar = prom.exemplarHistogram;
  const promCounterChildren = OBJ.map((l) => promCounter.labels(l.exchange, l.symbol, l.type));
  const promGaugeChildren = OBJ.map((l) => promGauge.labels(l.exchange, l.symbol, l.type));
  const promHistogramChildren = OBJ.map((l) => promHistogram.labels(l.exchange, l.symbol, l.type));
  const otel = otelInstruments();
  const otelCounter = otel.counter;
  const otelGauge = otel.gauge;
  const otelHistogram = otel.histogram;
  const otelExponential = otel.exponential;
  const { values, counts, sums, bounds, offsets, stride } = raw;
  // The floor plus the one thing any bound API adds: a per-series object to load the array and
  // offset from. Shows how much of a handle's cost is that indirection rather than the handle code.
  const rawHandles = Array.from(offsets, (o) => ({ values, offset: o }));
  const rawHistogramHandles = Array.from(offsets, (o) => ({ counts, sums, bounds, offset: o, base: o * stride }));

  return {
    counter: [
      {
        id: 'raw',
        label: 'raw Float64Array floor: `values[o] += 1`',
        run: () => {
          for (let i = 0; i < N; i++) values[offsets[i]] += 1;
        },
      },
      {
        id: 'raw.handle',
        label: 'raw floor through a per-series `{values, offset}` object',
        run: () => {
          for (let i = 0; i < N; i++) {
            const h = rawHandles[i];
            h.values[h.offset] += 1;
          }
        },
      },
      {
        id: 'ours.bound',
        label: '**ours** bound `CounterHandle.inc()`',
        run: () => {
          for (let i = 0; i < N; i++) counterHandles[i].inc();
        },
      },
      {
        id: 'ours.shared',
        label: '**ours** bound, in a catalog shared across threads `CounterHandle.inc()`',
        run: () => {
          for (let i = 0; i < N; i++) sharedCounterHandles[i].inc();
        },
      },
      {
        id: 'ours.unbound',
        label: '**ours** unbound `md.received.inc({exchange, symbol, type})`',
        run: () => {
          for (let i = 0; i < N; i++) received.inc({ exchange: EX[i], symbol: SY[i], type: TY[i] });
        },
      },
      {
        id: 'prom.labelled',
        label: 'prom-client `counter.inc({…})`',
        run: () => {
          for (let i = 0; i < N; i++) promCounter.inc({ exchange: EX[i], symbol: SY[i], type: TY[i] });
        },
      },
      {
        id: 'prom.child',
        label: 'prom-client bound `labels(…)` child `.inc()`',
        run: () => {
          for (let i = 0; i < N; i++) promCounterChildren[i].inc();
        },
      },
      {
        id: 'otel',
        label: 'OTel `counter.add(1, {…})`',
        run: () => {
          for (let i = 0; i < N; i++) otelCounter.add(1, { exchange: EX[i], symbol: SY[i], type: TY[i] });
        },
      },
      {
        id: 'otel.prealloc',
        label: 'OTel `counter.add(1, attrs)`, attrs preallocated',
        run: () => {
          for (let i = 0; i < N; i++) otelCounter.add(1, OBJ[i]);
        },
      },
    ],
    gauge: [
      {
        id: 'raw',
        label: 'raw Float64Array floor: `values[o] = v`',
        run: () => {
          for (let i = 0; i < N; i++) values[offsets[i]] = V[i];
        },
      },
      {
        id: 'raw.handle',
        label: 'raw floor through a per-series `{values, offset}` object',
        run: () => {
          for (let i = 0; i < N; i++) {
            const h = rawHandles[i];
            h.values[h.offset] = V[i];
          }
        },
      },
      {
        id: 'ours.bound',
        label: '**ours** bound `GaugeHandle.set(v)`',
        run: () => {
          for (let i = 0; i < N; i++) gaugeHandles[i].set(V[i]);
        },
      },
      {
        id: 'ours.shared',
        label: '**ours** bound, in a catalog shared across threads `GaugeHandle.set(v)`',
        run: () => {
          for (let i = 0; i < N; i++) sharedGaugeHandles[i].set(V[i]);
        },
      },
      {
        id: 'ours.unbound',
        label: '**ours** unbound `price.set({exchange, symbol, type}, v)`',
        run: () => {
          for (let i = 0; i < N; i++) price.set({ exchange: EX[i], symbol: SY[i], type: TY[i] }, V[i]);
        },
      },
      {
        id: 'prom.labelled',
        label: 'prom-client `gauge.set({…}, v)`',
        run: () => {
          for (let i = 0; i < N; i++) promGauge.set({ exchange: EX[i], symbol: SY[i], type: TY[i] }, V[i]);
        },
      },
      {
        id: 'prom.child',
        label: 'prom-client bound `labels(…)` child `.set(v)`',
        run: () => {
          for (let i = 0; i < N; i++) promGaugeChildren[i].set(V[i]);
        },
      },
      {
        id: 'otel',
        label: 'OTel `gauge.record(v, {…})`',
        run: () => {
          for (let i = 0; i < N; i++) otelGauge.record(V[i], { exchange: EX[i], symbol: SY[i], type: TY[i] });
        },
      },
      {
        id: 'otel.prealloc',
        label: 'OTel `gauge.record(v, attrs)`, attrs preallocated',
        run: () => {
          for (let i = 0; i < N; i++) otelGauge.record(V[i], OBJ[i]);
        },
      },
    ],
    histogram: [
      {
        id: 'raw',
        label: 'raw floor: binary search over 12 bounds, count and sum writes',
        run: () => {
          const n = bounds.length;
          for (let i = 0; i < N; i++) {
            const x = V[i];
            let lo = 0;
            let hi = n;
            while (lo < hi) {
              const mid = (lo + hi) >>> 1;
              if (bounds[mid] < x) lo = mid + 1;
              else hi = mid;
            }
            const o = offsets[i];
            counts[o * stride + lo] += 1;
            sums[o] += x;
          }
        },
      },
      {
        id: 'raw.handle',
        label: 'raw floor through a per-series `{counts, sums, bounds, offset}` object',
        run: () => {
          for (let i = 0; i < N; i++) {
            const h = rawHistogramHandles[i];
            const x = V[i];
            const b = h.bounds;
            let lo = 0;
            let hi = b.length;
            while (lo < hi) {
              const mid = (lo + hi) >>> 1;
              if (b[mid] < x) lo = mid + 1;
              else hi = mid;
            }
            h.counts[h.base + lo] += 1;
            h.sums[h.offset] += x;
          }
        },
      },
      {
        id: 'ours.bound',
        label: '**ours** bound `HistogramHandle.observe(v)`',
        run: () => {
          for (let i = 0; i < N; i++) histogramHandles[i].observe(V[i]);
        },
      },
      {
        id: 'ours.shared',
        label: '**ours** bound, in a catalog shared across threads `HistogramHandle.observe(v)`',
        run: () => {
          for (let i = 0; i < N; i++) sharedHistogramHandles[i].observe(V[i]);
        },
      },
      {
        id: 'ours.native',
        label: '**ours** bound, classic and native (schema 3) `NativeHistogramHandle.observe(v)`',
        run: () => {
          for (let i = 0; i < N; i++) nativeHandles[i].observe(V[i]);
        },
      },
      {
        id: 'ours.exemplar',
        label: '**ours** bound, with an exemplar `HistogramHandle.observeWithExemplar(v, {trace_id, span_id})`',
        run: () => {
          for (let i = 0; i < N; i++) exemplarHandles[i].observeWithExemplar(V[i], EXEMPLARS[i]);
        },
      },
      {
        id: 'ours.unbound',
        label: '**ours** unbound `latency.observe({exchange, symbol, type}, v)`',
        run: () => {
          for (let i = 0; i < N; i++) {
            latency.observe({ exchange: EX[i], symbol: SY[i], type: TY[i] }, V[i]);
          }
        },
      },
      {
        id: 'prom.labelled',
        label: 'prom-client `histogram.observe({…}, v)`',
        run: () => {
          for (let i = 0; i < N; i++) {
            promHistogram.observe({ exchange: EX[i], symbol: SY[i], type: TY[i] }, V[i]);
          }
        },
      },
      {
        id: 'prom.child',
        label: 'prom-client bound `labels(…)` child `.observe(v)`',
        run: () => {
          for (let i = 0; i < N; i++) promHistogramChildren[i].observe(V[i]);
        },
      },
      {
        id: 'prom.exemplar',
        label: 'prom-client with an exemplar `histogram.observe({labels, value, exemplarLabels})`',
        run: () => {
          for (let i = 0; i < N; i++) {
            promExemplar.observe({ labels: OBJ[i], value: V[i], exemplarLabels: EXEMPLARS[i] });
          }
        },
      },
      {
        id: 'otel',
        label: 'OTel `histogram.record(v, {…})`',
        run: () => {
          for (let i = 0; i < N; i++) {
            otelHistogram.record(V[i], { exchange: EX[i], symbol: SY[i], type: TY[i] });
          }
        },
      },
      {
        id: 'otel.prealloc',
        label: 'OTel `histogram.record(v, attrs)`, attrs preallocated',
        run: () => {
          for (let i = 0; i < N; i++) otelHistogram.record(V[i], OBJ[i]);
        },
      },
      {
        id: 'otel.exponential',
        label: 'OTel exponential histogram `record(v, attrs)`, attrs preallocated',
        run: () => {
          for (let i = 0; i < N; i++) otelExponential.record(V[i], OBJ[i]);
        },
      },
    ],
  };
}
