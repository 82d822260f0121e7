import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  type CounterDef,
  DROPPED_VALUES_METRIC,
  engineDefinitions,
  type GaugeDef,
  gatewayDefinitions,
  type HistogramDef,
  type MetricDef,
  marketDataDefinitions,
  strategyDefinitions,
  TRADING_CATALOGS,
  type TradingCatalogInfo,
} from '@ttquant/metrics';
import { monitoringConfig } from '../config.js';
import { isNativeHistogram } from '../histogram-queries.js';
import {
  DATASOURCE_VARIABLE,
  type DashboardConfig,
  defaultDashboardConfig,
  selectorOf,
  type TemplateVariable,
  templateVariables,
} from './config.js';
import { assignPanelIds } from './panel-ids.js';
import {
  type AnyPanelBuilder,
  gaugePanel,
  prometheusDatasource,
  statPanel,
  type ThresholdStep,
  tablePanel,
  timeseriesPanel,
} from './panels.js';
import {
  type FilterOf,
  gaugeBy,
  INSTANCE_MATCHER,
  increaseBy,
  type LabelOf,
  nativeQuantileBy,
  quantileBy,
  RATE_WINDOW,
  rateBy,
  selectorText,
} from './query-builders.js';
import { sdkHealthRow } from './sdk-health-row.js';

// The TTQuant overview dashboard: the original system's four areas as rows
// (docs/origin.md). Every metric name comes from a
// catalog declaration; every selector from the configuration.

const md = marketDataDefinitions;
const gw = gatewayDefinitions;
const st = strategyDefinitions;
const en = engineDefinitions;

/**
 * A panel and its key. The key names the panel for good (a metric name, or a short slug for a
 * panel that combines several) and gives it its id, so ids survive panels being added or moved.
 */
export interface DashboardPanel {
  readonly key: string;
  readonly panel: AnyPanelBuilder;
}

/** A titled row and the panels under it. */
export interface DashboardRow {
  /** Stable key of the row itself, `row:<slug>`. */
  readonly key: string;
  readonly title: string;
  readonly panels: readonly DashboardPanel[];
}

const keyed = (key: string, panel: AnyPanelBuilder): DashboardPanel => ({ key, panel });

const thresholds = monitoringConfig.thresholds;
const QUANTILES = Object.entries(monitoringConfig.latencyQuantiles);
/** `p50 / p95 / p99`: the quantiles a latency panel draws, for its title. */
const QUANTILE_NAMES = Object.keys(monitoringConfig.latencyQuantiles).join(' / ');

/** A legend naming each series by the labels it keeps: `{{exchange}} {{symbol}}`. */
const legendOf = (labels: readonly string[]): string => labels.map((label) => `{{${label}}}`).join(' ');

/** Dashed lines at an alert's warning and critical levels: green below, orange, then red. */
const alertLines = (level: { readonly warning: number; readonly critical: number }): ThresholdStep[] => [
  { color: 'green', from: null },
  { color: 'orange', from: level.warning },
  { color: 'red', from: level.critical },
];

/**
 * Time series panels of one catalog metric of one service, described by the metric's HELP text, one
 * line per series named by its labels.
 *
 * @param ds - the datasource reference
 * @param sel - the service selector
 * @returns `rate`: a counter's per-second rate summed by `by`; `total`: a counter's increase over the
 *   dashboard's time range as a stat; `gauge`: a gauge's series as exposed; `quantiles`: one line per
 *   quantile of a histogram and `by` combination, each keyed by the metric's name
 */
