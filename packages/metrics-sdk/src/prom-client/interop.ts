import { collectDefaultMetrics, type Metric, Registry, type RegistryContentType } from 'prom-client';
import { formatNumber } from '../exposition/byte-writer.js';
import { exposedSources, type MetricSource } from '../exposition/sources.js';
import type { MetricFamily, SeriesStore } from '../storage/families.js';
import { seriesLabels } from '../storage/layout.js';

/**
 * Names of prom-client 15.1.3's default metrics that {@link createProcessMetricsRegistry} leaves out.
 * Each is a gauge whose name ends in `_total`, which `promtool check metrics` reports as
 * `non-counter metrics should not have "_total" suffix`; this list is exactly what promtool 2.42 found
 * in prom-client's default output on Node 24 (a test re-runs promtool and fails when it changes). The
 * same values stay available without the suffix: `nodejs_active_handles`, `nodejs_active_requests`
 * and `nodejs_active_resources` (per-type breakdowns, whose sum is the omitted total).
 */
export const OMITTED_PROCESS_METRICS = Object.freeze([
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const);

/**
 * Creates a new prom-client `Registry` holding prom-client's default Node.js process metrics (CPU,
 * memory, file descriptors, event-loop lag, heap spaces, GC durations, version), minus
 * {@link OMITTED_PROCESS_METRICS}. Nothing is registered in prom-client's global registry. The
 * collectors start an event-loop delay monitor and a GC observer that live as long as the process, so
 * create one registry per process, not one per scrape.
 *
 * @returns the registry; serve `await registry.metrics()` beside the catalogs
 * @example
 * ```ts
 * const processMetrics = createProcessMetricsRegistry();
 * const text = await processMetrics.metrics();
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function createProcessMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of OMITTED_PROCESS_METRICS) registry.removeSingleMetric(name);
  return registry;
}

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
  readonly #source: MetricSource;
  #collecting = false;

  constructor(source: MetricSource) {
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
  readonly #store: SeriesStore;
  readonly #collection: CatalogCollection;
  readonly #le: readonly string[];

  constructor(family: MetricFamily<unknown>, collection: CatalogCollection) {
    const store = family['~store'];
    this.name = family.name;
    this.help = family.help;
    this.type = store.kind;
    this.#store = store;
    this.#collection = collection;
    this.#le = store.kind === 'histogram' ? [...Array.from(store.bounds, formatNumber), '+Inf'] : [];
  }

  get(): Promise<PromClientMetricData> {
    this.#collection.runHooksOnce();
    const store = this.#store;
    const { series, values, layout } = store;
    const samples: PromClientSample[] = [];
    for (const offset of series) {
      const labels = seriesLabels(layout, offset);
      if (store.kind !== 'histogram') {
        samples.push({ value: values[offset] as number, labels });
        continue;
      }
      // Storage keeps per-bucket counts; Prometheus buckets are cumulative.
      const { counts, stride } = store;
      const base = offset * stride;
      let cumulative = 0;
      for (let b = 0; b < stride; b++) {
        cumulative += counts[base + b] as number;
        samples.push({
          value: cumulative,
          labels: { ...labels, le: this.#le[b] as string },
          metricName: `${this.name}_bucket`,
        });
      }
      samples.push({ value: values[offset] as number, labels, metricName: `${this.name}_sum` });
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

/** Options of {@link registerCatalogs}. */
export interface RegisterCatalogsOptions {
  /**
   * Register the SDK's accounting counters too (`ttquant_metrics_overflow_records_total`,
   * `ttquant_metrics_dropped_values_total`), as the Prometheus writer does. Default `true`.
   */
  readonly accounting?: boolean;
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
 * @param options - whether to register the accounting counters
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
  const exposed = exposedSources(sources, {
    accounting: options.accounting,
    taken: (name) =>
      registry.getSingleMetric(name) === undefined ? undefined : 'already registered in the prom-client registry',
  });
  for (const source of exposed) {
    const collection = new CatalogCollection(source);
    for (const family of source['~families']) {
      // prom-client types registerMetric() as taking its own classes; Registry only uses the members
      // the adapter implements (see lib/registry.js).
      registry.registerMetric(new PromClientFamilyAdapter(family, collection) as unknown as Metric);
    }
  }
}
