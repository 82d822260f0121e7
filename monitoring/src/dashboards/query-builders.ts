import type { CounterDef, GaugeDef, HistogramDef, MetricDef } from '@ttquant/metrics';
import { type HistogramQuery, histogramQuantile, nativeQuantile } from '../histogram-queries.js';
import type { TemplateVariable } from './config.js';

// Small typed PromQL builders. Metric names come from the catalog declarations and the label
// arguments are checked against each declaration's labels at compile time, so a renamed metric or
// label breaks the build here before it shows "No data" in Grafana.

/** The label names a declaration exposes. */
export type LabelOf<D extends MetricDef> = Extract<keyof D['labels'], string>;

/** Template variables that are also labels of the metric, usable as `label=~"$label"` filters. */
export type FilterOf<D extends MetricDef> = Extract<LabelOf<D>, TemplateVariable>;

/** Grafana's rate window: at least four scrape intervals, so `rate()` always has two samples. */
export const RATE_WINDOW = '$__rate_interval';

/** The dashboard's time range, for totals over what the user is looking at. */
export const RANGE_WINDOW = '$__range';

/**
 * The matcher of the `instance` variable, beside each service's `job` matcher: the dashboard can
 * narrow every panel to one process (a venue's market data, say) when a job has several.
 */
export const INSTANCE_MATCHER = 'instance=~"$instance"';

/**
 * A vector selector for a metric (or one of a histogram's `_bucket`/`_sum`/`_count` series).
 *
 * @param name - wire name of the series
 * @param base - the service selector from the configuration, e.g. `job="gateway"`
 * @param filters - template variables to filter by, each rendered as `label=~"$label"`
 * @returns the selector text: the service's matcher, then {@link INSTANCE_MATCHER}, then the filters
 */
export function selectorText(name: string, base: string, filters: readonly string[]): string {
  const matchers = [
    base,
    ...(base === '' ? [] : [INSTANCE_MATCHER]),
    ...filters.map((label) => `${label}=~"$${label}"`),
  ];
  return `${name}{${matchers.filter((m) => m !== '').join(', ')}}`;
}

/**
 * A selector for a gauge or counter of the catalog.
 *
 * @param def - the catalog declaration
 * @param base - the service selector
 * @param filters - template variables that are labels of the metric
 * @returns the selector text
 */
export function select<D extends CounterDef | GaugeDef>(
  def: D,
  base: string,
  filters: readonly FilterOf<D>[] = [],
): string {
  return selectorText(def.name, base, filters);
}

function sumBy(labels: readonly string[], inner: string): string {
  return labels.length === 0 ? `sum(${inner})` : `sum by (${labels.join(', ')}) (${inner})`;
}

/**
 * Per-second rate of a counter, summed by the given labels.
 *
 * @param def - the counter declaration
 * @param base - the service selector
 * @param filters - template variables to filter by
 * @param by - labels to keep
 * @returns the expression
 */
export function rateBy<D extends CounterDef>(
  def: D,
  base: string,
  filters: readonly FilterOf<D>[],
  by: readonly LabelOf<D>[],
): string {
  return sumBy(by, `rate(${select(def, base, filters)}[${RATE_WINDOW}])`);
}

/**
 * Increase of a counter over a window, summed by the given labels.
 *
 * @param def - the counter declaration
 * @param base - the service selector
 * @param filters - template variables to filter by
 * @param by - labels to keep
 * @param window - range, default the dashboard's time range
 * @returns the expression
 */
export function increaseBy<D extends CounterDef>(
  def: D,
  base: string,
  filters: readonly FilterOf<D>[],
  by: readonly LabelOf<D>[],
  window: string = RANGE_WINDOW,
): string {
  return sumBy(by, `increase(${select(def, base, filters)}[${window}])`);
}

/**
 * A gauge's value, summed by the given labels (or the raw series when `by` is omitted).
 *
 * @param def - the gauge declaration
 * @param base - the service selector
 * @param filters - template variables to filter by
 * @param by - labels to keep; omitted: the series as exposed
 * @returns the expression
 */
export function gaugeBy<D extends GaugeDef>(
  def: D,
  base: string,
  filters: readonly FilterOf<D>[],
  by?: readonly LabelOf<D>[],
): string {
  const sel = select(def, base, filters);
  return by === undefined ? sel : sumBy(by, sel);
}

const histogramQuery = <D extends HistogramDef>(
  def: D,
  base: string,
  filters: readonly FilterOf<D>[],
  by: readonly LabelOf<D>[],
): HistogramQuery => ({ def, select: (series) => selectorText(series, base, filters), window: RATE_WINDOW, by });

/**
 * A quantile of a histogram over the rate window, from its classic `_bucket` series or its native
 * form, whichever Prometheus holds (see {@link histogramQuantile}).
 *
 * @param q - the quantile, 0 to 1
 * @param def - the histogram declaration
 * @param base - the service selector
 * @param filters - template variables to filter by
 * @param by - labels to keep (besides `le` on the classic side)
 * @returns the expression
 */
export function quantileBy<D extends HistogramDef>(
  q: number,
  def: D,
  base: string,
  filters: readonly FilterOf<D>[],
  by: readonly LabelOf<D>[],
): string {
  return histogramQuantile(q, histogramQuery(def, base, filters, by));
}

/**
 * A quantile of a histogram over the rate window from its native form only: no data unless
 * Prometheus scrapes with native histograms on (see {@link nativeQuantile}).
 *
 * @param q - the quantile, 0 to 1
 * @param def - the histogram declaration, declared native in its catalog
 * @param base - the service selector
 * @param filters - template variables to filter by
 * @param by - labels to keep
 * @returns the expression
 * @throws Error when the catalog does not declare the histogram native
 */
export function nativeQuantileBy<D extends HistogramDef>(
  q: number,
  def: D,
  base: string,
  filters: readonly FilterOf<D>[],
  by: readonly LabelOf<D>[],
): string {
  return nativeQuantile(q, histogramQuery(def, base, filters, by));
}
