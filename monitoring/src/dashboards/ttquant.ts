import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  type CounterDef,
  engineDefinitions,
  type GaugeDef,
  gatewayDefinitions,
  type HistogramDef,
  marketDataDefinitions,
  strategyDefinitions,
} from '@ttquant/metrics';
import { type DashboardConfig, defaultDashboardConfig, type TemplateVariable } from './config.js';
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
  increaseBy,
  type LabelOf,
  quantileBy,
  RATE_WINDOW,
  rateBy,
  selectorText,
} from './promql.js';

// The TTQuant overview dashboard: the original system's four areas as rows
// (docs/origin.md). Every metric name comes from a
// catalog declaration; every selector from the configuration.

const md = marketDataDefinitions;
const gw = gatewayDefinitions;
const st = strategyDefinitions;
const en = engineDefinitions;

/** A titled row and the panels under it. */
export interface DashboardRow {
  readonly title: string;
  readonly panels: readonly AnyPanelBuilder[];
}

const QUANTILES = [0.5, 0.95, 0.99] as const;
const pct = (q: number): string => `p${Math.round(q * 100)}`;

/** A legend naming each series by the labels it keeps: `{{exchange}} {{symbol}}`. */
const legendOf = (labels: readonly string[]): string => labels.map((label) => `{{${label}}}`).join(' ');

