import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { engineDefinitions, gatewayDefinitions, marketDataDefinitions, strategyDefinitions } from '@ttquant/metrics';
import { type DashboardConfig, defaultDashboardConfig, type TemplateVariable } from './config.js';
import {
  type AnyPanelBuilder,
  gaugePanel,
  prometheusDatasource,
  statPanel,
  tablePanel,
  timeseriesPanel,
} from './panels.js';
import { gaugeBy, increaseBy, quantileBy, RATE_WINDOW, rateBy, selectorText } from './promql.js';

// The TTQuant overview dashboard: the seed's four areas as rows. Every metric name comes from a
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
        thresholds: [
          { color: 'red', from: null },
          { color: 'green', from: 1 },
        ],
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
  return {
    title: 'Market Data',
    panels: [
      timeseriesPanel(ds, {
        title: 'Market data receive rate',
        description: md.received.help,
        queries: [
          {
            expr: rateBy(md.received, sel, ['exchange', 'symbol'], ['exchange', 'symbol']),
            legend: '{{exchange}} {{symbol}}',
          },
        ],
        unit: 'mps',
        span: 12,
      }),
      timeseriesPanel(ds, {
        title: 'Market data latency p50 / p95 / p99',
        description: md.latency.help,
        queries: QUANTILES.map((q) => ({
          expr: quantileBy(q, md.latency, sel, ['exchange'], ['exchange']),
          legend: `${pct(q)} {{exchange}}`,
        })),
        unit: 'ms',
        span: 12,
      }),
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
          thresholds: [
            { color: 'red', from: null },
            { color: 'green', from: 1 },
          ],
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
      timeseriesPanel(ds, {
        title: 'Parse errors by reason',
        description: md.parseErrors.help,
        queries: [
          {
            expr: rateBy(md.parseErrors, sel, ['exchange'], ['exchange', 'reason']),
            legend: '{{exchange}} {{reason}}',
          },
        ],
        unit: 'cps',
        span: 6,
      }),
      timeseriesPanel(ds, {
        title: 'ZeroMQ published',
        description: md.zmqPublished.help,
        queries: [
          { expr: rateBy(md.zmqPublished, sel, ['exchange'], ['exchange', 'type']), legend: '{{exchange}} {{type}}' },
        ],
        unit: 'mps',
        span: 6,
      }),
      timeseriesPanel(ds, {
        title: 'Database writes',
        description: md.dbWrites.help,
        queries: [
          { expr: rateBy(md.dbWrites, sel, ['exchange'], ['exchange', 'table']), legend: '{{exchange}} {{table}}' },
        ],
        unit: 'wps',
        span: 12,
      }),
      timeseriesPanel(ds, {
        title: 'Database write errors',
        description: md.dbWriteErrors.help,
        queries: [
          {
            expr: rateBy(md.dbWriteErrors, sel, ['exchange'], ['exchange', 'reason']),
            legend: '{{exchange}} {{reason}}',
          },
        ],
        unit: 'cps',
        span: 12,
      }),
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
  return {
    title: 'Trading',
    panels: [
      timeseriesPanel(ds, {
        title: 'Order rate',
        description: gw.orders.help,
        queries: [
          {
            expr: rateBy(gw.orders, sel, ['exchange', 'symbol'], ['exchange', 'side', 'type']),
            legend: '{{exchange}} {{side}} {{type}}',
          },
        ],
        unit: 'ops',
        span: 8,
      }),
      timeseriesPanel(ds, {
        title: 'Order latency p50 / p95 / p99',
        description: gw.orderLatency.help,
        queries: QUANTILES.map((q) => ({
          expr: quantileBy(q, gw.orderLatency, sel, ['exchange'], ['exchange']),
          legend: `${pct(q)} {{exchange}}`,
        })),
        unit: 'ms',
        span: 8,
      }),
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
          thresholds: [
            { color: 'red', from: null },
            { color: 'orange', from: 0.7 },
            { color: 'green', from: 0.9 },
          ],
        },
      ),
      timeseriesPanel(ds, {
        title: 'Order failures by reason',
        description: gw.ordersFailed.help,
        queries: [
          {
            expr: rateBy(gw.ordersFailed, sel, ['exchange'], ['exchange', 'reason']),
            legend: '{{exchange}} {{reason}}',
          },
        ],
        unit: 'ops',
        span: 8,
      }),
      timeseriesPanel(ds, {
        title: 'Risk rejections by rule',
        description: gw.ordersRiskRejected.help,
        queries: [
          {
            expr: rateBy(gw.ordersRiskRejected, sel, ['exchange'], ['exchange', 'rule']),
            legend: '{{exchange}} {{rule}}',
          },
        ],
        unit: 'ops',
        span: 8,
      }),
      timeseriesPanel(ds, {
        title: 'Trades',
        description: gw.trades.help,
        queries: [
          {
            expr: rateBy(gw.trades, sel, ['exchange', 'symbol'], ['exchange', 'symbol', 'side']),
            legend: '{{exchange}} {{symbol}} {{side}}',
          },
        ],
        unit: 'cps',
        span: 8,
      }),
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
      timeseriesPanel(ds, {
        title: 'Current position',
        description: gw.position.help,
        queries: [{ expr: gaugeBy(gw.position, sel, ['exchange', 'symbol']), legend: '{{exchange}} {{symbol}}' }],
        unit: 'short',
        span: 12,
      }),
      timeseriesPanel(ds, {
        title: 'API rate-limit hits',
        description: gw.rateLimitHits.help,
        queries: [
          {
            expr: rateBy(gw.rateLimitHits, sel, ['exchange'], ['exchange', 'endpoint']),
            legend: '{{exchange}} {{endpoint}}',
          },
        ],
        unit: 'cps',
        span: 8,
      }),
      timeseriesPanel(ds, {
        title: 'Order retries',
        description: gw.orderRetries.help,
        queries: [
          {
            expr: rateBy(gw.orderRetries, sel, ['exchange'], ['exchange', 'reason']),
            legend: '{{exchange}} {{reason}}',
          },
        ],
        unit: 'ops',
        span: 8,
      }),
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
      timeseriesPanel(ds, {
        title: 'Risk exposure',
        description: gw.riskExposure.help,
        queries: [{ expr: gaugeBy(gw.riskExposure, sel, ['exchange']), legend: '{{exchange}}' }],
        unit: 'currencyUSD',
        span: 12,
      }),
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
  return {
    title: 'Strategy Performance',
    panels: [
      timeseriesPanel(ds, {
        title: 'Strategy PnL',
        description: st.pnl.help,
        queries: [{ expr: gaugeBy(st.pnl, sel, ['strategy']), legend: '{{strategy}}' }],
        unit: 'currencyUSD',
        span: 12,
      }),
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
          thresholds: [
            { color: 'red', from: null },
            { color: 'orange', from: 0.3 },
            { color: 'green', from: 0.5 },
          ],
        },
      ),
      timeseriesPanel(ds, {
        title: 'Position size',
        description: st.positionSize.help,
        queries: [{ expr: gaugeBy(st.positionSize, sel, ['strategy', 'symbol']), legend: '{{strategy}} {{symbol}}' }],
        unit: 'short',
        span: 8,
      }),
      timeseriesPanel(ds, {
        title: 'Position value',
        description: st.positionValue.help,
        queries: [{ expr: gaugeBy(st.positionValue, sel, ['strategy', 'symbol']), legend: '{{strategy}} {{symbol}}' }],
        unit: 'currencyUSD',
        span: 8,
      }),
      timeseriesPanel(ds, {
        title: 'Strategy trades',
        description: st.trades.help,
        queries: [
          { expr: rateBy(st.trades, sel, ['strategy'], ['strategy', 'side']), legend: '{{strategy}} {{side}}' },
        ],
        unit: 'cps',
        span: 8,
      }),
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
      timeseriesPanel(ds, {
        title: 'Strategy max drawdown',
        description: st.maxDrawdown.help,
        queries: [{ expr: gaugeBy(st.maxDrawdown, sel, ['strategy']), legend: '{{strategy}}' }],
        unit: 'currencyUSD',
        span: 12,
      }),
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
          thresholds: [
            { color: 'red', from: null },
            { color: 'orange', from: 0 },
            { color: 'green', from: 1 },
          ],
        },
      ),
      timeseriesPanel(ds, {
        title: 'Engine market data rate',
        description: en.marketDataReceived.help,
        queries: [
          {
            expr: rateBy(en.marketDataReceived, sel, ['exchange'], ['exchange', 'type']),
            legend: '{{exchange}} {{type}}',
          },
        ],
        unit: 'mps',
        span: 8,
      }),
      timeseriesPanel(ds, {
        title: 'Orders sent by the engine',
        description: en.ordersSent.help,
        queries: [
          {
            expr: rateBy(en.ordersSent, sel, ['strategy', 'exchange'], ['strategy', 'exchange', 'side']),
            legend: '{{strategy}} {{exchange}} {{side}}',
          },
        ],
        unit: 'ops',
        span: 8,
      }),
      timeseriesPanel(ds, {
        title: 'Fills received by the engine',
        description: en.tradesReceived.help,
        queries: [
          {
            expr: rateBy(en.tradesReceived, sel, ['strategy', 'exchange'], ['strategy', 'exchange']),
            legend: '{{strategy}} {{exchange}}',
          },
        ],
        unit: 'cps',
        span: 8,
      }),
      timeseriesPanel(ds, {
        title: 'Strategy decision latency p50 / p99',
        description: en.strategyLatency.help,
        queries: [0.5, 0.99].map((q) => ({
          expr: quantileBy(q, en.strategyLatency, sel, ['strategy'], ['strategy']),
          legend: `${pct(q)} {{strategy}}`,
        })),
        unit: 'ms',
        span: 24,
      }),
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
