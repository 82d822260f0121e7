import type { Fill } from './fill.js';

/**
 * A closing fill whose quantity is within this fraction of the open position closes it exactly,
 * so float dust (0.1 + 0.2 − 0.3 = 5.5e-17) never leaves a phantom position. 1e-10 of a 1,000 BTC
 * position is 1e-7 BTC, far below any venue's lot size.
 */
export const QUANTITY_TOLERANCE = 1e-10;

// Slots of a position's state array.
const QUANTITY = 0;
const AVG_PRICE = 1;
const OPEN_FEES = 2;
const REALIZED_DELTA = 3;
const CLOSED_QUANTITY = 4;
const TRADE_PNL = 5;

/**
 * The position of one strategy in one symbol, by the average-cost method: buying into a long (or
 * selling into a short) moves the average entry price to the quantity-weighted mean; reducing
 * realizes `(price − average) × closed quantity` (sign-adjusted for a short) and leaves the average
 * unchanged; a fill larger than the position closes it and opens the rest on the other side at the
 * fill price (a flip through zero).
 *
 * Fees are realized when paid. For trade statistics, each closed trade also carries its share of
 * fees: the closing fill's fee pro rata to the closed quantity, plus the opening fees of the closed
 * quantity (opening fees are kept per position and released pro rata as it is reduced).
 *
 * `apply` writes its results into fields instead of returning an object, so it allocates nothing.
 *
 * @internal used by the trading ledger
 */
export class Position {
  // Doubles in a typed array, not fields: a field store boxes a new HeapNumber (see drawdown.ts).
  readonly #v = new Float64Array(6);

  /** Signed quantity: positive long, negative short. */
  get quantity(): number {
    return this.#v[QUANTITY] as number;
  }
  set quantity(value: number) {
    this.#v[QUANTITY] = value;
  }
  /** Average entry price of the open quantity; 0 when flat. */
  get avgPrice(): number {
    return this.#v[AVG_PRICE] as number;
  }
  set avgPrice(value: number) {
    this.#v[AVG_PRICE] = value;
  }
  /** Fees paid to open the quantity still open, in USD. */
  get openFees(): number {
    return this.#v[OPEN_FEES] as number;
  }
  set openFees(value: number) {
    this.#v[OPEN_FEES] = value;
  }
  /** Result of the last `apply`: realized PnL change, gross minus the whole fee, in USD. */
  get realizedDelta(): number {
    return this.#v[REALIZED_DELTA] as number;
  }
  set realizedDelta(value: number) {
    this.#v[REALIZED_DELTA] = value;
  }
  /** Result of the last `apply`: quantity closed (0 when the fill only opened or added). */
  get closedQuantity(): number {
    return this.#v[CLOSED_QUANTITY] as number;
  }
  set closedQuantity(value: number) {
    this.#v[CLOSED_QUANTITY] = value;
  }
  /** Result of the last `apply`: the closed trade's PnL after its share of fees (when `closedQuantity > 0`). */
  get tradePnl(): number {
    return this.#v[TRADE_PNL] as number;
  }
  set tradePnl(value: number) {
    this.#v[TRADE_PNL] = value;
  }

  /**
   * Books one fill.
   *
   * @param fill - a validated fill (its strategy and symbol are not read)
   */
  apply(fill: Fill): void {
    // The fill object is passed whole and its numbers read here: a double read from an object field
    // and passed on as an argument is boxed again (3 × 16 B per fill). Then straight typed-array
    // slots, no accessor calls: this path allocates nothing (bench/ledger.bench.ts).
    const size = fill.quantity;
    const price = fill.price;
    const fee = fill.fee === undefined ? 0 : fill.fee;
    const v = this.#v;
    const q = v[QUANTITY] as number;
    // Multiplying (not `buy ? size : -size`) keeps the value a raw double: a conditional that mixes
    // an argument with a computed double made TurboFan box the computed side (16 B per fill).
    const delta = (fill.side === 'buy' ? 1 : -1) * size;
    if (q === 0 || q > 0 === delta > 0) {
      // Open or add: weighted mean written as a correction, so equal prices keep the average exact.
      const held = Math.abs(q);
      const avg = v[AVG_PRICE] as number;
      if (q === 0) v[AVG_PRICE] = price;
      else v[AVG_PRICE] = avg + ((price - avg) * size) / (held + size);
      v[QUANTITY] = q + delta;
      v[OPEN_FEES] = (v[OPEN_FEES] as number) + fee;
      v[REALIZED_DELTA] = -fee;
      v[CLOSED_QUANTITY] = 0;
      v[TRADE_PNL] = 0;
      return;
    }
    const held = Math.abs(q);
    const direction = q > 0 ? 1 : -1;
    const avg = v[AVG_PRICE] as number;
    const openFees = v[OPEN_FEES] as number;
    if (Math.abs(size - held) <= QUANTITY_TOLERANCE * held) {
      // Exact close.
      const gross = direction * (price - avg) * held;
      v[REALIZED_DELTA] = gross - fee;
      v[TRADE_PNL] = gross - fee - openFees;
      v[CLOSED_QUANTITY] = held;
      v[QUANTITY] = 0;
      v[AVG_PRICE] = 0;
      v[OPEN_FEES] = 0;
    } else if (size < held) {
      // Partial close: the average stays; release the closed share of the opening fees.
      const gross = direction * (price - avg) * size;
      const openShare = (openFees * size) / held;
      v[REALIZED_DELTA] = gross - fee;
      v[TRADE_PNL] = gross - fee - openShare;
      v[CLOSED_QUANTITY] = size;
      v[QUANTITY] = q + delta;
      v[OPEN_FEES] = openFees - openShare;
    } else {
      // Flip: close all of `held`, open the rest on the other side at the fill price.
      const gross = direction * (price - avg) * held;
      const closeFee = (fee * held) / size;
      v[REALIZED_DELTA] = gross - fee;
      v[TRADE_PNL] = gross - closeFee - openFees;
      v[CLOSED_QUANTITY] = held;
      v[QUANTITY] = q + delta;
      v[AVG_PRICE] = price;
      v[OPEN_FEES] = fee - closeFee;
    }
  }

  /**
   * Unrealized PnL at a mark price.
   *
   * @param mark - the mark price
   * @returns `quantity × (mark − avgPrice)`, 0 when flat
   */
  unrealizedAt(mark: number): number {
    const v = this.#v;
    const q = v[QUANTITY] as number;
    return q === 0 ? 0 : q * (mark - (v[AVG_PRICE] as number));
  }
}
