import type { Catalog } from '../define/catalog.js';
import { type DefinitionIssue, MetricDefinitionError } from '../define/errors.js';
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
