import {
  DROPPED_EXEMPLARS_METRIC,
  DROPPED_VALUES_METRIC,
  type MetricDef,
  OVERFLOW_RECORDS_METRIC,
  TRADING_CATALOGS,
  type TradingCatalogInfo,
} from '@ttquant/metrics';
import { DATASOURCE_VARIABLE, type DashboardConfig, selectorOf } from './config.js';
import { prometheusDatasource, timeseriesPanel } from './panels.js';
import { RATE_WINDOW, selectorText } from './query-builders.js';
import type { DashboardRow } from './ttquant.js';

// The SDK's own health: what @ttquant/metrics appends to every service's exposition. Records folded
// into overflow series (a label budget full: new symbols are being lost in one series), values
// dropped as invalid (a NaN price, a negative quantity: a bug upstream of the metric), exemplars
// dropped. One query per service whose catalogs can have the series, so every query has data.

/** The row's title. */
export const SDK_HEALTH_ROW_TITLE = 'Instrumentation';

interface SelfMetricPanel {
  readonly key: string;
  readonly title: string;
  readonly metric: string;
  readonly description: string;
  /** Which metrics of a catalog have a series of this self-metric. */
  readonly has: (def: MetricDef) => boolean;
}

const PANELS: readonly SelfMetricPanel[] = [
  {
    key: 'sdk:overflow',
    title: 'Records folded into overflow series',
    metric: OVERFLOW_RECORDS_METRIC,
    description:
      'Records and binds that found an open label’s budget full and went to the metric’s otel_metric_overflow="true" series, per second. Anything above 0: new label values are no longer told apart; raise the budget or find the source of the values.',
    has: (def) => Object.values(def.labels).some((domain) => domain.kind === 'open'),
  },
  {
    key: 'sdk:dropped-values',
    title: 'Values dropped as invalid',
    metric: DROPPED_VALUES_METRIC,
    description:
      'Values the SDK refused (non-finite, or negative where a metric cannot go down), per second: a bug in what feeds the metric, never stored.',
    has: () => true,
  },
  {
    key: 'sdk:dropped-exemplars',
    title: 'Exemplars dropped',
    metric: DROPPED_EXEMPLARS_METRIC,
    description:
      'Exemplars the SDK refused (labels not declared or not strings, or over 128 characters), per second; their samples were recorded.',
    has: (def) => def.exemplars !== undefined,
  },
];

/**
 * The row of the SDK's self-metrics, one panel per self-metric, one query per service that has
 * its series.
 *
 * @param config - datasource and selectors
 * @param catalogs - the catalogs the services serve
 * @returns the row
 */
export function sdkHealthRow(
  config: DashboardConfig,
  catalogs: readonly TradingCatalogInfo[] = TRADING_CATALOGS,
): DashboardRow {
  const ds = prometheusDatasource(DATASOURCE_VARIABLE);
  const panels = PANELS.flatMap((spec) => {
    const services = [
      ...new Set(catalogs.filter((info) => Object.values(info.definitions).some(spec.has)).map((info) => info.service)),
    ];
    if (services.length === 0) return [];
    const queries = services.map((service) => ({
      expr: `sum by (job, metric) (rate(${selectorText(spec.metric, selectorOf(config, service), [])}[${RATE_WINDOW}]))`,
      legend: '{{job}} {{metric}}',
    }));
    const panel = timeseriesPanel(ds, {
      title: spec.title,
      description: spec.description,
      queries,
      unit: 'cps',
      span: 8,
    });
    return [{ key: spec.key, panel }];
  });
  return { key: 'row:sdk-health', title: SDK_HEALTH_ROW_TITLE, panels };
}
