import type { AccountPublisher, AccountView, LedgerPublisher } from './ledger-publisher.js';
import { PnlState } from './pnl-state.js';
import { bindAll } from './publisher-fan-out.js';

/** Every strategy of a ledger together, as one account, with its bound publishers. @internal */
export class LedgerAccount extends PnlState implements AccountView {
  openPositions = 0;
  openSymbols = 0;
  readonly publisher: AccountPublisher;

  /** @param publishers - the ledger's publishers, bound to the account here */
  constructor(publishers: readonly LedgerPublisher[]) {
    // Slot 2: gross exposure.
    super(new Float64Array(3));
    this.publisher = bindAll(publishers, (p) => p.account?.(this));
  }

  get exposureUsd(): number {
    return this.slots[2] as number;
  }
  set exposureUsd(value: number) {
    this.slots[2] = value;
  }
}
