import { type Attributes, type HrTime, ValueType } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type CollectionResult,
  type DataPoint,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  type MetricCollectOptions,
  type MetricData,
  type MetricDescriptor,
  type MetricProducer,
  type ResourceMetrics,
  type ScopeMetrics,
} from '@opentelemetry/sdk-metrics';
import { MetricsOptionError } from '../define/errors.js';
import { OVERFLOW_ATTRIBUTE } from '../define/naming.js';
import {
  expectBoolean,
  expectFunction,
  expectKeys,
  expectObject,
  expectOneOf,
  expectSources,
  type OptionErrorFactory,
  type OptionProblem,
} from '../define/option-checks.js';
import { exposedSources, type MetricSource, pullSteps } from '../exposition/sources.js';
import type { NativeBuckets, ReaderSource, SeriesReader } from '../storage/series-reader.js';
import { EMPTY_RESOURCE } from './empty-resource.js';
import { type OtelExemplar, otelExemplars } from './exemplars.js';

/** Instrumentation scope name of every metric the producer hands to OpenTelemetry. */
export const SCOPE_NAME = '@ttquant/metrics';

/**
 * Instrumentation scope version: the package version. A constant rather than a read of
 * package.json, so the bundled build needs no file access; producer.test.ts fails when it drifts.
 */
export const SCOPE_VERSION = '0.0.0';

/**
 * What goes into each OTel descriptor's `unit`.
 *
 * - `'omit'` (default): an empty unit. Our wire names already carry their unit (`_ms`, `_usd`,
 *   `_seconds`), and OTLP-to-Prometheus translators that follow the OTel spec (the Collector's
 *   Prometheus exporters, Prometheus 3's OTLP receiver) append a unit suffix to a name that lacks
 *   it: `market_data_latency_ms` would come out as `market_data_latency_ms_milliseconds`, and a
 *   unit `'1'` gauge gains `_ratio`. The wire names are the contract with dashboards, so by
 *   default nothing downstream gets a reason to rename them.
 * - `'declared'`: the unit from each declaration (`'ms'`, `'usd'`, `'s'`, `'1'`), for OTLP backends
 *   that show units and do not rename. `@opentelemetry/exporter-prometheus` 0.301.0 keeps the
 *   names either way and only adds a `# UNIT` comment line.
 */
export type UnitPolicy = 'omit' | 'declared';

/**
 * How a histogram declared with both classic buckets and native resolution is exported. A
 * histogram with native resolution only is always an exponential histogram, one with classic
 * buckets only always an explicit-bucket histogram.
 *
 * - `'explicit'` (default): its classic buckets, which every OTel exporter reads.
 *   `@opentelemetry/exporter-prometheus` 0.301.0 leaves exponential histograms out of its body
 *   altogether, so this keeps such histograms on its `/metrics`.
 * - `'exponential'`: its native buckets, for OTLP backends that store exponential histograms.
 */
export type NativeExport = 'explicit' | 'exponential';

/** Options of a {@link CatalogMetricProducer}. */
export interface CatalogMetricProducerOptions {
  /** Wall clock in ms since the epoch, read once per collect for every point's end time. Default `Date.now`. */
  readonly now?: () => number;
  /** See {@link UnitPolicy}; default `'omit'`. */
  readonly units?: UnitPolicy;
  /**
   * Export the SDK's self-metrics after the catalogs, as the Prometheus writer does:
   * `ttquant_metrics_overflow_records_total`, `ttquant_metrics_dropped_values_total` and
   * `ttquant_metrics_exemplars_dropped_total`, per metric. Default `true`.
   */
  readonly selfMetrics?: boolean;
  /** See {@link NativeExport}; default `'explicit'`. */
  readonly histogramsWithBoth?: NativeExport;
}

const OPTION_KEYS = Object.keys({
  now: true,
  units: true,
  selfMetrics: true,
  histogramsWithBoth: true,
} satisfies Record<keyof CatalogMetricProducerOptions, true>);

/**
 * Checks the options of a {@link CatalogMetricProducer}, wherever they are given.
 *
 * @param value - the options (untyped JavaScript may pass anything)
 * @param path - where they were given: `options`, or `producer` in `createMeterProvider`
 * @param toError - the error of the entry point
 * @internal
 */
