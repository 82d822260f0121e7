import { TRADING_CATALOGS, type TradingCatalogInfo } from '@ttquant/metrics';
import { monitoringConfig } from '../config.js';
import { defaultVariableValues, knownVariables, substituteVariables, variablesIn } from '../dashboards/variables.js';
import { externalMetrics } from '../external-metrics.js';
import { type CheckResult, checkExpression, type PromqlIssue } from './check.js';
import { catalogVocabulary, type Vocabulary } from './vocabulary.js';

// Dashboard expressions carry Grafana variables (`$exchange`, `[$__rate_interval]`), which are not
// PromQL: check that each is defined, substitute them as Grafana would, then run the one checker.

/** Result of {@link checkDashboardExpression}. */
export interface DashboardCheckResult extends CheckResult {
  /** Declared metrics the expression selects (`x` for `x_bucket`), sorted. */
  readonly metrics: readonly string[];
}

/** Options of {@link checkDashboardExpression}. */
export interface DashboardCheckOptions {
  /** What the expression may name; default {@link dashboardVocabulary}(). */
  readonly vocabulary?: Vocabulary;
  /** Variable names the expression may reference; default the dashboard's. */
  readonly variables?: ReadonlySet<string>;
}

/**
 * What a dashboard may select: the catalogs, the scrape health series `up` and the SDK's self-metrics;
 * no exporter metrics. The strategy metrics also carry the backtest's run label: backtests push
 * them to the Pushgateway, one group per run, and the dashboard sets runs next to live trading.
 *
 * @param catalogs - the catalogs charted; default the four trading catalogs
 * @returns the vocabulary
 */
export function dashboardVocabulary(catalogs: readonly TradingCatalogInfo[] = TRADING_CATALOGS): Vocabulary {
  const { up, overflowRecords, droppedValues, exemplarsDropped } = externalMetrics;
  const vocabulary = catalogVocabulary([up, overflowRecords, droppedValues, exemplarsDropped], catalogs);
  const series = new Map(vocabulary.series);
  for (const [name, info] of series) {
    if (info.origin !== 'StrategyMetrics') continue;
    series.set(name, { ...info, labels: new Map([...info.labels, [monitoringConfig.backtest.runLabel, null]]) });
  }
  return { series, histograms: vocabulary.histograms };
}

/**
 * Checks one dashboard expression: its variables must be defined, and the PromQL after substitution
 * must pass {@link checkExpression}. Offsets of variable issues point into `expr`; the others into
 * the substituted text.
 *
 * @param expr - the expression as a panel or variable holds it
 * @param options - vocabulary and allowed variables
 * @returns the issues (empty when clean), the selected series and metrics, and the result labels
 * @example
 * ```ts
 * checkDashboardExpression('sum(rate(orders_total{exchange=~"$venue"}[5m]))').issues;
 * // [{ at: 32, message: 'variable $venue is not defined' }]
 * ```
 */
export function checkDashboardExpression(expr: string, options: DashboardCheckOptions = {}): DashboardCheckResult {
  const vocabulary = options.vocabulary ?? dashboardVocabulary();
  const allowed = options.variables ?? knownVariables;
  const issues: PromqlIssue[] = [];
  // Unknown variables get a harmless stand-in so the rest of the expression is still checked.
  const stand: Record<string, string> = { ...defaultVariableValues };
  for (const name of new Set(variablesIn(expr))) {
    if (allowed.has(name)) continue;
    stand[name] = '.*';
    // A variable name is `\w+`, so it needs no escaping in the pattern.
    issues.push({ at: expr.search(new RegExp(`\\$\\{?${name}\\b`)), message: `variable $${name} is not defined` });
  }
  const result = checkExpression(substituteVariables(expr, stand), vocabulary);
  const metrics = new Set([...result.selected].flatMap((name) => vocabulary.series.get(name)?.metric ?? []));
  return { ...result, issues: [...issues, ...result.issues], metrics: [...metrics].sort() };
}
