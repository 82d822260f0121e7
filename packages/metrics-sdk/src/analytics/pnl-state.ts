import { DrawdownTracker } from './drawdown.js';

/**
 * Realized and unrealized PnL and their drawdown: what a strategy and the whole account share. The
 * doubles live in a typed array (a field store would box them; see drawdown.ts): slot 0 realized,
 * slot 1 unrealized, further slots the subclass's own.
 *
 * @internal
 */
export class PnlState {
  readonly drawdown = new DrawdownTracker(0);
  protected readonly slots: Float64Array;

  /** @param slots - at least two slots, 0 and 1 zero; the rest are the subclass's */
  constructor(slots: Float64Array) {
    this.slots = slots;
  }

  /** Realized PnL net of fees, USD. */
  get realizedPnl(): number {
    return this.slots[0] as number;
  }
  set realizedPnl(value: number) {
    this.slots[0] = value;
  }
  /** Σ unrealized PnL of the positions, USD (running sum). */
  get unrealizedPnl(): number {
    return this.slots[1] as number;
  }
  set unrealizedPnl(value: number) {
    this.slots[1] = value;
  }
  get totalPnl(): number {
    return (this.slots[0] as number) + (this.slots[1] as number);
  }
  get maxDrawdown(): number {
    return this.drawdown.maxDrawdown;
  }
}