function metricPanels(ds: dashboard.DataSourceRef, sel: string) {
  return {
    rate: <D extends CounterDef>(
      title: string,
      def: D,
      filters: readonly FilterOf<D>[],
      by: readonly LabelOf<D>[],
      unit: string,
      span: number,
    ) =>
      keyed(
        def.name,
        timeseriesPanel(ds, {
          title,
          description: def.help,
          queries: [{ expr: rateBy(def, sel, filters, by), legend: legendOf(by) }],
          unit,
          span,
        }),
      ),
    total: <D extends CounterDef>(
      title: string,
      def: D,
      filters: readonly FilterOf<D>[],
      by: readonly LabelOf<D>[],
      unit: string,
      span: number,
    ) =>
      keyed(
        def.name,
        statPanel(ds, {
          title,
          description: `${def.help} Total over the dashboard's time range.`,
          queries: [{ expr: increaseBy(def, sel, filters, by), legend: legendOf(by) }],
          unit,
          span,
        }),
      ),
    gauge: <D extends GaugeDef>(
      title: string,
      def: D,
      filters: readonly FilterOf<D>[],
      unit: string,
      span: number,
      thresholdLines?: readonly ThresholdStep[],
    ) =>
      keyed(
        def.name,
        timeseriesPanel(
          ds,
          {
            title,
            description: def.help,
            queries: [{ expr: gaugeBy(def, sel, filters), legend: legendOf(filters) }],
            unit,
            span,
          },
          thresholdLines === undefined ? {} : { thresholdLines },
        ),
      ),
    quantiles: <D extends HistogramDef>(
      title: string,
      def: D,
      filters: readonly FilterOf<D>[],
      by: readonly LabelOf<D>[],
      span: number,
      thresholdLines?: readonly ThresholdStep[],
    ) =>
      keyed(
        def.name,
        timeseriesPanel(
          ds,
          {
            title: `${title} ${QUANTILE_NAMES}`,
            description: def.help,
            queries: QUANTILES.map(([name, q]) => ({
              expr: quantileBy(q, def, sel, filters, by),
              legend: `${name} ${legendOf(by)}`,
              exemplars: def.exemplars !== undefined,
            })),
            unit: 'ms',
            span,
          },
          thresholdLines === undefined ? {} : { thresholdLines },
        ),
      ),
  };
}

/** The per-strategy USD gauges shown in pairs. */
type StrategyGauge = typeof st.realizedPnl | typeof st.unrealizedPnl | typeof st.avgProfit | typeof st.avgLoss;

/**
 * One time series panel of two per-strategy USD gauges read side by side (realized and unrealized
 * PnL, average profit and loss), each line named by strategy and a suffix.
 */
function strategyGaugePair(ds: dashboard.DataSourceRef, sel: string) {
  return (
    key: string,
    title: string,
    first: readonly [StrategyGauge, string],
    second: readonly [StrategyGauge, string],
    span: number,
  ): DashboardPanel =>
    keyed(
      key,
      timeseriesPanel(ds, {
        title,
        description: `${first[0].help} ${second[0].help}`,
        queries: [first, second].map(([def, suffix]) => ({
          expr: gaugeBy(def, sel, ['strategy']),
          legend: `{{strategy}} ${suffix}`,
        })),
        unit: 'currencyUSD',
        span,
      }),
    );
}

/** Red below `green`, green from it: for 0/1 status gauges. */
const redGreen = (green: number): ThresholdStep[] => [
  { color: 'red', from: null },
  { color: 'green', from: green },
];

/** Red below `orange`, orange up to `green`, green from it. */
const redOrangeGreen = (orange: number, green: number): ThresholdStep[] => [
  { color: 'red', from: null },
  { color: 'orange', from: orange },
  { color: 'green', from: green },
];

const upDown = [
  { value: 0, text: 'DOWN', color: 'red' },
  { value: 1, text: 'UP', color: 'green' },
];

/**
 * System overview: is each service scraped, how many strategies run, since when.
 *
 * @param config - datasource and selectors
 * @returns the row
 */
