// The contract the catalogs are checked against: the wire names of the original system, their
// kinds and the services' ports, per catalog, as docs/origin.md lists them. Written out here on
// purpose, apart from the catalogs: a rename, a removal or a changed kind in a catalog must fail a
// test, not follow along. A metric added to a catalog is not part of it and needs no edit here.

/** One contract metric: its wire name and kind. */
export type ContractMetric = readonly [name: string, kind: 'counter' | 'gauge' | 'histogram'];

/** The contract per catalog, in declaration order. */
export const CONTRACT = {
  marketData: [
    ['market_data_received_total', 'counter'],
    ['market_data_latency_ms', 'histogram'],
    ['ws_connection_status', 'gauge'],
    ['ws_reconnect_total', 'counter'],
    ['message_parse_errors_total', 'counter'],
    ['db_writes_total', 'counter'],
    ['db_write_errors_total', 'counter'],
    ['zmq_published_total', 'counter'],
    ['market_last_price', 'gauge'],
    ['market_volume_24h', 'gauge'],
  ],
  gateway: [
    ['orders_total', 'counter'],
    ['orders_success_total', 'counter'],
    ['orders_failed_total', 'counter'],
    ['orders_risk_rejected_total', 'counter'],
    ['order_processing_latency_ms', 'histogram'],
    ['trades_total', 'counter'],
    ['trade_volume_total', 'counter'],
    ['commission_paid_total', 'counter'],
    ['current_position', 'gauge'],
    ['api_rate_limit_hit_total', 'counter'],
    ['order_retries_total', 'counter'],
    ['active_orders', 'gauge'],
    ['risk_exposure_usd', 'gauge'],
    ['max_drawdown_usd', 'gauge'],
  ],
  strategy: [
    ['strategy_pnl_total', 'gauge'],
    ['strategy_realized_pnl', 'gauge'],
    ['strategy_unrealized_pnl', 'gauge'],
    ['strategy_position_size', 'gauge'],
    ['strategy_position_value_usd', 'gauge'],
    ['strategy_trades_total', 'counter'],
    ['strategy_win_rate', 'gauge'],
    ['strategy_winning_trades_total', 'counter'],
    ['strategy_losing_trades_total', 'counter'],
    ['strategy_avg_profit_usd', 'gauge'],
    ['strategy_avg_loss_usd', 'gauge'],
    ['strategy_max_drawdown_usd', 'gauge'],
    ['strategy_sharpe_ratio', 'gauge'],
  ],
  engine: [
    ['engine_market_data_received_total', 'counter'],
    ['engine_orders_sent_total', 'counter'],
    ['engine_trades_received_total', 'counter'],
    ['engine_strategy_latency_ms', 'histogram'],
    ['engine_active_strategies', 'gauge'],
    ['engine_uptime_seconds', 'gauge'],
  ],
} as const satisfies Record<string, readonly ContractMetric[]>;

/** The service that serves each catalog and its metrics port, per catalog (docs/origin.md). */
export const CONTRACT_SERVICES = {
  marketData: { className: 'MarketDataMetrics', service: 'market-data', port: 8080 },
  gateway: { className: 'GatewayMetrics', service: 'gateway', port: 8081 },
  strategy: { className: 'StrategyMetrics', service: 'strategy-engine', port: 8000 },
  engine: { className: 'EngineMetrics', service: 'strategy-engine', port: 8000 },
} as const satisfies Record<keyof typeof CONTRACT, { className: string; service: string; port: number }>;

/** Every contract metric, catalogs in the order market data, gateway, strategy, engine. */
export const CONTRACT_METRICS: readonly ContractMetric[] = Object.values(CONTRACT).flat();
