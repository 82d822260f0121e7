import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { type DashboardConfig, defaultDashboardConfig, type TemplateVariable } from './config.js';
import { buildTtquantDashboard, NATIVE_LATENCY_ROW, variableSpecs } from './ttquant.js';

/** One PromQL query of one dashboard panel. */
export interface PanelQuery {
  readonly panelId: number;
  readonly panelTitle: string;
  /** The row the panel sits under. */
  readonly rowTitle: string;
  readonly refId: string;
  /** PromQL with Grafana variables (`$exchange`, `$__rate_interval`); see `substituteVariables`. */
  readonly expr: string;
  /** True for instant (table) queries, false for range queries. */
  readonly instant: boolean;
}

/** One template variable's value query: the values of `label` on the series `match` selects. */
export interface VariableQuery {
  readonly name: TemplateVariable;
  readonly label: string;
  readonly match: string;
}

interface PromTarget {
  readonly refId?: string;
  readonly expr?: string;
  readonly instant?: boolean;
}

function isRow(panel: dashboard.Panel | dashboard.RowPanel): panel is dashboard.RowPanel {
  return panel.type === 'row';
}

/**
 * Every panel query of a built dashboard model, in panel order.
 *
 * @param model - a dashboard built by {@link buildTtquantDashboard}
 * @returns the queries
 */
export function queriesOf(model: dashboard.Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  let rowTitle = '';
  for (const panel of model.panels ?? []) {
    if (isRow(panel)) {
      rowTitle = panel.title ?? '';
      continue;
    }
    for (const target of (panel.targets ?? []) as unknown as PromTarget[]) {
      out.push({
        panelId: panel.id ?? -1,
        panelTitle: panel.title ?? '',
        rowTitle,
        refId: target.refId ?? '',
        expr: target.expr ?? '',
        instant: target.instant === true,
      });
    }
  }
  return out;
}

/**
 * Every panel query of the TTQuant dashboard, for tests that run them against a live Prometheus.
 *
 * @param config - selectors and datasource; pass the live stack's job names
 * @returns one entry per panel target
 * @example
 * ```ts
 * for (const q of dashboardQueries()) {
 *   const res = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(substituteVariables(q.expr))}`);
 * }
 * ```
 */
export function dashboardQueries(config: DashboardConfig = defaultDashboardConfig): PanelQuery[] {
  return queriesOf(buildTtquantDashboard(config));
}

/**
 * Whether a panel query can only return data where Prometheus scrapes native histograms: it sits in
 * the row drawn from native histograms alone. Every other query answers either way.
 *
 * @param query - a panel query from {@link dashboardQueries}
 * @returns true for the native latency row's queries
 */
export function needsNativeHistograms(query: PanelQuery): boolean {
  return query.rowTitle === NATIVE_LATENCY_ROW.title;
}

/**
 * The template variables' value queries, as a `/api/v1/label/<label>/values?match[]=<match>` call
 * would run them. `match` may contain `$exchange` (symbol follows the chosen exchanges).
 *
 * @param config - selectors
 * @returns one entry per variable
 */
export function variableQueries(config: DashboardConfig = defaultDashboardConfig): VariableQuery[] {
  return variableSpecs(config).map((v) => ({ name: v.name, label: v.name, match: v.match }));
}