export function systemOverviewRow(config: DashboardConfig): DashboardRow {
  const ds = prometheusDatasource(DATASOURCE_VARIABLE);
  const s = config.selectors;
  const status = (title: string, selector: string) =>
    statPanel(
      ds,
      {
        title,
        description: `Prometheus scrape of the service's /metrics (up{${selector}}): UP when the last scrape succeeded.`,
        queries: [{ expr: `up{${selector}, ${INSTANCE_MATCHER}}`, legend: '{{instance}}' }],
        // A status shown as UP / DOWN: no unit, said so (the linter wants every panel's unit chosen).
        unit: 'none',
        span: 5,
        height: 5,
      },
      {
        valueTexts: upDown,
        background: true,
        thresholds: redGreen(1),
      },
    );
  return {
    key: 'row:system-overview',
    title: 'System Overview',
    panels: [
      keyed('up:market-data', status('Market data service', s.marketData)),
      keyed('up:gateway', status('Order gateway', s.gateway)),
      keyed('up:strategy-engine', status('Strategy engine', s.strategyEngine)),
      keyed(
        'engine_active_strategies',
        statPanel(
          ds,
          {
            title: 'Active strategies',
            description: en.activeStrategies.help,
            queries: [{ expr: gaugeBy(en.activeStrategies, s.strategyEngine, []), legend: 'strategies' }],
            unit: 'none',
            span: 5,
            height: 5,
          },
          { sparkline: true },
        ),
      ),
      keyed(
        'engine_uptime_seconds',
        statPanel(ds, {
          title: 'Engine uptime',
          description: en.uptime.help,
          queries: [{ expr: gaugeBy(en.uptime, s.strategyEngine, []), legend: 'uptime' }],
          unit: 's',
          span: 4,
          height: 5,
        }),
      ),
    ],
  };
}

/**
 * Market data: feed throughput, latency, connection health, persistence and the bus.
 *
 * @param config - datasource and selectors
 * @returns the row
 */
export function marketDataRow(config: DashboardConfig): DashboardRow {
  const ds = prometheusDatasource(DATASOURCE_VARIABLE);
  const sel = config.selectors.marketData;
  const { rate, quantiles } = metricPanels(ds, sel);
  return {
    key: 'row:market-data',
    title: 'Market Data',
    panels: [
      rate('Market data receive rate', md.received, ['exchange', 'symbol'], ['exchange', 'symbol'], 'mps', 12),
      quantiles(
        'Market data latency',
        md.latency,
        ['exchange'],
        ['exchange'],
        12,
        alertLines(thresholds.marketDataLatencyMs),
      ),
      keyed(
        'ws_connection_status',
        statPanel(
          ds,
          {
            title: 'WebSocket connection status',
            description: md.connectionStatus.help,
            queries: [{ expr: gaugeBy(md.connectionStatus, sel, ['exchange']), legend: '{{exchange}}' }],
            unit: 'none',
            span: 6,
          },
          {
            valueTexts: [
              { value: 0, text: 'Disconnected', color: 'red' },
              { value: 1, text: 'Connected', color: 'green' },
            ],
            background: true,
            thresholds: redGreen(1),
          },
        ),
      ),
      keyed(
        'ws_reconnect_total',
        timeseriesPanel(ds, {
          title: 'WebSocket reconnects',
          description: `${md.reconnects.help} Count per rate window.`,
          queries: [
            { expr: increaseBy(md.reconnects, sel, ['exchange'], ['exchange'], RATE_WINDOW), legend: '{{exchange}}' },
          ],
          unit: 'short',
          span: 6,
        }),
      ),
      rate('Parse errors by reason', md.parseErrors, ['exchange'], ['exchange', 'reason'], 'cps', 6),
      rate('ZeroMQ published', md.zmqPublished, ['exchange'], ['exchange', 'type'], 'mps', 6),
      rate('Database writes', md.dbWrites, ['exchange'], ['exchange', 'table'], 'wps', 12),
      rate('Database write errors', md.dbWriteErrors, ['exchange'], ['exchange', 'reason'], 'cps', 12),
      keyed(
        'market_last_price',
        tablePanel(
          ds,
          {
            title: 'Last price',
            description: md.lastPrice.help,
            queries: [{ expr: gaugeBy(md.lastPrice, sel, ['exchange', 'symbol']) }],
            // In each symbol's quote currency, which differs between symbols.
            unit: 'none',
            span: 12,
          },
          'Last price',
        ),
      ),
      keyed(
        'market_volume_24h',
        tablePanel(
          ds,
          {
            title: '24h volume',
            description: md.volume24h.help,
            queries: [{ expr: gaugeBy(md.volume24h, sel, ['exchange', 'symbol']) }],
            // In each symbol's base asset.
            unit: 'none',
            span: 12,
          },
          '24h volume',
        ),
      ),
    ],
  };
}

