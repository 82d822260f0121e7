import { type CatalogClass, catalog } from '../define/catalog.js';
import { counter, gauge } from '../define/metric.js';
import { side, strategy, symbol } from './domains.js';
import { type VenueList, venueCatalog, type WithVenues } from './venues.js';

/**
 * Declarations of the strategy performance metrics a strategy engine exposes, served on
 * `SERVICE_PORTS['strategy-engine']`.
 */
export const strategyDefinitions = {
  pnl: gauge(
    'strategy_pnl_total',
    'Total PnL of the strategy (realized + unrealized, net of fees), in USD.',
    { strategy },
    { unit: 'usd', clusterAggregation: 'sum' },
  ),
  realizedPnl: gauge(
    'strategy_realized_pnl',
    'Realized PnL of the strategy, net of fees, in USD.',
    { strategy },
    { unit: 'usd', clusterAggregation: 'sum' },
  ),
  unrealizedPnl: gauge(
    'strategy_unrealized_pnl',
    'Unrealized PnL of open positions at the last mark price, in USD.',
    { strategy },
    { unit: 'usd', clusterAggregation: 'sum' },
  ),
  positionSize: gauge(
    'strategy_position_size',
    'Net position in base units: positive long, negative short.',
    { strategy, symbol },
    { clusterAggregation: 'sum' },
  ),
  positionValue: gauge(
    'strategy_position_value_usd',
    'Signed value of the position at the last mark price, in USD.',
    { strategy, symbol },
    { unit: 'usd', clusterAggregation: 'sum' },
  ),
  trades: counter('strategy_trades_total', 'Fills booked for the strategy.', { strategy, side }, { unit: '1' }),
  winRate: gauge(
    'strategy_win_rate',
    'Winning closed trades over all closed trades (0 to 1).',
    { strategy },
    { unit: '1' },
  ),
  winningTrades: counter(
    'strategy_winning_trades_total',
    'Closed trades that realized a profit after fees.',
    { strategy },
    { unit: '1' },
  ),
  losingTrades: counter(
    'strategy_losing_trades_total',
    'Closed trades that realized a loss after fees.',
    { strategy },
    { unit: '1' },
  ),
  avgProfit: gauge(
    'strategy_avg_profit_usd',
    'Average realized profit of winning closed trades, in USD.',
    { strategy },
    { unit: 'usd' },
  ),
  avgLoss: gauge(
    'strategy_avg_loss_usd',
    'Average realized loss of losing closed trades, as a positive number, in USD.',
    { strategy },
    { unit: 'usd' },
  ),
  maxDrawdown: gauge(
    'strategy_max_drawdown_usd',
    'Largest peak-to-trough fall of the strategy equity curve, in USD (≥ 0).',
    { strategy },
    { unit: 'usd' },
  ),
  sharpe: gauge(
    'strategy_sharpe_ratio',
    'Annualized Sharpe ratio of periodic returns; NaN until enough samples.',
    { strategy },
    { unit: '1', nonFinite: 'emit' },
  ),
} as const;

/**
 * The strategy performance metrics of a strategy engine.
 *
 * @example
 * ```ts
 * const sm = new StrategyMetrics();
 * sm.pnl.set({ strategy: 'ma_cross' }, 1250.5);
 * ```
 */
export class StrategyMetrics extends catalog(strategyDefinitions) {
  /**
   * The same catalog, for the uniform API of the four ready catalogs: no strategy metric has an
   * `exchange` label, so the class returned is equivalent to this one (same declarations, same
   * wire names). The venue list is still checked, so a bad list fails the same way everywhere.
   *
   * @param venues - the venues, at least one, each a non-empty string, no duplicates
   * @returns a catalog class with this catalog's declarations
   * @throws MetricDefinitionError naming `StrategyMetrics.withVenues` and each bad entry
   */
  static withVenues<const V extends VenueList>(
    ...venues: V
  ): CatalogClass<WithVenues<typeof strategyDefinitions, V[number]>> {
    return venueCatalog(strategyDefinitions, venues, 'StrategyMetrics.withVenues');
  }
}
