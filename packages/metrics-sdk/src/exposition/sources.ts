import type { Catalog } from '../define/catalog.js';
import { type DefinitionIssue, MetricDefinitionError, MetricsOptionError } from '../define/errors.js';
import { expectBoolean, expectKeys, expectObject, expectSources, type OptionProblem } from '../define/option-checks.js';
import { selfMetricsSource } from '../self-metrics/self-metrics.js';
import type { ReaderSource } from '../storage/series-reader.js';

/** Anything whose metrics can be exposed: a catalog instance. */
export type MetricSource = Catalog;

/** @internal options of {@link exposedSources} */
export interface ExposedSourcesOptions {
  /** Append the self-metrics (see `selfMetricsSource`); default `true`. */
  readonly selfMetrics?: boolean | undefined;
  /** Why a name is unavailable besides a collision among the sources (e.g. already in a registry). */
  readonly taken?: (name: string) => string | undefined;
}

/**
 * What one exposition path (the text writer, the OTel producer, a prom-client registry) renders: the
 * given catalogs, checked for colliding names, followed by the self-metrics.
 *
 * @throws MetricDefinitionError listing every colliding or unavailable name
 * @internal
 */
export function exposedSources(
  sources: readonly MetricSource[],
  options: ExposedSourcesOptions = {},
): readonly ReaderSource[] {
  const seen = new Set<string>();
  const issues: DefinitionIssue[] = [];
  const check = (list: readonly ReaderSource[]): void => {
    for (const source of list) {
      for (const family of source['~families']) {
        const { kind, name: base } = family['~reader'];
        // A histogram also exposes `_bucket`, `_sum` and `_count` series, which may collide too.
        const names = kind === 'histogram' ? [base, `${base}_bucket`, `${base}_sum`, `${base}_count`] : [base];
        for (const name of names) {
          const taken = options.taken?.(name);
          if (seen.has(name)) issues.push({ path: name, message: 'exposed by two catalogs' });
          else if (taken !== undefined) issues.push({ path: name, message: taken });
          seen.add(name);
        }
      }
    }
    if (issues.length > 0) throw new MetricDefinitionError(issues);
  };
  check(sources);
  // Built only from distinct names: its `metric` label values must be unique.
  const self = options.selfMetrics === false ? undefined : selfMetricsSource(sources);
  if (self === undefined) return sources;
  check([self]);
  return [...sources, self];
}

/** Options every exposition writer takes. */
export interface ExpositionWriterOptions {
  /**
   * Append the SDK's self-metrics after the catalogs: `ttquant_metrics_overflow_records_total`,
   * `ttquant_metrics_dropped_values_total` and, for metrics that declare exemplars,
   * `ttquant_metrics_exemplars_dropped_total`, per metric. Default `true`.
   */
  readonly selfMetrics?: boolean | undefined;
}

/**
 * A writer's constructor arguments checked (from untyped JavaScript too), then what it renders: the
 * sources with the self-metrics appended unless turned off.
 *
 * @param writer - the writer's class name, which starts every error message
 * @param sources - the catalogs
 * @param options - the writer's options
 * @returns the sources to render
 * @throws MetricsOptionError naming the argument at fault
 * @throws MetricDefinitionError when two sources expose the same metric name
 * @internal
 */
export function writerSources(
  writer: string,
  sources: readonly MetricSource[],
  options: ExpositionWriterOptions,
): readonly ReaderSource[] {
  const toError = (problem: OptionProblem) =>
    new MetricsOptionError(problem.option, problem.expected, `${writer}: ${problem.message}`);
  expectSources(sources, 'sources', toError);
  const given = expectObject(options, 'options', toError);
  expectKeys(given, 'options', ['selfMetrics'], toError);
  if (given['selfMetrics'] !== undefined) expectBoolean(given['selfMetrics'], 'options.selfMetrics', toError);
  return exposedSources(sources, options);
}

/**
 * A source whose values live elsewhere and are fetched before each collection: the aggregate
 * catalogs of a cluster's primary, which ask the workers for snapshots.
 *
 * @internal
 */
interface PulledSource {
  readonly '~pull': () => Promise<void>;
}

/**
 * The distinct fetch steps of the sources that have one (one per cluster aggregation, however many
 * catalogs it serves), to await before a collection.
 *
 * @internal
 */
export function pullSteps(sources: readonly object[]): readonly (() => Promise<void>)[] {
  const steps = new Set<() => Promise<void>>();
  for (const source of sources) {
    const pull = (source as Partial<PulledSource>)['~pull'];
    if (typeof pull === 'function') steps.add(pull);
  }
  return [...steps];
}