/**
 * Trading: order flow, latency, outcomes, fills, costs and risk, from the order gateway.
 *
 * @param config - datasource and selectors
 * @returns the row
 */
export function tradingRow(config: DashboardConfig): DashboardRow {
  const ds = prometheusDatasource(DATASOURCE_VARIABLE);
  const sel = config.selectors.gateway;
  const { rate, total, gauge, quantiles } = metricPanels(ds, sel);
  return {
    key: 'row:trading',
    title: 'Trading',
    panels: [
      rate('Order rate', gw.orders, ['exchange', 'symbol'], ['exchange', 'side', 'type'], 'ops', 8),
      quantiles('Order latency', gw.orderLatency, ['exchange'], ['exchange'], 8, alertLines(thresholds.orderLatencyMs)),
      keyed(
        'order-success-rate',
        gaugePanel(
          ds,
          {
            title: 'Order success rate',
            description: `Orders acknowledged by the exchange over orders submitted, in the dashboard's time range. ${gw.ordersSuccess.help}`,
            queries: [
              {
                expr: `${increaseBy(gw.ordersSuccess, sel, ['exchange', 'symbol'], [])} / ${increaseBy(gw.orders, sel, ['exchange', 'symbol'], [])}`,
                legend: 'success rate',
              },
            ],
            unit: 'percentunit',
            span: 8,
          },
          {
            min: 0,
            max: 1,
            // The failure-ratio alerts turned into success: red where the critical one fires, orange
            // where the warning does.
            thresholds: redOrangeGreen(
              1 - thresholds.orderFailureRatio.critical,
              1 - thresholds.orderFailureRatio.warning,
            ),
          },
        ),
      ),
      rate('Order failures by reason', gw.ordersFailed, ['exchange'], ['exchange', 'reason'], 'ops', 8),
      rate('Risk rejections by rule', gw.ordersRiskRejected, ['exchange'], ['exchange', 'rule'], 'ops', 8),
      rate('Trades', gw.trades, ['exchange', 'symbol'], ['exchange', 'symbol', 'side'], 'cps', 8),
      total('Trade volume', gw.tradeVolume, ['exchange', 'symbol'], ['exchange'], 'currencyUSD', 6),
      total('Commission paid', gw.commission, ['exchange', 'symbol'], ['exchange'], 'currencyUSD', 6),
      gauge('Current position', gw.position, ['exchange', 'symbol'], 'short', 12),
      rate('API rate-limit hits', gw.rateLimitHits, ['exchange'], ['exchange', 'endpoint'], 'cps', 8),
      rate('Order retries', gw.orderRetries, ['exchange'], ['exchange', 'reason'], 'ops', 8),
      keyed(
        'active_orders',
        timeseriesPanel(ds, {
          title: 'Active orders',
          description: gw.activeOrders.help,
          queries: [
            {
              expr: gaugeBy(gw.activeOrders, sel, ['exchange', 'symbol'], ['exchange', 'symbol']),
              legend: '{{exchange}} {{symbol}}',
            },
          ],
          unit: 'short',
          span: 8,
        }),
      ),
      gauge('Risk exposure', gw.riskExposure, ['exchange'], 'currencyUSD', 12),
      keyed(
        'max_drawdown_usd',
        statPanel(
          ds,
          {
            title: 'Account max drawdown',
            description: gw.maxDrawdown.help,
            queries: [{ expr: gaugeBy(gw.maxDrawdown, sel, ['exchange']), legend: '{{exchange}}' }],
            unit: 'currencyUSD',
            span: 12,
          },
          { sparkline: true },
        ),
      ),
    ],
  };
}

/**
 * Strategy performance: PnL, win rate, positions, trade outcomes, risk-adjusted return, and the
 * engine's own throughput and decision latency.
 *
 * @param config - datasource and selectors
 * @returns the row
 */
