// Slots of the state array. Doubles live in a Float64Array, not in fields: a double stored into an
// object field is boxed as a fresh HeapNumber on each store (16 B), which put onMark at 32–48 B/op;
// typed-array stores allocate nothing (bench/ledger.bench.ts).
const PEAK = 0;
const EQUITY = 1;
const MAX_DRAWDOWN = 2;

/**
 * Running peak and maximum drawdown of an equity curve, in the curve's unit (USD for the ledger).
 * The drawdown at a point is `peak − equity`, where the peak is the highest equity seen so far,
 * including the starting value; the maximum drawdown is the largest of those, so it is ≥ 0 and
 * never decreases. O(1) per point, no allocation.
 *
 * @example
 * ```ts
 * const dd = new DrawdownTracker(); // the curve starts at 0
 * dd.update(50); dd.update(-20); dd.update(80);
 * dd.maxDrawdown; // 70 (from 50 down to -20)
 * dd.drawdown; // 0 (at a new peak)
 * ```
 */
export class DrawdownTracker {
  readonly #v = new Float64Array(3);

  /**
   * @param start - the first point of the curve (the ledger starts every curve at 0 USD)
   */
  constructor(start = 0) {
    this.#v[PEAK] = start;
    this.#v[EQUITY] = start;
  }

  /**
   * Adds the next point of the curve.
   *
   * @param equity - the curve's current value, finite
   * @returns `true` when the maximum drawdown grew
   */
  update(equity: number): boolean {
    const v = this.#v;
    v[EQUITY] = equity;
    const peak = v[PEAK] as number;
    if (equity > peak) {
      v[PEAK] = equity;
      return false;
    }
    const drawdown = peak - equity;
    if (drawdown > (v[MAX_DRAWDOWN] as number)) {
      v[MAX_DRAWDOWN] = drawdown;
      return true;
    }
    return false;
  }

  /** Highest value of the curve so far. */
  get peak(): number {
    return this.#v[PEAK] as number;
  }

  /** The latest value of the curve. */
  get equity(): number {
    return this.#v[EQUITY] as number;
  }

  /** Current fall from the peak, ≥ 0. */
  get drawdown(): number {
    return (this.#v[PEAK] as number) - (this.#v[EQUITY] as number);
  }

  /** Largest fall from a running peak so far, ≥ 0 and non-decreasing. */
  get maxDrawdown(): number {
    return this.#v[MAX_DRAWDOWN] as number;
  }
}
