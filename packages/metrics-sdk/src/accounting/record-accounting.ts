import { type Catalog, catalog } from '../define/catalog.js';
import { closed } from '../define/labels.js';
import { counter } from '../define/metric.js';
import type { MetricFamily } from '../storage/families.js';
import type { CounterHandle } from '../storage/handles.js';

/** Records folded into a metric's overflow series, per metric (from `family.overflowed`). */
export const OVERFLOW_RECORDS_METRIC = 'ttquant_metrics_overflow_records_total';

/** Values dropped as invalid, per metric (from `family.dropped`). */
export const DROPPED_VALUES_METRIC = 'ttquant_metrics_dropped_values_total';

/**
 * The SDK's own accounting, exposed beside the catalogs so nothing is lost silently: how many
 * records each metric folded into its overflow series, and how many values it dropped as invalid.
 * `metric` is a closed label over the exposed metric names, so each series exists (at 0) from the
 * first scrape and an alert on `increase(...) > 0` sees the first fold.
 *
 * @param sources - the catalogs being exposed
 * @returns a catalog to expose after them, or `undefined` when they hold no metric
 * @internal used by the Prometheus writer, the OTel producer and the prom-client bridge
 */
export function accountingSource(sources: readonly Catalog[]): Catalog | undefined {
  const families = sources.flatMap((source) => source['~families']);
  const overflowing = families.filter((family) => family['~store'].layout.overflowOffset >= 0);
  if (families.length === 0) return undefined;
  const all = families.map((family) => family.name) as [string, ...string[]];
  const defs = {
    dropped: counter(DROPPED_VALUES_METRIC, 'Values dropped as invalid (negative or non-finite), per metric', {
      metric: closed(...all),
    }),
  };
  const withOverflow =
    overflowing.length === 0
      ? defs
      : {
          ...defs,
          overflow: counter(
            OVERFLOW_RECORDS_METRIC,
            'Records folded into the metric\'s otel_metric_overflow="true" series because a label budget was full',
            { metric: closed(...(overflowing.map((family) => family.name) as [string, ...string[]])) },
          ),
        };
  const Accounting = catalog(withOverflow);
  const instance = new Accounting();
  const dropped = families.map((family) => ({ family, handle: instance.dropped.bind({ metric: family.name }) }));
  const folded =
    'overflow' in instance
      ? overflowing.map((family) => ({ family, handle: instance.overflow.bind({ metric: family.name }) }))
      : [];
  // Counters take increments; the families' stats are totals. Add the difference at each
  // collection, so the exported counter equals the stat and never goes back.
  const seenDropped = new Float64Array(dropped.length);
  const seenFolded = new Float64Array(folded.length);
  instance.beforeCollect(() => {
    catchUp(dropped, seenDropped, (family) => family.dropped);
    catchUp(folded, seenFolded, (family) => family.overflowed);
  });
  return instance;
}

function catchUp(
  rows: readonly { family: MetricFamily<unknown>; handle: CounterHandle }[],
  seen: Float64Array,
  read: (family: MetricFamily<unknown>) => number,
): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as { family: MetricFamily<unknown>; handle: CounterHandle };
    const total = read(row.family);
    const delta = total - (seen[i] as number);
    if (delta > 0) row.handle.add(delta);
    seen[i] = total;
  }
}