export function strategyRow(config: DashboardConfig): DashboardRow {
  const ds = prometheusDatasource(DATASOURCE_VARIABLE);
  const sel = config.selectors.strategyEngine;
  const { rate, gauge, quantiles } = metricPanels(ds, sel);
  const gauges = strategyGaugePair(ds, sel);
  return {
    key: 'row:strategy-performance',
    title: 'Strategy Performance',
    panels: [
      gauge('Strategy PnL', st.pnl, ['strategy'], 'currencyUSD', 12, [
        // The loss alerts: critical below minus the critical loss, warning below minus the warning one.
        { color: 'red', from: null },
        { color: 'orange', from: -thresholds.strategyLossUsd.critical },
        { color: 'green', from: -thresholds.strategyLossUsd.warning },
      ]),
      gauges(
        'realized-unrealized-pnl',
        'Realized / unrealized PnL',
        [st.realizedPnl, 'realized'],
        [st.unrealizedPnl, 'unrealized'],
        12,
      ),
      keyed(
        'strategy_win_rate',
        gaugePanel(
          ds,
          {
            title: 'Win rate',
            description: st.winRate.help,
            queries: [{ expr: gaugeBy(st.winRate, sel, ['strategy']), legend: '{{strategy}}' }],
            unit: 'percentunit',
            span: 8,
          },
          {
            min: 0,
            max: 1,
            // Red where LowWinRate fires.
            thresholds: redGreen(thresholds.winRate),
          },
        ),
      ),
      gauge('Position size', st.positionSize, ['strategy', 'symbol'], 'short', 8),
      gauge('Position value', st.positionValue, ['strategy', 'symbol'], 'currencyUSD', 8),
      rate('Strategy trades', st.trades, ['strategy'], ['strategy', 'side'], 'cps', 8),
      keyed(
        'winning-losing-trades',
        statPanel(ds, {
          title: 'Winning / losing trades',
          description: `${st.winningTrades.help} ${st.losingTrades.help} Counts over the dashboard's time range.`,
          queries: [
            { expr: increaseBy(st.winningTrades, sel, ['strategy'], ['strategy']), legend: '{{strategy}} won' },
            { expr: increaseBy(st.losingTrades, sel, ['strategy'], ['strategy']), legend: '{{strategy}} lost' },
          ],
          unit: 'short',
          span: 8,
        }),
      ),
      gauges(
        'average-profit-loss',
        'Average profit / loss per trade',
        [st.avgProfit, 'avg profit'],
        [st.avgLoss, 'avg loss'],
        8,
      ),
      gauge('Strategy max drawdown', st.maxDrawdown, ['strategy'], 'currencyUSD', 12),
      keyed(
        'strategy_sharpe_ratio',
        statPanel(
          ds,
          {
            title: 'Sharpe ratio',
            description: st.sharpe.help,
            queries: [{ expr: gaugeBy(st.sharpe, sel, ['strategy']), legend: '{{strategy}}' }],
            unit: 'none',
            span: 12,
          },
          {
            // The gauge is NaN until the strategy has enough return samples.
            nanText: 'too few samples',
            // Not an alert: the usual reading of a Sharpe ratio (below 0 loses, above 1 is good).
            thresholds: redOrangeGreen(0, 1),
          },
        ),
      ),
      rate('Engine market data rate', en.marketDataReceived, ['exchange'], ['exchange', 'type'], 'mps', 8),
      rate(
        'Orders sent by the engine',
        en.ordersSent,
        ['strategy', 'exchange'],
        ['strategy', 'exchange', 'side'],
        'ops',
        8,
      ),
      rate(
        'Fills received by the engine',
        en.tradesReceived,
        ['strategy', 'exchange'],
        ['strategy', 'exchange'],
        'cps',
        8,
      ),
      quantiles('Strategy decision latency', en.strategyLatency, ['strategy'], ['strategy'], 24),
    ],
  };
}

const RUN = monitoringConfig.backtest.runLabel;

/**
 * Backtest vs live: the strategy metrics of the backtest runs picked in `$run_id` (pushed to the
 * Pushgateway, job `backtest`, one group per run) next to the live strategy engine's, per strategy.
 * Pushed series carry no `instance` (honor_labels keeps the gateway's empty one): with Instance on
 * "All" they show; picking one process hides them.
 *
 * @param config - datasource and selectors
 * @returns the row
 */
