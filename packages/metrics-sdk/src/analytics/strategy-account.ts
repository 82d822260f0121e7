import type {
  LedgerPublisher,
  PositionPublisher,
  PositionView,
  StrategyPublisher,
  StrategyView,
} from './ledger-publisher.js';
import { PnlState } from './pnl-state.js';
import { Position } from './position.js';
import { bindAll } from './publisher-fan-out.js';
import type { SharpeRatio } from './sharpe.js';
import type { SymbolTotals } from './symbol-totals.js';
import { TradeStats } from './trade-stats.js';

// One strategy's state in a ledger: its positions, PnL, drawdown, trade statistics and Sharpe
// sampling, with the publishers bound to it. The ledger engine changes it; publishers read it
// through StrategyView and PositionView.

/** Per-strategy state and its bound publishers. @internal */
export class StrategyAccount extends PnlState implements StrategyView {
  readonly name: string;
  /** NaN when returns are in USD. */
  readonly capitalBase: number;
  readonly positions = new Map<string, StrategyPosition>();
  readonly trades = new TradeStats();
  readonly sharpeRatio: SharpeRatio;
  openPositions = 0;
  buys = 0;
  sells = 0;
  hasBaseline = false;
  // Bound last in the constructor, once the state it reads exists; assigned once, so its shape is stable.
  readonly publisher: StrategyPublisher;

  /**
   * @param name - the strategy name
   * @param capitalBase - capital returns are measured against; NaN for returns in USD
   * @param sharpe - its Sharpe ratio
   * @param publishers - the ledger's publishers, bound to it here
   */
  constructor(name: string, capitalBase: number, sharpe: SharpeRatio, publishers: readonly LedgerPublisher[]) {
    // Slot 2: last fill time (NaN before the first); slot 3: equity at the last period boundary.
    super(Float64Array.of(0, 0, Number.NaN, 0));
    this.name = name;
    this.capitalBase = capitalBase;
    this.sharpeRatio = sharpe;
    this.publisher = bindAll(publishers, (p) => p.strategy?.(this));
  }

  get lastFillTime(): number {
    return this.slots[2] as number;
  }
  set lastFillTime(value: number) {
    this.slots[2] = value;
  }
  get sampledEquity(): number {
    return this.slots[3] as number;
  }
  set sampledEquity(value: number) {
    this.slots[3] = value;
  }
  get winningTrades(): number {
    return this.trades.winning;
  }
  get losingTrades(): number {
    return this.trades.losing;
  }
  get winRate(): number {
    return this.trades.winRate;
  }
  get avgProfit(): number {
    return this.trades.avgProfit;
  }
  get avgLoss(): number {
    return this.trades.avgLoss;
  }
  get sharpe(): number {
    return this.sharpeRatio.value;
  }
}

/** A strategy's position in one symbol, with its bound publishers. @internal */
export class StrategyPosition extends Position implements PositionView {
  readonly strategy: StrategyAccount;
  readonly totals: SymbolTotals;
  readonly #u = new Float64Array(1);
  readonly publisher: PositionPublisher;

  /**
   * @param strategy - the strategy holding it
   * @param totals - its symbol over all strategies (holds the mark)
   * @param publishers - the ledger's publishers, bound to it here
   */
  constructor(strategy: StrategyAccount, totals: SymbolTotals, publishers: readonly LedgerPublisher[]) {
    super();
    this.strategy = strategy;
    this.totals = totals;
    this.publisher = bindAll(publishers, (p) => p.position?.(this));
  }

  get symbol(): string {
    return this.totals.symbol;
  }
  get mark(): number {
    return this.totals.mark;
  }
  get valueUsd(): number {
    return this.quantity * this.totals.mark;
  }
  /** Unrealized PnL last added into the strategy's sum, USD. */
  get unrealizedPnl(): number {
    return this.#u[0] as number;
  }
  set unrealizedPnl(value: number) {
    this.#u[0] = value;
  }
}
