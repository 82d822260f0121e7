import type { Metric, Registry, RegistryContentType } from 'prom-client';
import { MetricsOptionError } from '../define/errors.js';
import { OVERFLOW_LABEL } from '../define/naming.js';
import {
  expectBoolean,
  expectKeys,
  expectObject,
  expectSources,
  type OptionProblem,
  optionProblem,
} from '../define/option-checks.js';
import { formatNumber } from '../exposition/byte-writer.js';
import { exposedSources, type MetricSource } from '../exposition/sources.js';
import type { ReaderSource, SeriesReader } from '../storage/series-reader.js';

/** One sample as prom-client's `Registry` reads it from `metric.get()`. */
interface PromClientSample {
  value: number;
  labels: Record<string, string>;
  /** Set for histogram samples (`_bucket`, `_sum`, `_count`); absent for counters and gauges. */
  metricName?: string;
}

/** What prom-client's `Registry` reads from `metric.get()`. */
interface PromClientMetricData {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  values: PromClientSample[];
}

// What every catalog's adapters share: the hooks run once per collection, not once per family.
class CatalogCollection {
  readonly #source: ReaderSource;
  #collecting = false;

  constructor(source: ReaderSource) {
    this.#source = source;
  }

  // prom-client's Registry calls get() on every metric synchronously, in one loop, before it awaits
  // anything; so the first get() of a metrics() call runs the hooks and a microtask re-arms them for
  // the next call.
  runHooksOnce(): void {
    if (this.#collecting) return;
    this.#collecting = true;
    queueMicrotask(() => {
      this.#collecting = false;
    });
    this.#source['~runCollectHooks']();
  }
}

/**
 * One catalog family shaped as a prom-client metric: the part of prom-client's metric interface that
 * `Registry` uses (`name`, `help`, `type`, `aggregator`, `get()`, `reset()`). Reads the family's storage
 * on each `get()`; nothing is copied in between.
 */
class PromClientFamilyAdapter {
  // A plain writable field: an OpenMetrics registry rewrites `name` of counters (drops `_total`).
  name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator = 'sum' as const;
  readonly #reader: SeriesReader;
  readonly #collection: CatalogCollection;
  readonly #le: readonly string[];

  constructor(reader: SeriesReader, collection: CatalogCollection) {
    this.name = reader.name;
    this.help = reader.help;
    this.type = reader.kind;
    this.#reader = reader;
    this.#collection = collection;
    this.#le = reader.kind === 'histogram' ? [...Array.from(reader.bounds, formatNumber), '+Inf'] : [];
  }

  get(): Promise<PromClientMetricData> {
    this.#collection.runHooksOnce();
    const reader = this.#reader;
    const { series, values, sums } = reader;
    const samples: PromClientSample[] = [];
    for (const offset of series) {
      const labels = labelObject(reader, offset);
      if (reader.kind !== 'histogram') {
        samples.push({ value: values[offset] as number, labels });
        continue;
      }
      // Storage keeps per-bucket counts; Prometheus buckets are cumulative.
      const { bucketCounts, stride } = reader;
      const base = offset * stride;
      let cumulative = 0;
      for (let b = 0; b < stride; b++) {
        cumulative += bucketCounts[base + b] as number;
        samples.push({
          value: cumulative,
          labels: { ...labels, le: this.#le[b] as string },
          metricName: `${this.name}_bucket`,
        });
      }
      samples.push({ value: sums[offset] as number, labels, metricName: `${this.name}_sum` });
      samples.push({ value: cumulative, labels: { ...labels }, metricName: `${this.name}_count` });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: samples,
    });
  }

  // Registry#resetMetrics() calls reset() on every metric. The catalog owns its values and bound
  // handles point into them, so a prom-client reset leaves them as they are.
  reset(): void {}
}

// The labels of one series as prom-client takes them, in declared order; the overflow series has
// only its marker.
function labelObject(reader: SeriesReader, offset: number): Record<string, string> {
  const values = reader.labelValues(offset);
  if (values === null) return { [OVERFLOW_LABEL]: 'true' };
  const labels: Record<string, string> = {};
  for (let i = 0; i < values.length; i++) labels[reader.labelNames[i] as string] = values[i] as string;
  return labels;
}

/** Options of {@link registerCatalogs}. */
export interface RegisterCatalogsOptions {
  /**
   * Register the SDK's self-metrics too (`ttquant_metrics_overflow_records_total`,
   * `ttquant_metrics_dropped_values_total`, `ttquant_metrics_exemplars_dropped_total`), as the
   * Prometheus writer does. Default `true`.
   */
  readonly selfMetrics?: boolean;
}

/**
 * Registers every family of the given catalogs into an existing prom-client `Registry`, for services
 * that already serve prom-client's `register.metrics()`. Each family becomes one prom-client metric
 * that reads the catalog's storage when the registry collects: recording still goes through the
 * catalog's handles at full speed, and values are never copied in between. The catalogs' collect
 * hooks run once per `registry.metrics()` call. Nothing is registered when any name would collide,
 * within `sources` or with a metric already in `registry`.
 *
 * prom-client spells NaN `Nan` and renders through its own (slower) string path; a service that can
 * serve its own endpoint should prefer `PrometheusWriter` or `createMetricsServer()`.
 *
 * @param registry - the prom-client registry to add to: its global `register` or one of your own, in
 *   the Prometheus text or the OpenMetrics content type
 * @param sources - the catalog instances to expose
 * @param options - whether to register the self-metrics
 * @throws MetricsOptionError naming the argument: `registry` not a prom-client Registry, `sources` not
 *   an array of catalogs (`sources[1]`), or an unknown or non-boolean option (`options.selfMetrics`)
 * @throws MetricDefinitionError listing every name that is already taken
 * @example
 * ```ts
 * import { register } from 'prom-client';
 * const md = new MarketDataMetrics();
 * registerCatalogs(register, [md]);
 * app.get('/metrics', async (_req, res) => res.type(register.contentType).send(await register.metrics()));
 * ```
 */
export function registerCatalogs(
  registry: Registry<RegistryContentType>,
  sources: readonly MetricSource[],
  options: RegisterCatalogsOptions = {},
): void {
  const fail = (problem: OptionProblem) =>
    new MetricsOptionError(problem.option, problem.expected, `registerCatalogs: ${problem.message}`);
  // Registry only calls these two here; a registry-like object without them would fail mid-registration.
  const methods = registry as Partial<Record<'registerMetric' | 'getSingleMetric', unknown>> | null;
  if (typeof methods?.registerMetric !== 'function' || typeof methods.getSingleMetric !== 'function') {
    throw fail(optionProblem('registry', 'a prom-client Registry (registerMetric, getSingleMetric)', registry));
  }
  expectSources(sources, 'sources', fail);
  const given = expectObject(options, 'options', fail);
  expectKeys(given, 'options', ['selfMetrics'], fail);
  if (given['selfMetrics'] !== undefined) expectBoolean(given['selfMetrics'], 'options.selfMetrics', fail);
  const exposed = exposedSources(sources, {
    selfMetrics: options.selfMetrics,
    taken: (name) =>
      registry.getSingleMetric(name) === undefined ? undefined : 'already registered in the prom-client registry',
  });
  for (const source of exposed) {
    const collection = new CatalogCollection(source);
    for (const family of source['~families']) {
      // prom-client types registerMetric() as taking its own classes; Registry only uses the members
      // the adapter implements (see lib/registry.js).
      registry.registerMetric(new PromClientFamilyAdapter(family['~reader'], collection) as unknown as Metric);
    }
  }
}
