import type { HistogramDef } from '@ttquant/metrics';

// PromQL over a catalog histogram that gives the same answer however Prometheus scrapes it. A
// Prometheus without native histograms stores the classic `x_bucket`, `x_count` and `x_sum` series.
// Prometheus 2.42 with `--enable-feature=native-histograms` stores only the native form of a
// histogram that has both, under the bare name `x`, and the classic series do not exist. Each
// builder therefore writes `classic or native`: exactly one side has data on a given Prometheus, both
// sides keep the same labels (so `or` never lets both through for one label set), and while a
// server switches over the classic side wins. Histograms the catalog does not declare native only
// get the classic side.

/** How a histogram is read: which histogram, its selector, the range and the labels kept. */
export interface HistogramQuery {
  readonly def: HistogramDef;
  /**
   * The selector of one of the histogram's series, from its wire name: `x_bucket`, `x_count`,
   * `x_sum`, or the bare `x` of the native form (e.g. `name => \`${name}{job="gateway"}\``).
   */
  readonly select: (series: string) => string;
  /** Range of `rate`, e.g. `1m` or `$__rate_interval`. */
  readonly window: string;
  /** Labels kept by the aggregation (besides `le` on the classic side). */
  readonly by: readonly string[];
}

/**
 * Whether Prometheus may hold this histogram in its native form: the catalog declares it with native
 * resolution (the one source of truth; nothing here lists histograms by name).
 *
 * @param def - the catalog declaration
 * @returns true when `def.native` is set
 */
export function isNativeHistogram(def: HistogramDef): boolean {
  return def.native !== undefined;
}

function sumBy(labels: readonly string[], inner: string): string {
  return labels.length === 0 ? `sum(${inner})` : `sum by (${labels.join(', ')}) (${inner})`;
}

const rateOf = (query: HistogramQuery, series: string): string => `rate(${query.select(series)}[${query.window}])`;

/** `classic or native` when the histogram is declared native, else the classic form alone. */
function eitherWay(def: HistogramDef, classic: string, native: () => string): string {
  return isNativeHistogram(def) ? `${classic} or ${native()}` : classic;
}

/**
 * A quantile from the native form alone: data only where Prometheus scrapes native histograms.
 *
 * @param q - the quantile, 0 to 1
 * @param query - histogram, selector, window and labels kept
 * @returns `histogram_quantile(q, sum by (...) (rate(x[w])))`
 * @throws Error when the catalog does not declare the histogram native (the query could never answer)
 */
export function nativeQuantile(q: number, query: HistogramQuery): string {
  if (!isNativeHistogram(query.def)) {
    throw new Error(`${query.def.name} is not declared with native resolution: it has no native form to query`);
  }
  return `histogram_quantile(${q}, ${sumBy(query.by, rateOf(query, query.def.name))})`;
}

/**
 * A quantile over the window, from the classic buckets or the native form, whichever Prometheus holds.
 *
 * @param q - the quantile, 0 to 1
 * @param query - histogram, selector, window and labels kept
 * @returns the expression; labels: `query.by`
 * @example
 * ```ts
 * histogramQuantile(0.99, { def: gw.orderLatency, select: (s) => `${s}{job="gateway"}`, window: '1m', by: ['exchange'] });
 * // 'histogram_quantile(0.99, sum by (exchange, le) (rate(order_processing_latency_ms_bucket{job="gateway"}[1m])))
 * //  or histogram_quantile(0.99, sum by (exchange) (rate(order_processing_latency_ms{job="gateway"}[1m])))'
 * ```
 */
export function histogramQuantile(q: number, query: HistogramQuery): string {
  const classic = `histogram_quantile(${q}, ${sumBy([...query.by, 'le'], rateOf(query, `${query.def.name}_bucket`))})`;
  return eitherWay(query.def, classic, () => nativeQuantile(q, query));
}

/**
 * Observations per second over the window (the rate of the histogram's count), either way.
 *
 * @param query - histogram, selector, window and labels kept
 * @returns `sum by (...) (rate(x_count[w])) or sum by (...) (histogram_count(rate(x[w])))`
 */
export function histogramCountRate(query: HistogramQuery): string {
  const { def, by } = query;
  return eitherWay(def, sumBy(by, rateOf(query, `${def.name}_count`)), () =>
    sumBy(by, `histogram_count(${rateOf(query, def.name)})`),
  );
}

/**
 * The per-second rate of the histogram's sum of observations over the window, either way.
 *
 * @param query - histogram, selector, window and labels kept
 * @returns `sum by (...) (rate(x_sum[w])) or sum by (...) (histogram_sum(rate(x[w])))`
 */
export function histogramSumRate(query: HistogramQuery): string {
  const { def, by } = query;
  return eitherWay(def, sumBy(by, rateOf(query, `${def.name}_sum`)), () =>
    sumBy(by, `histogram_sum(${rateOf(query, def.name)})`),
  );
}