export function backtestRow(config: DashboardConfig): DashboardRow {
  const ds = prometheusDatasource(DATASOURCE_VARIABLE);
  const live = config.selectors.strategyEngine;
  const backtest = config.selectors.backtest;
  const note =
    'Solid: live (strategy engine); one line per backtest run picked in "Backtest run" (run_id), pushed ' +
    'by `npm run backtest`. A backtest replays stored ticks in market time, so its lines jump to the ' +
    'final values at the push; compare levels, not timing. Pushed series have no instance: keep Instance on All.';
  const versus = (def: GaugeDef, title: string, unit: string): DashboardPanel =>
    keyed(
      `backtest-vs-live:${def.name}`,
      timeseriesPanel(ds, {
        title,
        description: `${def.help} ${note}`,
        queries: [
          { expr: `sum by (strategy) (${selectorText(def.name, live, ['strategy'])})`, legend: '{{strategy}} live' },
          {
            expr: `sum by (strategy, ${RUN}) (${selectorText(def.name, backtest, ['strategy', RUN])})`,
            legend: `{{strategy}} backtest {{${RUN}}}`,
          },
        ],
        unit,
        span: 12,
      }),
    );
  return {
    key: 'row:backtest-vs-live',
    title: 'Backtest vs live',
    panels: [
      versus(st.pnl, 'Strategy PnL: backtest vs live', 'currencyUSD'),
      versus(st.maxDrawdown, 'Max drawdown: backtest vs live', 'currencyUSD'),
      versus(st.realizedPnl, 'Realized PnL: backtest vs live', 'currencyUSD'),
      keyed(
        'backtest-runs',
        tablePanel(
          ds,
          {
            title: 'Backtest runs: PnL per strategy',
            description: `${st.pnl.help} The last value each backtest run picked in "Backtest run" pushed, per strategy.`,
            queries: [
              { expr: `sum by (${RUN}, strategy) (${selectorText(st.pnl.name, backtest, ['strategy', RUN])})` },
            ],
            unit: 'currencyUSD',
            span: 12,
          },
          'PnL',
        ),
      ),
    ],
  };
}

/** Stable key and title of the row drawn from native histograms only. */
export const NATIVE_LATENCY_ROW = {
  key: 'row:latency-native-histograms',
  title: 'Latency (native histograms)',
} as const;

const NATIVE_QUANTILES = Object.entries(monitoringConfig.nativeLatencyQuantiles);

/**
 * Latency from native histograms: for each histogram a catalog declares native, its quantiles from
 * the monitoring config's `nativeLatencyQuantiles`, read from the native form alone. The panels have
 * data only where Prometheus scrapes with `--enable-feature=native-histograms` (then the classic
 * `_bucket` series of these histograms do not exist, and the other rows read the native form too).
 *
 * @param config - datasource and selectors
 * @param catalogs - the catalogs whose native histograms are drawn; default the four trading catalogs
 * @returns the row (no panels when no histogram is declared native)
 */
export function nativeLatencyRow(
  config: DashboardConfig,
  catalogs: readonly TradingCatalogInfo[] = TRADING_CATALOGS,
): DashboardRow {
  const ds = prometheusDatasource(DATASOURCE_VARIABLE);
  const panels = catalogs.flatMap((info) =>
    Object.values(info.definitions)
      .filter((def): def is HistogramDef => def.kind === 'histogram' && isNativeHistogram(def as HistogramDef))
      .map((def) => {
        const sel = selectorOf(config, info.service);
        const by = filtersOf(def) as never[];
        return keyed(
          `native:${def.name}`,
          timeseriesPanel(ds, {
            title: `${def.name} ${Object.keys(monitoringConfig.nativeLatencyQuantiles).join(' / ')} (native)`,
            description: `${def.help} From the native histogram: no data unless Prometheus scrapes with native histograms on.`,
            queries: NATIVE_QUANTILES.map(([name, q]) => ({
              expr: nativeQuantileBy(q, def, sel, by, by),
              legend: `${name} ${legendOf(by)}`,
              exemplars: def.exemplars !== undefined,
            })),
            unit: grafanaUnit(def),
            span: 8,
          }),
        );
      }),
  );
  return { ...NATIVE_LATENCY_ROW, panels };
}