export function checkProducerOptions(value: unknown, path: string, toError: OptionErrorFactory): void {
  const options = expectObject(value, path, toError);
  expectKeys(options, path, OPTION_KEYS, toError);
  if (options['now'] !== undefined) expectFunction(options['now'], `${path}.now`, toError);
  if (options['units'] !== undefined) expectOneOf(options['units'], `${path}.units`, ['omit', 'declared'], toError);
  if (options['selfMetrics'] !== undefined) expectBoolean(options['selfMetrics'], `${path}.selfMetrics`, toError);
  if (options['histogramsWithBoth'] !== undefined) {
    expectOneOf(options['histogramsWithBoth'], `${path}.histogramsWithBoth`, ['explicit', 'exponential'], toError);
  }
}

// Per family, built once: the descriptor, the histogram boundaries, and per series (parallel to
// reader.series, append-only like the text writer's label cache) the attributes and the start time,
// both fixed for the life of a series. A collect then allocates only its points.
interface FamilyEntry {
  readonly reader: SeriesReader;
  readonly descriptor: MetricDescriptor;
  readonly boundaries: number[];
  /** Export the native buckets (an exponential histogram) rather than the classic ones. */
  readonly exponential: boolean;
  readonly attributes: Attributes[];
  readonly startTimes: HrTime[];
  /** The reader's generation the per-series caches were built for. */
  generation: number;
}

interface SourceEntry {
  readonly source: ReaderSource;
  readonly families: readonly FamilyEntry[];
}

/**
 * An OpenTelemetry `MetricProducer` over catalog storage: each `collect()` reads the same typed
 * arrays the Prometheus writer reads, so any OTel `MetricReader` (the Prometheus exporter, a
 * periodic OTLP reader) exports the catalogs without an instrument or an observable callback.
 *
 * Counters become monotonic cumulative sums, gauges gauges (non-finite values of a
 * `nonFinite: 'emit'` gauge pass through), histograms explicit-bucket histograms with per-bucket
 * counts, `count` and `sum` (no `min`/`max`: the storage keeps none), or, when declared with native
 * resolution only (or with both and `histogramsWithBoth: 'exponential'`), base-2 exponential
 * histograms at the series' current schema (OTel's scale). A series' start time is when
 * it was first bound or recorded, from the catalog's clock. Families with no series are left out.
 * Points of a metric that declares exemplars carry them as `exemplars` ({@link OtelExemplar}: the
 * latest per series, per bucket of a histogram), which sdk-metrics 3.x's own types lack.
 *
 * `collect()` never rejects: a throwing collect hook or a failing family is appended to
 * `errors` and the rest is still returned. Readers replace the returned resource with their
 * MeterProvider's (the `metricProducers` option is `@experimental` in sdk-metrics 3.x).
 *
 * Naming through `@opentelemetry/exporter-prometheus` 0.301.0: names are kept, except that a
 * counter not ending in `_total` gets `_total` appended and runs of `_` collapse to one (in metric
 * and label names), so keep counters ending in `_total` and names free of `__`, as the built-in
 * catalogs are.
 *
 * @example
 * ```ts
 * import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 *
 * const md = new MarketDataMetrics();
 * const producer = new CatalogMetricProducer([md]);
 * const exporter = new PrometheusExporter({ port: 9464, metricProducers: [producer] });
 * const provider = new MeterProvider({ readers: [exporter] }); // a reader collects once bound
 * ```
 */
export class CatalogMetricProducer implements MetricProducer {
  readonly #sources: readonly SourceEntry[];
  readonly #pulls: readonly (() => Promise<void>)[];
  readonly #now: () => number;
  readonly #resource = EMPTY_RESOURCE;
  readonly #scope = { name: SCOPE_NAME, version: SCOPE_VERSION };

