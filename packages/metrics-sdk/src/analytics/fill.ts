import { LedgerInputError } from './input-error.js';

/** Side of a fill: a buy adds to the position, a sell subtracts from it. */
export type FillSide = 'buy' | 'sell';

/** One execution of an order, as a strategy engine receives it from the gateway. */
export interface Fill {
  /** Registered strategy name (the `strategy` label). */
  readonly strategy: string;
  /** Instrument symbol as the venue spells it (`BTCUSDT`). */
  readonly symbol: string;
  readonly side: FillSide;
  /** Filled quantity in base units, finite and > 0. */
  readonly quantity: number;
  /** Fill price in USD per base unit, finite and > 0. */
  readonly price: number;
  /** Fee paid in USD, finite and ≥ 0 (rebates are not supported). Default 0. */
  readonly fee?: number;
  /** Execution time, ms since the epoch, finite. Fills are booked in call order, not sorted by time. */
  readonly time: number;
}

/**
 * Checks one fill's fields, without touching any state.
 *
 * @param fill - the fill as received (untyped callers may pass anything)
 * @param index - position in a batch, or `-1`
 * @throws LedgerInputError naming the first bad field
 * @internal
 */
export function validateFill(fill: unknown, index: number): asserts fill is Fill {
  if (fill === null || typeof fill !== 'object') {
    throw new LedgerInputError('fill', fill, 'expected a fill object', index);
  }
  // Each field is read once into a local and checked inline: a read of a double-valued field boxes
  // it when this function runs below the optimizing tier, so fewer reads mean less garbage there.
  const f = fill as Record<string, unknown>;
  checkName('strategy', f.strategy, index);
  checkName('symbol', f.symbol, index);
  const side = f.side;
  if (side !== 'buy' && side !== 'sell') {
    throw new LedgerInputError('side', side, 'must be "buy" or "sell"', index);
  }
  const quantity = f.quantity;
  if (!(typeof quantity === 'number' && quantity > 0 && quantity < Number.POSITIVE_INFINITY)) {
    throw new LedgerInputError('quantity', quantity, 'must be a finite number > 0', index);
  }
  const price = f.price;
  if (!(typeof price === 'number' && price > 0 && price < Number.POSITIVE_INFINITY)) {
    throw new LedgerInputError('price', price, 'must be a finite number > 0', index);
  }
  const fee = f.fee;
  if (fee !== undefined && !(typeof fee === 'number' && fee >= 0 && fee < Number.POSITIVE_INFINITY)) {
    throw new LedgerInputError('fee', fee, 'must be a finite number ≥ 0 (or omitted)', index);
  }
  const time = f.time;
  if (!(typeof time === 'number' && time - time === 0)) {
    throw new LedgerInputError('time', time, 'must be a finite time in ms', index);
  }
}

/** @internal true for a finite number > 0 (NaN fails the first compare) */
export function isPositiveFinite(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value < Number.POSITIVE_INFINITY;
}

/** @internal checks a strategy or symbol name */
export function checkName(field: string, value: unknown, index: number): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new LedgerInputError(field, value, 'must be a non-empty string', index);
  }
}
