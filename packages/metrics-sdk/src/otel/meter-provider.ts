import {
  type IMetricReader,
  MeterProvider,
  type MeterProviderOptions,
  type MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { MetricsOptionError } from '../define/errors.js';
import {
  expectArray,
  expectFunction,
  expectKeys,
  expectObject,
  expectSources,
  type OptionProblem,
  optionProblem,
} from '../define/option-checks.js';
import type { MetricSource } from '../exposition/prometheus-text.js';
import { CatalogMetricProducer, type CatalogMetricProducerOptions, checkProducerOptions } from './producer.js';

/**
 * Builds one reader, given the producers it must read besides the SDK's own instruments. A
 * factory rather than a reader, because sdk-metrics 3.x takes `metricProducers` only in a reader's
 * constructor (`MetricReaderOptions.metricProducers`, `@experimental`): a built reader cannot be
 * given one afterwards.
 *
 * @param metricProducers - pass it on as the reader's `metricProducers` option
 * @returns the reader
 */
export type MetricReaderFactory = (metricProducers: MetricProducer[]) => IMetricReader;

/** Options of {@link createMeterProvider}. */
export interface CreateMeterProviderOptions {
  /** The catalogs every reader exports; their metric names must not collide. */
  readonly sources: readonly MetricSource[];
  /** One factory per reader: each gets the catalog producer to pass as `metricProducers`. */
  readonly readers: readonly MetricReaderFactory[];
  /**
   * The resource of everything exported (readers replace a producer's resource with this one).
   * Default: the SDK's default resource.
   */
  readonly resource?: MeterProviderOptions['resource'];
  /** Views for the provider's own instruments; they do not apply to catalog data. */
  readonly views?: MeterProviderOptions['views'];
  /** Options of the shared {@link CatalogMetricProducer}. */
  readonly producer?: CatalogMetricProducerOptions;
}

/**
 * Creates an OpenTelemetry SDK `MeterProvider` whose readers all export the given catalogs, through
 * one shared {@link CatalogMetricProducer}. The provider stays a normal one: meters taken from it
 * record beside the catalogs, and `shutdown()` shuts every reader down.
 *
 * To wire the producer into readers you build yourself, create it and pass it in each reader's
 * constructor, then give the readers to your own `MeterProvider`:
 * ```ts
 * const producer = new CatalogMetricProducer([md, gw]);
 * const prometheus = new PrometheusExporter({ port: 9464, metricProducers: [producer] });
 * const otlp = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), metricProducers: [producer] });
 * const provider = new MeterProvider({ resource, readers: [prometheus, otlp] });
 * ```
 * A reader collects only once a `MeterProvider` holds it.
 *
 * @param options - sources, reader factories, and optionally resource, views and producer options
 * @returns the provider; call `shutdown()` on it to stop its readers
 * @throws MetricsOptionError naming the option (`readers[1]`, `producer.units`) for a wrong type or
 *   value, or an unknown option
 * @throws MetricDefinitionError when two sources expose the same metric name
 * @example
 * ```ts
 * import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
 * import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
 * import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
 *
 * const provider = createMeterProvider({
 *   sources: [new MarketDataMetrics()],
 *   readers: [
 *     (metricProducers) => new PrometheusExporter({ port: 9464, metricProducers }),
 *     (metricProducers) =>
 *       new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), metricProducers }),
 *   ],
 * });
 * ```
 */
export function createMeterProvider(options: CreateMeterProviderOptions): MeterProvider {
  checkMeterProviderOptions(options);
  const producer = new CatalogMetricProducer(options.sources, options.producer);
  const readers: IMetricReader[] = [];
  options.readers.forEach((build, i) => {
    const reader: unknown = build([producer]);
    // MeterProvider calls setMetricProducer on each reader: a factory that returns something else
    // is named here rather than failing inside the SDK.
    if (typeof (reader as Partial<IMetricReader> | null)?.setMetricProducer !== 'function') {
      // The readers built so far may hold a port already (the Prometheus exporter listens at once).
      for (const built of readers) built.shutdown().catch(() => undefined);
      throw meterProviderError(optionProblem(`readers[${i}]`, 'a factory that returns a MetricReader', reader));
    }
    readers.push(reader as IMetricReader);
  });
  return new MeterProvider({ resource: options.resource, views: options.views, readers });
}

function meterProviderError(problem: OptionProblem): MetricsOptionError {
  return new MetricsOptionError(problem.option, problem.expected, `createMeterProvider: ${problem.message}`);
}

const OPTION_KEYS = Object.keys({
  sources: true,
  readers: true,
  resource: true,
  views: true,
  producer: true,
} satisfies Record<keyof CreateMeterProviderOptions, true>);

function checkMeterProviderOptions(value: unknown): void {
  const fail = meterProviderError;
  const options = expectObject(value, 'options', fail);
  expectKeys(options, '', OPTION_KEYS, fail);
  expectSources(options['sources'], 'sources', fail);
  expectArray(options['readers'], 'readers', fail).forEach((build, i) => {
    expectFunction(build, `readers[${i}]`, fail);
  });
  const resource = options['resource'];
  if (resource !== undefined && typeof (resource as { merge?: unknown } | null)?.merge !== 'function') {
    throw fail(optionProblem('resource', 'a Resource (e.g. resourceFromAttributes({...}))', resource));
  }
  if (options['views'] !== undefined) {
    expectArray(options['views'], 'views', fail).forEach((view, i) => {
      expectObject(view, `views[${i}]`, fail);
    });
  }
  if (options['producer'] !== undefined) checkProducerOptions(options['producer'], 'producer', fail);
}
