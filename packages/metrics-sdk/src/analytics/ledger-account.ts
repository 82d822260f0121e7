import { DrawdownTracker } from './drawdown.js';
import type { AccountPublisher, AccountView, LedgerPublisher } from './ledger-publisher.js';
import { bindAll } from './publisher-fan-out.js';

/** Every strategy of a ledger together, as one account, with its bound publishers. @internal */
export class LedgerAccount implements AccountView {
  readonly drawdown = new DrawdownTracker(0);
  openPositions = 0;
  openSymbols = 0;
  // Realized, unrealized and gross exposure, in typed-array slots (see drawdown.ts).
  readonly #v = new Float64Array(3);
  readonly publisher: AccountPublisher;

  /** @param publishers - the ledger's publishers, bound to the account here */
  constructor(publishers: readonly LedgerPublisher[]) {
    this.publisher = bindAll(publishers, (p) => p.account?.(this));
  }

  get realizedPnl(): number {
    return this.#v[0] as number;
  }
  set realizedPnl(value: number) {
    this.#v[0] = value;
  }
  get unrealizedPnl(): number {
    return this.#v[1] as number;
  }
  set unrealizedPnl(value: number) {
    this.#v[1] = value;
  }
  get exposureUsd(): number {
    return this.#v[2] as number;
  }
  set exposureUsd(value: number) {
    this.#v[2] = value;
  }
  get totalPnl(): number {
    return (this.#v[0] as number) + (this.#v[1] as number);
  }
  get maxDrawdown(): number {
    return this.drawdown.maxDrawdown;
  }
}
