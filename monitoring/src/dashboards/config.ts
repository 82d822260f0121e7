import type { ServiceName } from '@ttquant/metrics';
import { monitoringConfig } from '../config.js';

/**
 * What the dashboard needs to know about the deployment: the Grafana datasource and the Prometheus
 * selectors that pick each service's targets. Selectors are configuration, not code, so the same
 * dashboard serves the docker-compose stack, the native stack and a live test with other job names.
 */
export interface DashboardConfig {
  /** Grafana dashboard uid (stable: links and provisioning depend on it). */
  readonly uid: string;
  /** Dashboard title. */
  readonly title: string;
  /** Uid of the Prometheus datasource; must match monitoring/grafana/datasources.yml. */
  readonly datasourceUid: string;
  /** Label matchers, without braces, that select each service's scrape targets. */
  readonly selectors: {
    readonly marketData: string;
    readonly gateway: string;
    readonly strategyEngine: string;
    /** The strategy metrics backtests push to the Pushgateway (kept by honor_labels). */
    readonly backtest: string;
  };
  /** Dashboard auto-refresh interval. */
  readonly refresh: string;
}

const job = (name: string): string => `job="${name}"`;

/**
 * The configuration the committed dashboard is generated with: the job names prometheus.yml is
 * rendered with (monitoring/src/config.ts) and the datasource uid of monitoring/grafana/datasources.yml.
 */
export const defaultDashboardConfig: DashboardConfig = {
  uid: 'ttquant-overview',
  title: 'TTQuant Trading System',
  datasourceUid: 'prometheus',
  selectors: {
    marketData: job(monitoringConfig.jobs.marketData.name),
    gateway: job(monitoringConfig.jobs.gateway.name),
    strategyEngine: job(monitoringConfig.jobs.strategyEngine.name),
    backtest: job(monitoringConfig.backtest.job),
  },
  refresh: '5s',
};

/**
 * The datasource every panel, target and query variable names: the `datasource` template variable,
 * whose default is {@link DashboardConfig.datasourceUid}, so the dashboard can be pointed at another
 * Prometheus (a VictoriaMetrics, a staging server) without editing it.
 */
// Grafana's `${name}` syntax, not a JavaScript template.
export const DATASOURCE_VARIABLE = '$' + '{datasource}';

/** The dashboard's template variables, in the order they appear. */
export const templateVariables = ['exchange', 'symbol', 'strategy', 'run_id'] as const;

/** Name of one of the dashboard's template variables. */
export type TemplateVariable = (typeof templateVariables)[number];

const SELECTOR_OF_SERVICE = {
  'market-data': 'marketData',
  gateway: 'gateway',
  'strategy-engine': 'strategyEngine',
} as const satisfies Record<ServiceName, keyof DashboardConfig['selectors']>;

/**
 * The selector of the service that serves a catalog.
 *
 * @param config - the dashboard configuration
 * @param service - a TTQuant service
 * @returns e.g. `job="gateway"`
 */
export function selectorOf(config: DashboardConfig, service: ServiceName): string {
  return config.selectors[SELECTOR_OF_SERVICE[service]];
}
