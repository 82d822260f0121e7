import { formatNumber, type MetricDef, TRADING_CATALOGS, type TradingCatalogInfo } from '@ttquant/metrics';
import { type ExternalMetric, externalMetrics } from '../external-metrics.js';

// What a PromQL expression may name: every series the catalogs expose (a histogram as its _bucket,
// _sum and _count series, and a histogram declared native also under its bare name, the series
// Prometheus stores when it scrapes native histograms), the external exporter metrics we allow, and
// recorded series. Each series carries its labels, with the allowed values of closed labels.

/** What kind of series a name is. */
export type SeriesKind =
  | 'counter'
  | 'gauge'
  | 'histogram_bucket'
  | 'histogram_sum'
  | 'histogram_count'
  /** The bare name of a histogram declared native: its native form, a series of histogram samples. */
  | 'histogram_native'
  | 'recorded';

/** One selectable series name. */
export interface SeriesInfo {
  readonly name: string;
  /** The declared metric the series belongs to: `x` for `x_bucket`, else the name itself. */
  readonly metric: string;
  readonly kind: SeriesKind;
  /** Label name to its allowed values (`null`: open). Includes the scrape's `job` and `instance`. */
  readonly labels: ReadonlyMap<string, readonly string[] | null>;
  /** Where the name comes from, for messages: `GatewayMetrics`, `node-exporter`, `recording rule`. */
  readonly origin: string;
}

/** Every name an expression may select, plus histogram base names (which are not series). */
export interface Vocabulary {
  readonly series: ReadonlyMap<string, SeriesInfo>;
  /**
   * Histogram names without a suffix. Those declared native are also series (kind
   * `histogram_native`); selecting a classic-only one is a mistake the checker explains.
   */
  readonly histograms: ReadonlySet<string>;
}

/** Labels Prometheus attaches to every scraped series. */
export const TARGET_LABELS = ['job', 'instance'] as const;

function withTargetLabels(own: Iterable<[string, readonly string[] | null]>): Map<string, readonly string[] | null> {
  const labels = new Map<string, readonly string[] | null>(TARGET_LABELS.map((label) => [label, null]));
  for (const [label, values] of own) labels.set(label, values);
  return labels;
}

function catalogSeries(def: MetricDef, origin: string): SeriesInfo[] {
  const own = Object.entries(def.labels).map(([label, domain]): [string, readonly string[] | null] => [
    label,
    domain.kind === 'closed' ? domain.values : null,
  ]);
  const metric = def.name;
  if (def.kind !== 'histogram')
    return [{ name: metric, metric, kind: def.kind, labels: withTargetLabels(own), origin }];
  const le = [...def.buckets.map(formatNumber), '+Inf'];
  return [
    {
      name: `${metric}_bucket`,
      metric,
      kind: 'histogram_bucket',
      labels: withTargetLabels([...own, ['le', le]]),
      origin,
    },
    { name: `${metric}_sum`, metric, kind: 'histogram_sum', labels: withTargetLabels(own), origin },
    { name: `${metric}_count`, metric, kind: 'histogram_count', labels: withTargetLabels(own), origin },
    // Only a histogram declared native has a native form for Prometheus to store.
    ...(def.native === undefined
      ? []
      : [{ name: metric, metric, kind: 'histogram_native' as const, labels: withTargetLabels(own), origin }]),
  ];
}

function externalSeries(metric: ExternalMetric): SeriesInfo {
  return {
    name: metric.name,
    metric: metric.name,
    kind: metric.kind,
    labels: withTargetLabels(metric.labels.map((label): [string, null] => [label, null])),
    origin: metric.source,
  };
}

/**
 * The vocabulary of the catalogs and the allowed external metrics.
 *
 * @param external - external metrics to allow; default all of {@link externalMetrics}
 * @param catalogs - the catalogs whose metrics may be named; default the four trading catalogs
 * @returns the series names and their labels
 */
export function catalogVocabulary(
  external: readonly ExternalMetric[] = Object.values(externalMetrics),
  catalogs: readonly TradingCatalogInfo[] = TRADING_CATALOGS,
): Vocabulary {
  const series = new Map<string, SeriesInfo>();
  const histograms = new Set<string>();
  for (const { className, definitions } of catalogs) {
    for (const def of Object.values(definitions)) {
      if (def.kind === 'histogram') histograms.add(def.name);
      for (const info of catalogSeries(def, className)) series.set(info.name, info);
    }
  }
  for (const metric of external) series.set(metric.name, externalSeries(metric));
  return { series, histograms };
}

/**
 * A vocabulary with one more recorded series.
 *
 * @param vocabulary - the vocabulary so far
 * @param name - the recorded name
 * @param labels - the labels the recording expression yields
 * @returns a new vocabulary
 */
export function withRecorded(vocabulary: Vocabulary, name: string, labels: Iterable<string>): Vocabulary {
  const series = new Map(vocabulary.series);
  series.set(name, {
    name,
    metric: name,
    kind: 'recorded',
    labels: new Map([...labels].map((label): [string, null] => [label, null])),
    origin: 'recording rule',
  });
  return { series, histograms: vocabulary.histograms };
}
