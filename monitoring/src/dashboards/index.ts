// The TTQuant Grafana dashboard: builder, generator and query export. Its PromQL is checked by
// `checkDashboardExpression` in ../promql-check.

export type { DashboardConfig, TemplateVariable } from './config.js';
export { defaultDashboardConfig, templateVariables } from './config.js';
export type { PanelQuery, VariableQuery } from './extract-queries.js';
export { dashboardQueries, needsNativeHistograms, queriesOf, variableQueries } from './extract-queries.js';
export {
  GENERATED_DASHBOARD_PATH,
  REGENERATE_DASHBOARD_COMMAND,
  renderDashboardJson,
  writeDashboard,
} from './generate-dashboard.js';
export type { DashboardRow, VariableSpec } from './ttquant.js';
export { buildTtquantDashboard, dashboardRows, NATIVE_LATENCY_ROW, nativeLatencyRow } from './ttquant.js';
export type { VariableValues } from './variables.js';
export { defaultVariableValues, knownVariables, substituteVariables, variablesIn } from './variables.js';
