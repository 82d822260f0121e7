import type { FillSide } from './fill.js';
import type { TradeOutcome } from './trade-stats.js';

// What the ledger tells the outside world, and what it lets it read. A publisher is bound once per
// strategy, position, symbol and account, the way a metric handle is bound once per series: a bound
// publisher keeps its view and its handles, so a call on the fill and mark paths passes at most a
// flag or a side and allocates nothing (bench/ledger.bench.ts: 0 B/op for onMark). Views, not
// numbers, cross the interface because a computed double passed to a call that is not inlined is
// boxed (16 B).

/** One strategy's live state, read by a {@link StrategyPublisher}. Read it when called; it changes in place. */
export interface StrategyView {
  /** The strategy name (the `strategy` label). */
  readonly name: string;
  /** Realized PnL net of fees, USD. */
  readonly realizedPnl: number;
  /** Σ unrealized PnL of the open positions, USD. */
  readonly unrealizedPnl: number;
  /** realized + unrealized, USD. */
  readonly totalPnl: number;
  /** Largest peak-to-trough fall of the total PnL so far, USD, ≥ 0. */
  readonly maxDrawdown: number;
  /** Buy fills booked. */
  readonly buys: number;
  /** Sell fills booked. */
  readonly sells: number;
  /** Closed trades with a profit. */
  readonly winningTrades: number;
  /** Closed trades with a loss. */
  readonly losingTrades: number;
  /** winning / closed; `NaN` before the first closed trade. */
  readonly winRate: number;
  /** Mean profit of winning trades, USD; `NaN` before the first win. */
  readonly avgProfit: number;
  /** Mean loss of losing trades as a positive number, USD; `NaN` before the first loss. */
  readonly avgLoss: number;
  /** The Sharpe ratio; `NaN` until enough returns, or at zero variance. */
  readonly sharpe: number;
}

/** One strategy's position in one symbol, read by a {@link PositionPublisher}. */
export interface PositionView {
  /** The strategy holding it. */
  readonly strategy: StrategyView;
  /** The symbol. */
  readonly symbol: string;
  /** Signed quantity: positive long, negative short. */
  readonly quantity: number;
  /** Average entry price; 0 when flat. */
  readonly avgPrice: number;
  /** The symbol's last mark (the first fill price until a mark arrives). */
  readonly mark: number;
  /** `quantity × (mark − avgPrice)`, USD. */
  readonly unrealizedPnl: number;
  /** `quantity × mark`, USD, signed. */
  readonly valueUsd: number;
}

/** One symbol over all strategies of a ledger, read by a {@link SymbolPublisher}. */
export interface SymbolView {
  /** The symbol. */
  readonly symbol: string;
  /** Net quantity over the strategies. */
  readonly netQuantity: number;
  /** Last mark price. */
  readonly mark: number;
  /** `|netQuantity| × mark`, USD. */
  readonly exposureUsd: number;
}

/** All strategies of a ledger as one account, read by an {@link AccountPublisher}. */
export interface AccountView {
  /** Realized PnL net of fees, USD. */
  readonly realizedPnl: number;
  /** Unrealized PnL, USD. */
  readonly unrealizedPnl: number;
  /** realized + unrealized, USD. */
  readonly totalPnl: number;
  /** Largest peak-to-trough fall of the account's total PnL, USD, ≥ 0. */
  readonly maxDrawdown: number;
  /** Σ over symbols of |net quantity| × mark, USD. */
  readonly exposureUsd: number;
}

/** Publishes one strategy; returned by {@link LedgerPublisher.strategy} when it is registered. */
export interface StrategyPublisher {
  /**
   * Its PnL may have changed (after a fill, or a mark of a symbol it holds).
   *
   * @param maxDrawdownGrew - `true` when `maxDrawdown` rose with this change
   */
  pnlChanged(maxDrawdownGrew: boolean): void;
  /**
   * A fill was booked for it.
   *
   * @param side - the fill's side
   */
  filled(side: FillSide): void;
  /**
   * A fill closed a trade (the trade statistics have changed).
   *
   * @param outcome - how the trade was counted
   */
  tradeClosed(outcome: TradeOutcome): void;
  /** A return was sampled, so `sharpe` may have changed. */
  sharpeSampled(): void;
}

/** Publishes one position; returned by {@link LedgerPublisher.position} at its first fill. */
export interface PositionPublisher {
  /** Its quantity or mark changed. */
  positionChanged(): void;
}

/** Publishes one symbol; returned by {@link LedgerPublisher.symbol} at its first fill. */
export interface SymbolPublisher {
  /** Its net quantity was recomputed after a fill. */
  netChanged(): void;
}

/** Publishes the account; returned by {@link LedgerPublisher.account} when the ledger is built. */
export interface AccountPublisher {
  /**
   * Its PnL or exposure may have changed.
   *
   * @param maxDrawdownGrew - `true` when `maxDrawdown` rose with this change
   */
  accountChanged(maxDrawdownGrew: boolean): void;
}

/**
 * Where a {@link TradingLedger} sends what changed. Each method binds one part of the ledger's state
 * once, when it first exists, and returns what publishes it from then on; leave a method out to skip
 * that part. {@link StrategyMetricsPublisher} and {@link GatewayMetricsPublisher} are the built-in ones.
 *
 * @example
 * ```ts
 * const pnlLog: LedgerPublisher = {
 *   strategy: (view) => ({
 *     pnlChanged: () => console.log(view.name, view.totalPnl),
 *     filled: () => {},
 *     tradeClosed: () => {},
 *     sharpeSampled: () => {},
 *   }),
 * };
 * const ledger = new TradingLedger({ publishers: [pnlLog] });
 * ```
 */
export interface LedgerPublisher {
  /**
   * Binds a strategy as it is registered.
   *
   * @param view - its live state
   * @returns what publishes it
   */
  strategy?(view: StrategyView): StrategyPublisher;
  /**
   * Binds a strategy's position in a symbol at its first fill.
   *
   * @param view - its live state
   * @returns what publishes it
   */
  position?(view: PositionView): PositionPublisher;
  /**
   * Binds a symbol at its first fill by any strategy.
   *
   * @param view - its live state
   * @returns what publishes it
   */
  symbol?(view: SymbolView): SymbolPublisher;
  /**
   * Binds the account when the ledger is built.
   *
   * @param view - its live state
   * @returns what publishes it
   */
  account?(view: AccountView): AccountPublisher;
}