  /**
   * @param sources - the catalogs to export; their metric names must not collide
   * @param options - clock and unit policy
   * @throws MetricsOptionError naming the argument: `sources` not an array of catalogs (`sources[1]`),
   *   or an option of the wrong type or value, or an unknown one (`options.units`)
   * @throws MetricDefinitionError when two sources expose the same metric name
   */
  constructor(sources: readonly MetricSource[], options: CatalogMetricProducerOptions = {}) {
    const fail = (problem: OptionProblem) =>
      new MetricsOptionError(problem.option, problem.expected, `CatalogMetricProducer: ${problem.message}`);
    expectSources(sources, 'sources', fail);
    checkProducerOptions(options, 'options', fail);
    const units = options.units ?? 'omit';
    const histogramsWithBoth = options.histogramsWithBoth ?? 'explicit';
    const entries: SourceEntry[] = [];
    for (const source of exposedSources(sources, options)) {
      const families: FamilyEntry[] = [];
      for (const family of source['~families']) {
        const reader = family['~reader'];
        families.push({
          reader,
          descriptor: Object.freeze({
            name: reader.name,
            description: reader.help,
            unit: units === 'declared' ? reader.unit : '',
            valueType: ValueType.DOUBLE,
          }),
          // Shared by every point of every collect, like the descriptor: frozen.
          boundaries: Object.freeze(Array.from(reader.bounds)) as number[],
          exponential:
            reader.native !== undefined && (reader.bounds.length === 0 || histogramsWithBoth === 'exponential'),
          attributes: [],
          startTimes: [],
          generation: reader.generation,
        });
      }
      entries.push({ source, families });
    }
    this.#sources = entries;
    this.#pulls = pullSteps(sources);
    this.#now = options.now ?? Date.now;
  }