/** A template variable: its name, and the catalog series whose label values it lists. */
export interface VariableSpec {
  readonly name: TemplateVariable;
  readonly label: string;
  /** `label_values` selector; may reference earlier variables (symbol follows exchange). */
  readonly match: string;
}

/**
 * The template variables: exchange and symbol from the market-data feed, strategy from the engine.
 * Multi-select with "All", which matches every value (`.*`), including ones that appear later.
 *
 * @param config - datasource and selectors
 * @returns the variable specs, in display order
 */
export function variableSpecs(config: DashboardConfig): readonly VariableSpec[] {
  const s = config.selectors;
  return [
    { name: 'exchange', label: 'Exchange', match: selectorText(md.received.name, s.marketData, []) },
    { name: 'symbol', label: 'Symbol', match: selectorText(md.received.name, s.marketData, ['exchange']) },
    { name: 'strategy', label: 'Strategy', match: selectorText(st.pnl.name, s.strategyEngine, []) },
    { name: RUN, label: 'Backtest run', match: selectorText(st.pnl.name, s.backtest, []) },
  ];
}

/** The Prometheus datasource to read from, the provisioned one by default. */
function datasourceVariable(config: DashboardConfig): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource')
    .label('Data source')
    .type('prometheus')
    .current({ selected: true, text: config.datasourceUid, value: config.datasourceUid });
}

/**
 * The processes that serve the SDK, to narrow every panel to some of them (a venue's market-data
 * process where each venue has its own): the self-metric every one of them exposes lists them.
 */
function instanceVariable(): dashboard.QueryVariableBuilder {
  return labelValuesVariable('instance', 'Instance', DROPPED_VALUES_METRIC);
}

function queryVariable(spec: VariableSpec): dashboard.QueryVariableBuilder {
  return labelValuesVariable(spec.name, spec.label, spec.match);
}

/** A multi-value variable with "All" (`.*`), listing the values of label `name` on `match`. */
function labelValuesVariable(name: string, label: string, match: string): dashboard.QueryVariableBuilder {
  const query = `label_values(${match}, ${name})`;
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(prometheusDatasource(DATASOURCE_VARIABLE))
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] })
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}

/**
 * The dashboard's designed rows in display order: the original system's four, then latency from
 * native histograms (left out when no catalog histogram is declared native), then the SDK's own
 * health.
 *
 * @param config - datasource and selectors
 * @param catalogs - the catalogs whose native histograms the native latency row draws
 * @returns the rows
 */
export function dashboardRows(
  config: DashboardConfig,
  catalogs: readonly TradingCatalogInfo[] = TRADING_CATALOGS,
): readonly DashboardRow[] {
  const native = nativeLatencyRow(config, catalogs);
  return [
    systemOverviewRow(config),
    marketDataRow(config),
    tradingRow(config),
    strategyRow(config),
    backtestRow(config),
    ...(native.panels.length === 0 ? [] : [native]),
    sdkHealthRow(config, catalogs),
  ];
}

/** Every metric name a PromQL expression mentions (a histogram's `_bucket` series as the histogram). */
function namesIn(expr: string): Set<string> {
  const names = new Set<string>();
  for (const [token] of expr.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    names.add(token.replace(/_(bucket|sum|count)$/, ''));
    names.add(token);
  }
  return names;
}

function chartedNames(rows: readonly DashboardRow[]): Set<string> {
  const charted = new Set<string>();
  for (const row of rows) {
    for (const { panel } of row.panels) {
      for (const target of panel.build().targets ?? []) {
        const expr = (target as { expr?: unknown }).expr;
        if (typeof expr === 'string') for (const name of namesIn(expr)) charted.add(name);
      }
    }
  }
  return charted;
}

/** The template variables a metric can be filtered by: those of its labels that are variables. */
function filtersOf(def: MetricDef): TemplateVariable[] {
  return templateVariables.filter((v) => Object.hasOwn(def.labels, v));
}

/** Grafana's unit for a declared unit: `ms`, `s`, `currencyUSD`, else a plain number. */
function grafanaUnit(def: MetricDef): string {
  if (def.kind === 'counter') return def.unit === 'usd' ? 'currencyUSD' : 'cps';
  return def.unit === 'ms' ? 'ms' : def.unit === 's' ? 's' : def.unit === 'usd' ? 'currencyUSD' : 'short';
}

