/** How a closed trade is counted. */
export type TradeOutcome = 'win' | 'loss' | 'breakEven';

/**
 * A closed trade whose PnL after fees is within this many USD of zero counts as break-even:
 * exactly zero up to floating-point noise (a nano-dollar is far below any money amount).
 */
export const BREAK_EVEN_USD = 1e-9;

/**
 * Statistics of closed trades: counts of winning, losing and break-even trades, their sums, and the
 * derived win rate and averages. O(1) per trade.
 *
 * Conventions: a trade wins when its PnL after its share of fees is > 0, loses when < 0, and is
 * break-even when it is 0 (within {@link BREAK_EVEN_USD}); break-even trades are closed trades but
 * neither wins nor losses. Win rate = winning / closed trades (break-even included in the
 * denominator), so it stays in [0, 1]; it is undefined (`NaN`) before the first closed trade.
 *
 * @internal used by the trading ledger
 */
export class TradeStats {
  winning = 0;
  losing = 0;
  breakEven = 0;
  // Gross profit and gross loss in a typed array: a double stored in a field is boxed (see drawdown.ts).
  readonly #sums = new Float64Array(2);

  /** Sum of winning trades' PnL, USD, ≥ 0. */
  get grossProfit(): number {
    return this.#sums[0] as number;
  }

  /** Sum of losing trades' losses as a positive number, USD. */
  get grossLoss(): number {
    return this.#sums[1] as number;
  }

  /**
   * Counts one closed trade.
   *
   * @param pnl - the trade's PnL after its share of fees, USD
   * @returns how it was counted
   */
  record(pnl: number): TradeOutcome {
    if (pnl > BREAK_EVEN_USD) {
      this.winning++;
      this.#sums[0] += pnl;
      return 'win';
    }
    if (pnl < -BREAK_EVEN_USD) {
      this.losing++;
      this.#sums[1] -= pnl;
      return 'loss';
    }
    this.breakEven++;
    return 'breakEven';
  }

  /** Closed trades: winning + losing + break-even. */
  get closed(): number {
    return this.winning + this.losing + this.breakEven;
  }

  /** winning / closed, in [0, 1]; `NaN` before the first closed trade. */
  get winRate(): number {
    const closed = this.closed;
    return closed > 0 ? this.winning / closed : Number.NaN;
  }

  /** Mean PnL of winning trades, USD; `NaN` before the first win. */
  get avgProfit(): number {
    return this.winning > 0 ? this.grossProfit / this.winning : Number.NaN;
  }

  /** Mean loss of losing trades as a positive number, USD; `NaN` before the first loss. */
  get avgLoss(): number {
    return this.losing > 0 ? this.grossLoss / this.losing : Number.NaN;
  }
}