/**
 * Time series panels of one catalog metric of one service, described by the metric's HELP text, one
 * line per series named by its labels.
 *
 * @param ds - the datasource reference
 * @param sel - the service selector
 * @returns `rate`: a counter's per-second rate summed by `by`; `gauge`: a gauge's series as exposed;
 *   `quantiles`: one line per quantile of a histogram and `by` combination
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
      timeseriesPanel(ds, {
        title,
        description: def.help,
        queries: [{ expr: rateBy(def, sel, filters, by), legend: legendOf(by) }],
        unit,
        span,
      }),
    gauge: <D extends GaugeDef>(title: string, def: D, filters: readonly FilterOf<D>[], unit: string, span: number) =>
      timeseriesPanel(ds, {
        title,
        description: def.help,
        queries: [{ expr: gaugeBy(def, sel, filters), legend: legendOf(filters) }],
        unit,
        span,
      }),
    quantiles: <D extends HistogramDef>(
      title: string,
      def: D,
      filters: readonly FilterOf<D>[],
      by: readonly LabelOf<D>[],
      quantiles: readonly number[],
      span: number,
    ) =>
      timeseriesPanel(ds, {
        title,
        description: def.help,
        queries: quantiles.map((q) => ({
          expr: quantileBy(q, def, sel, filters, by),
          legend: `${pct(q)} ${legendOf(by)}`,
        })),
        unit: 'ms',
        span,
      }),
  };
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
  const ds = prometheusDatasource(config.datasourceUid);
  const s = config.selectors;
  const status = (title: string, selector: string) =>
    statPanel(
      ds,
      {
        title,
        description: `Prometheus scrape of the service's /metrics (up{${selector}}): UP when the last scrape succeeded.`,
        queries: [{ expr: `up{${selector}}`, legend: '{{instance}}' }],
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
    title: 'System Overview',
    panels: [
      status('Market data service', s.marketData),
      status('Order gateway', s.gateway),
      status('Strategy engine', s.strategyEngine),
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
      statPanel(ds, {
        title: 'Engine uptime',
        description: en.uptime.help,
        queries: [{ expr: gaugeBy(en.uptime, s.strategyEngine, []), legend: 'uptime' }],
        unit: 's',
        span: 4,
        height: 5,
      }),
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
  const ds = prometheusDatasource(config.datasourceUid);
  const sel = config.selectors.marketData;
  const { rate, quantiles } = metricPanels(ds, sel);
  return {
    title: 'Market Data',
    panels: [
      rate('Market data receive rate', md.received, ['exchange', 'symbol'], ['exchange', 'symbol'], 'mps', 12),
      quantiles('Market data latency p50 / p95 / p99', md.latency, ['exchange'], ['exchange'], QUANTILES, 12),
      statPanel(
        ds,
        {
          title: 'WebSocket connection status',
          description: md.connectionStatus.help,
          queries: [{ expr: gaugeBy(md.connectionStatus, sel, ['exchange']), legend: '{{exchange}}' }],
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
      timeseriesPanel(ds, {
        title: 'WebSocket reconnects',
        description: `${md.reconnects.help} Count per rate window.`,
        queries: [
          { expr: increaseBy(md.reconnects, sel, ['exchange'], ['exchange'], RATE_WINDOW), legend: '{{exchange}}' },
        ],
        unit: 'short',
        span: 6,
      }),
      rate('Parse errors by reason', md.parseErrors, ['exchange'], ['exchange', 'reason'], 'cps', 6),
      rate('ZeroMQ published', md.zmqPublished, ['exchange'], ['exchange', 'type'], 'mps', 6),
      rate('Database writes', md.dbWrites, ['exchange'], ['exchange', 'table'], 'wps', 12),
      rate('Database write errors', md.dbWriteErrors, ['exchange'], ['exchange', 'reason'], 'cps', 12),
      tablePanel(
        ds,
        {
          title: 'Last price',
          description: md.lastPrice.help,
          queries: [{ expr: gaugeBy(md.lastPrice, sel, ['exchange', 'symbol']) }],
          span: 12,
        },
        'Last price',
      ),
      tablePanel(
        ds,
        {
          title: '24h volume',
          description: md.volume24h.help,
          queries: [{ expr: gaugeBy(md.volume24h, sel, ['exchange', 'symbol']) }],
          span: 12,
        },
        '24h volume',
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
  const ds = prometheusDatasource(config.datasourceUid);
  const sel = config.selectors.gateway;
  const { rate, gauge, quantiles } = metricPanels(ds, sel);
  return {
    title: 'Trading',
    panels: [
      rate('Order rate', gw.orders, ['exchange', 'symbol'], ['exchange', 'side', 'type'], 'ops', 8),
      quantiles('Order latency p50 / p95 / p99', gw.orderLatency, ['exchange'], ['exchange'], QUANTILES, 8),
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
          // The alert thresholds: warning above 10 % failures, critical above 30 %.
          thresholds: redOrangeGreen(0.7, 0.9),
        },
      ),
      rate('Order failures by reason', gw.ordersFailed, ['exchange'], ['exchange', 'reason'], 'ops', 8),
      rate('Risk rejections by rule', gw.ordersRiskRejected, ['exchange'], ['exchange', 'rule'], 'ops', 8),
      rate('Trades', gw.trades, ['exchange', 'symbol'], ['exchange', 'symbol', 'side'], 'cps', 8),
      statPanel(ds, {
        title: 'Trade volume',
        description: `${gw.tradeVolume.help} Total over the dashboard's time range.`,
        queries: [
          { expr: increaseBy(gw.tradeVolume, sel, ['exchange', 'symbol'], ['exchange']), legend: '{{exchange}}' },
        ],
        unit: 'currencyUSD',
        span: 6,
      }),
      statPanel(ds, {
        title: 'Commission paid',
        description: `${gw.commission.help} Total over the dashboard's time range.`,
        queries: [
          { expr: increaseBy(gw.commission, sel, ['exchange', 'symbol'], ['exchange']), legend: '{{exchange}}' },
        ],
        unit: 'currencyUSD',
        span: 6,
      }),
      gauge('Current position', gw.position, ['exchange', 'symbol'], 'short', 12),
      rate('API rate-limit hits', gw.rateLimitHits, ['exchange'], ['exchange', 'endpoint'], 'cps', 8),
      rate('Order retries', gw.orderRetries, ['exchange'], ['exchange', 'reason'], 'ops', 8),
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
      gauge('Risk exposure', gw.riskExposure, ['exchange'], 'currencyUSD', 12),
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
  const ds = prometheusDatasource(config.datasourceUid);
  const sel = config.selectors.strategyEngine;
  const { rate, gauge, quantiles } = metricPanels(ds, sel);
  return {
    title: 'Strategy Performance',
    panels: [
      gauge('Strategy PnL', st.pnl, ['strategy'], 'currencyUSD', 12),
      timeseriesPanel(ds, {
        title: 'Realized / unrealized PnL',
        description: `${st.realizedPnl.help} ${st.unrealizedPnl.help}`,
        queries: [
          { expr: gaugeBy(st.realizedPnl, sel, ['strategy']), legend: '{{strategy}} realized' },
          { expr: gaugeBy(st.unrealizedPnl, sel, ['strategy']), legend: '{{strategy}} unrealized' },
        ],
        unit: 'currencyUSD',
        span: 12,
      }),
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
          // LowWinRate fires below 30 %.
          thresholds: redOrangeGreen(0.3, 0.5),
        },
      ),
      gauge('Position size', st.positionSize, ['strategy', 'symbol'], 'short', 8),
      gauge('Position value', st.positionValue, ['strategy', 'symbol'], 'currencyUSD', 8),
      rate('Strategy trades', st.trades, ['strategy'], ['strategy', 'side'], 'cps', 8),
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
      timeseriesPanel(ds, {
        title: 'Average profit / loss per trade',
        description: `${st.avgProfit.help} ${st.avgLoss.help}`,
        queries: [
          { expr: gaugeBy(st.avgProfit, sel, ['strategy']), legend: '{{strategy}} avg profit' },
          { expr: gaugeBy(st.avgLoss, sel, ['strategy']), legend: '{{strategy}} avg loss' },
        ],
        unit: 'currencyUSD',
        span: 8,
      }),
      gauge('Strategy max drawdown', st.maxDrawdown, ['strategy'], 'currencyUSD', 12),
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
          thresholds: redOrangeGreen(0, 1),
        },
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
      quantiles('Strategy decision latency p50 / p99', en.strategyLatency, ['strategy'], ['strategy'], [0.5, 0.99], 24),
    ],
  };
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
  ];
}

function queryVariable(config: DashboardConfig, spec: VariableSpec): dashboard.QueryVariableBuilder {
  const query = `label_values(${spec.match}, ${spec.name})`;
  return new dashboard.QueryVariableBuilder(spec.name)
    .label(spec.label)
    .datasource(prometheusDatasource(config.datasourceUid))
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
 * The dashboard's rows in display order.
 *
 * @param config - datasource and selectors
 * @returns the four rows
 */