/**
 * A panel for a catalog metric no designed panel shows: a counter's rate, a gauge's series, a
 * histogram's latency quantiles, each split by the labels that are template variables. A metric
 * added to a catalog is on the dashboard from the next `npm run monitoring:generate`, until
 * someone designs its panel in one of the rows above.
 */
function defaultPanel(config: DashboardConfig, info: TradingCatalogInfo, def: MetricDef): DashboardPanel {
  const ds = prometheusDatasource(DATASOURCE_VARIABLE);
  const sel = selectorOf(config, info.service);
  const filters = filtersOf(def);
  const spec = { title: def.name, description: def.help, unit: grafanaUnit(def), span: 12 };
  const panels = metricPanels(ds, sel);
  if (def.kind === 'histogram') {
    return panels.quantiles(def.name, def as HistogramDef, filters as never[], filters as never[], 12);
  }
  const expr =
    def.kind === 'counter'
      ? rateBy(def as CounterDef, sel, filters as never[], filters as never[])
      : gaugeBy(def as GaugeDef, sel, filters as never[]);
  return keyed(def.name, timeseriesPanel(ds, { ...spec, queries: [{ expr, legend: legendOf(filters) }] }));
}

/**
 * The row of catalog metrics that no designed row charts, or none when every metric has a panel.
 *
 * @param config - datasource and selectors
 * @param catalogs - the catalogs whose metrics the dashboard must show
 * @param rows - the designed rows
 * @returns the row, or `undefined`
 */
export function unchartedRow(
  config: DashboardConfig,
  catalogs: readonly TradingCatalogInfo[],
  rows: readonly DashboardRow[],
): DashboardRow | undefined {
  const charted = chartedNames(rows);
  const panels = catalogs.flatMap((info) =>
    Object.values(info.definitions)
      .filter((def) => !charted.has(def.name))
      .map((def) => defaultPanel(config, info, def)),
  );
  return panels.length === 0 ? undefined : { key: 'row:other-metrics', title: 'Other metrics', panels };
}

/**
 * Builds the TTQuant overview dashboard as classic Grafana dashboard JSON: the designed rows, then
 * an "Other metrics" row for any catalog metric they do not chart.
 *
 * @param config - datasource uid and service selectors; default the committed configuration
 * @param catalogs - the catalogs to chart; default the four trading catalogs
 * @returns the dashboard model
 * @example
 * ```ts
 * const model = buildTtquantDashboard();
 * writeFileSync('ttquant.json', JSON.stringify(model, null, 2));
 * ```
 */
export function buildTtquantDashboard(
  config: DashboardConfig = defaultDashboardConfig,
  catalogs: readonly TradingCatalogInfo[] = TRADING_CATALOGS,
): dashboard.Dashboard {
  const ds = prometheusDatasource(DATASOURCE_VARIABLE);
  const builder = new dashboard.DashboardBuilder(config.title)
    .uid(config.uid)
    .description('TTQuant trading system: services, market data, trading and strategy performance.')
    .tags(['ttquant', 'trading', 'generated'])
    .timezone('browser')
    .time({ from: 'now-1h', to: 'now' })
    .refresh(config.refresh)
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .variables([datasourceVariable(config), ...variableSpecs(config).map(queryVariable), instanceVariable()]);
  const designed = dashboardRows(config, catalogs);
  const other = unchartedRow(config, catalogs, designed);
  const rows = other === undefined ? designed : [...designed, other];
  // Explicit ids from each panel's key: Grafana would otherwise number panels on load, and a
  // position-based number would change every later panel's id (and its links) on an insert.
  const ids = assignPanelIds(rows.flatMap((row) => [row.key, ...row.panels.map((p) => p.key)]));
  for (const row of rows) {
    builder.withRow(new dashboard.RowBuilder(row.title).id(ids.get(row.key) as number).datasource(ds));
    for (const { key, panel } of row.panels) builder.withPanel(panel.id(ids.get(key) as number));
  }
  return builder.build();
}
