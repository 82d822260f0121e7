import type { SymbolPublisher, SymbolView } from './ledger-publisher.js';
import type { StrategyPosition } from './strategy-account.js';

/** One symbol across the strategies of a ledger: its mark and the account's net position. @internal */
export class SymbolTotals implements SymbolView {
  readonly symbol: string;
  readonly positions: StrategyPosition[] = [];
  /** Bound at the symbol's first fill (a mark alone publishes nothing), so undefined until then. */
  publisher: SymbolPublisher | undefined = undefined;
  // mark, net quantity, exposure: typed-array slots (see drawdown.ts).
  readonly #v = Float64Array.of(Number.NaN, 0, 0);

  /** @param symbol - the symbol */
  constructor(symbol: string) {
    this.symbol = symbol;
  }

  /** Last mark price; NaN until the first mark or fill. */
  get mark(): number {
    return this.#v[0] as number;
  }
  set mark(value: number) {
    this.#v[0] = value;
  }
  /** Net quantity over the strategies. */
  get netQuantity(): number {
    return this.#v[1] as number;
  }
  set netQuantity(value: number) {
    this.#v[1] = value;
  }
  /** |net| × mark last added into the account's exposure. */
  get exposureUsd(): number {
    return this.#v[2] as number;
  }
  set exposureUsd(value: number) {
    this.#v[2] = value;
  }
}