export function dashboardRows(config: DashboardConfig): readonly DashboardRow[] {
  return [systemOverviewRow(config), marketDataRow(config), tradingRow(config), strategyRow(config)];
}

/**
 * Builds the TTQuant overview dashboard as classic Grafana dashboard JSON.
 *
 * @param config - datasource uid and service selectors; default the committed configuration
 * @returns the dashboard model
 * @example
 * ```ts
 * const model = buildTtquantDashboard();
 * writeFileSync('ttquant.json', JSON.stringify(model, null, 2));
 * ```
 */
export function buildTtquantDashboard(config: DashboardConfig = defaultDashboardConfig): dashboard.Dashboard {
  const ds = prometheusDatasource(config.datasourceUid);
  const builder = new dashboard.DashboardBuilder(config.title)
    .uid(config.uid)
    .description('TTQuant trading system: services, market data, trading and strategy performance.')
    .tags(['ttquant', 'trading', 'generated'])
    .timezone('browser')
    .time({ from: 'now-1h', to: 'now' })
    .refresh(config.refresh)
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .variables(variableSpecs(config).map((v) => queryVariable(config, v)));
  // Explicit, stable ids: Grafana would otherwise number panels on load, and links would drift.
  let id = 1;
  for (const row of dashboardRows(config)) {
    builder.withRow(new dashboard.RowBuilder(row.title).id(id++).datasource(ds));
    for (const panel of row.panels) {
      builder.withPanel(panel.id(id++));
    }
  }
  return builder.build();
}