  /**
   * Runs each catalog's collect hooks once, then reads every series.
   *
   * @param _options - accepted for the interface; the read is synchronous, so there is no timeout
   * @returns one scope with a metric per family that has series; errors in `errors`, never thrown
   */
  collect(_options?: MetricCollectOptions): Promise<CollectionResult> {
    // Aggregates of a cluster's workers fetch their snapshots first; every other read is synchronous.
    if (this.#pulls.length === 0) return Promise.resolve(this.#read());
    return Promise.all(this.#pulls.map((pull) => pull())).then(() => this.#read());
  }

  #read(): CollectionResult {
    const errors: unknown[] = [];
    const metrics: MetricData[] = [];
    for (const { source } of this.#sources) {
      try {
        source['~runCollectHooks']();
      } catch (error) {
        errors.push(error);
      }
    }
    // One clock reading per collect, shared by every point.
    let endTime: HrTime;
    try {
      endTime = Object.freeze(msToHrTime(this.#now())) as HrTime;
    } catch (error) {
      errors.push(error);
      return { resourceMetrics: { resource: this.#resource, scopeMetrics: [] }, errors };
    }
    for (const { families } of this.#sources) {
      for (const entry of families) {
        if (entry.reader.series.length === 0) continue;
        try {
          metrics.push(collectFamily(entry, endTime));
        } catch (error) {
          errors.push(error);
        }
      }
    }
    const scopeMetrics: ScopeMetrics[] = metrics.length > 0 ? [{ scope: this.#scope, metrics }] : [];
    const resourceMetrics: ResourceMetrics = { resource: this.#resource, scopeMetrics };
    return { resourceMetrics, errors };
  }
}

function collectFamily(entry: FamilyEntry, endTime: HrTime): MetricData {
  const { reader, descriptor } = entry;
  const { series } = reader;
  const attributes = entry.attributes;
  const startTimes = entry.startTimes;
  // A removal reorders `series`: rebuild the caches (removals are rare; appends are the rule).
  if (entry.generation !== reader.generation) {
    entry.generation = reader.generation;
    attributes.length = 0;
    startTimes.length = 0;
  }
  while (attributes.length < series.length) {
    const offset = series[attributes.length] as number;
    attributes.push(decodeAttributes(reader, offset));
    startTimes.push(Object.freeze(msToHrTime(reader.startTimes[offset] as number)) as HrTime);
  }
  const n = series.length;
  if (entry.exponential && reader.native !== undefined) return collectNative(entry, reader.native, endTime);
  if (reader.kind === 'histogram') {
    const { bucketCounts, sums, stride } = reader;
    const points: DataPoint<Histogram>[] = [];
    for (let i = 0; i < n; i++) {
      const offset = series[i] as number;
      const base = offset * stride;
      // Per-bucket counts, not cumulative: OTel's explicit-bucket histogram (the exporter cumulates).
      const perBucket: number[] = [];
      let count = 0;
      for (let b = 0; b < stride; b++) {
        const c = bucketCounts[base + b] as number;
        perBucket.push(c);
        count += c;
      }
      points.push({
        startTime: startTimes[i] as HrTime,
        endTime,
        attributes: attributes[i] as Attributes,
        value: { buckets: { boundaries: entry.boundaries, counts: perBucket }, sum: sums[offset], count },
        ...exemplarsOf(reader, base, base + stride),
      });
    }
    return {
      descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: points,
    };
  }
  const { values } = reader;
  const points: DataPoint<number>[] = [];
  for (let i = 0; i < n; i++) {
    const offset = series[i] as number;
    points.push({
      startTime: startTimes[i] as HrTime,
      endTime,
      attributes: attributes[i] as Attributes,
      value: values[offset] as number,
      ...exemplarsOf(reader, offset, offset + 1),
    });
  }
  if (reader.kind === 'counter') {
    return {
      descriptor,
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.SUM,
      dataPoints: points,
      isMonotonic: true,
    };
  }
  return {
    descriptor,
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.GAUGE,
    dataPoints: points,
  };
}

// A histogram with native resolution: OTel's base-2 exponential histogram, which is the same
// bucketing. OTel's scale is the schema; its bucket index i holds (base^i, base^(i+1)], Prometheus'
// key k holds (base^(k−1), base^k], so index = key − 1. The zero bucket holds the samples up to the
// declared zero threshold (OTel's holds exact zeros only; 2^−128 by default makes that moot).
function collectNative(entry: FamilyEntry, native: NativeBuckets, endTime: HrTime): MetricData {
  const { reader, descriptor, attributes, startTimes } = entry;
  const { series, bucketCounts, sums, stride } = reader;
  const { window, counts, lows, schemas, zeroCounts } = native;
  const points: DataPoint<ExponentialHistogram>[] = [];
  for (let i = 0; i < series.length; i++) {
    const offset = series[i] as number;
    let count = 0;
    for (let b = offset * stride; b < (offset + 1) * stride; b++) count += bucketCounts[b] as number;
    // The populated range of the window, from its first to its last non-empty bucket.
    const base = offset * window;
    let first = 0;
    let last = window - 1;
    while (first <= last && counts[base + first] === 0) first++;
    while (last >= first && counts[base + last] === 0) last--;
    const positive = Array.from(counts.subarray(base + first, base + last + 1));
    points.push({
      startTime: startTimes[i] as HrTime,
      endTime,
      attributes: attributes[i] as Attributes,
      value: {
        count,
        sum: sums[offset] as number,
        scale: schemas[offset] as number,
        zeroCount: zeroCounts[offset] as number,
        positive: { offset: positive.length === 0 ? 0 : (lows[offset] as number) + first - 1, bucketCounts: positive },
        negative: { offset: 0, bucketCounts: [] },
      },
      ...exemplarsOf(reader, offset * stride, (offset + 1) * stride),
    });
  }
  return {
    descriptor,
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.EXPONENTIAL_HISTOGRAM,
    dataPoints: points,
  };
}

// Points of a family that declares exemplars carry an `exemplars` list (possibly empty); others
// carry no such property, as before.
function exemplarsOf(reader: SeriesReader, from: number, to: number): { exemplars?: OtelExemplar[] } {
  const { exemplars } = reader;
  return exemplars === undefined ? {} : { exemplars: otelExemplars(exemplars, from, to, frozenHrTime) };
}

function frozenHrTime(ms: number): HrTime {
  return Object.freeze(msToHrTime(ms)) as HrTime;
}

function decodeAttributes(reader: SeriesReader, offset: number): Attributes {
  const values = reader.labelValues(offset);
  // The overflow series carries only OTel's own marker, as the OTel SDK's cardinality limit does.
  if (values === null) return Object.freeze({ [OVERFLOW_ATTRIBUTE]: true });
  const names = reader.labelNames;
  const attributes: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) attributes[names[i] as string] = values[i] as string;
  // Shared by every collect's points: frozen so no exporter can change what the next collect sends.
  return Object.freeze(attributes);
}

/**
 * Milliseconds since the epoch (possibly fractional) to OTel's `[seconds, nanoseconds]`.
 *
 * @internal
 */
export function msToHrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  let s = seconds;
  if (nanos >= 1e9) {
    s += 1;
    nanos -= 1e9;
  }
  return [s, nanos];
}
