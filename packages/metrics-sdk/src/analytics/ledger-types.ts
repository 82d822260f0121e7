import type { gatewayDefinitions } from '../catalogs/gateway.js';
import type { StrategyMetrics } from '../catalogs/strategy.js';
import type { WithVenues } from '../catalogs/venues.js';
import type { InferCatalog } from '../define/catalog.js';
import type { InferLabels } from '../define/metric.js';
import type { LedgerPublisher } from './ledger-publisher.js';

// The ledger's public types: its options and the plain-data snapshots it reports.

/** A venue of the default gateway catalog (the `exchange` label of `GatewayMetrics`). */
export type LedgerExchange = InferLabels<typeof gatewayDefinitions.riskExposure>['exchange'];

/**
 * The gateway families a ledger drives, for a gateway catalog over the venues `V`: a
 * `GatewayMetrics` (the default venues) or a class from `GatewayMetrics.withVenues(...)`.
 *
 * @typeParam V - the union of the catalog's venues
 */
export type LedgerGateway<V extends string = LedgerExchange> = Pick<
  InferCatalog<WithVenues<typeof gatewayDefinitions, V>>,
  'position' | 'riskExposure' | 'maxDrawdown'
>;

/** How the ledger samples equity for the Sharpe ratio. */
export interface LedgerSharpeOptions {
  /** Length of one return period, ms. Default 86,400,000 (one day). */
  readonly periodMs?: number;
  /** Return periods per year (annualisation factor √periodsPerYear). Default `365 days / periodMs` (365 for daily). */
  readonly periodsPerYear?: number;
  /**
   * Annual risk-free rate as a fraction, subtracted per period as `riskFreeRate / periodsPerYear`.
   * Default 0. Non-zero needs a `capitalBase` on every strategy (returns must be fractions of capital).
   */
  readonly riskFreeRate?: number;
  /** Returns needed before the ratio is defined (≥ 2). Default 2. */
  readonly minSamples?: number;
}

/**
 * Options of a {@link TradingLedger}.
 *
 * @typeParam V - the venues of the gateway catalog; inferred from `gateway.metrics`
 */
export interface TradingLedgerOptions<V extends string = LedgerExchange> {
  /**
   * The strategy catalog whose gauges and counters the ledger keeps up to date (through a
   * {@link StrategyMetricsPublisher}). Optional: a ledger that only feeds the gateway catalog, or only
   * its own `publishers`, leaves it out.
   */
  readonly metrics?: StrategyMetrics;
  /**
   * Also drive the gateway gauges `current_position{exchange,symbol}`, `risk_exposure_usd{exchange}`
   * and `max_drawdown_usd{exchange}`, treating all strategies of this ledger as one account on
   * `exchange`, one of that catalog's venues (a compile error otherwise: the venues are inferred from
   * the catalog alone, never widened to fit `exchange`).
   */
  readonly gateway?: { readonly metrics: LedgerGateway<V>; readonly exchange: NoInfer<V> };
  /**
   * More places to publish to, after `metrics` and `gateway`, each bound to the ledger's state once
   * (see {@link LedgerPublisher}).
   */
  readonly publishers?: readonly LedgerPublisher[];
  /** Sharpe sampling; see {@link LedgerSharpeOptions}. */
  readonly sharpe?: LedgerSharpeOptions;
  /**
   * Register a strategy on its first fill instead of rejecting the fill. Default `false`: a fill
   * for an unknown strategy is usually a wiring mistake, and a typo would otherwise create a series.
   */
  readonly autoRegister?: boolean;
}

/** Options of one strategy. */
export interface RegisterOptions {
  /**
   * Capital in USD that per-period returns are measured against: `return = ΔPnL / capitalBase`.
   * Without it a return is the PnL change in USD; the Sharpe ratio is the same either way when the
   * risk-free rate is 0 (it is scale-free), but a non-zero rate needs it.
   */
  readonly capitalBase?: number;
}

/** One position of a strategy, as {@link TradingLedger.strategy} reports it. */
export interface PositionSnapshot {
  readonly symbol: string;
  /** Signed quantity: positive long, negative short. */
  readonly quantity: number;
  /** Average entry price; 0 when flat. */
  readonly avgPrice: number;
  /** Opening fees of the open quantity, USD (charged to the trade that closes it). */
  readonly openFees: number;
  /** Last mark price (the first fill price until a mark arrives). */
  readonly mark: number;
  /** `quantity × (mark − avgPrice)`, USD. */
  readonly unrealizedPnl: number;
  /** `quantity × mark`, USD, signed. */
  readonly valueUsd: number;
}

/** Everything the ledger knows about one strategy, as plain data. */
export interface StrategySnapshot {
  readonly strategy: string;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  /** realized + unrealized: the equity curve, starting at 0 at registration. */
  readonly totalPnl: number;
  readonly peakPnl: number;
  /** peak − total, ≥ 0. */
  readonly drawdown: number;
  readonly maxDrawdown: number;
  readonly buys: number;
  readonly sells: number;
  readonly closedTrades: number;
  readonly winningTrades: number;
  readonly losingTrades: number;
  readonly breakEvenTrades: number;
  /** winning / closed; `NaN` before the first closed trade. */
  readonly winRate: number;
  /** `NaN` before the first win. */
  readonly avgProfit: number;
  /** As a positive number; `NaN` before the first loss. */
  readonly avgLoss: number;
  /** Returns sampled so far. */
  readonly returns: number;
  /** `NaN` until enough returns, or at zero variance. */
  readonly sharpe: number;
  /** Time of the last fill, ms; `NaN` before the first. */
  readonly lastFillTime: number;
  /** Positions in order of first fill (flat ones included). */
  readonly positions: readonly PositionSnapshot[];
}

/** The ledger's strategies seen as one account (what the gateway gauges show). */
export interface AccountSnapshot {
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly totalPnl: number;
  readonly maxDrawdown: number;
  /** Σ over symbols of |net quantity| × mark, USD. */
  readonly exposureUsd: number;
  /** Net quantity per symbol over all strategies, in order of first fill. */
  readonly positions: readonly { readonly symbol: string; readonly quantity: number; readonly mark: number }[];
}

/** The whole ledger state, as plain data. */
export interface LedgerSnapshot {
  readonly strategies: readonly StrategySnapshot[];
  readonly account: AccountSnapshot;
  /** Sampling periods that closed without a `sample` call inside them. */
  readonly skippedPeriods: number;
}
