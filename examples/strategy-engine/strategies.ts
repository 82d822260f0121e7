import type { Side } from '../shared/protocol.js';

// Two small signal generators and the order rule they share. A strategy sees one price at a time and
// answers with a target position in lots (−maxLots … +maxLots); planOrder turns the target and the
// position booked from fills into at most one lot-sized order. No clock, no I/O: tests feed price
// paths and read the targets.

/** The strategy kinds `ENGINE_STRATEGIES` can name. */
export const STRATEGY_KINDS = ['ma_cross', 'mean_revert'] as const;
export type StrategyKind = (typeof STRATEGY_KINDS)[number];

/** Tunables of the two strategies. */
export interface StrategyParams {
  /** Fast moving-average window, prices. */
  readonly maFast: number;
  /** Slow moving-average window, prices (> maFast). */
  readonly maSlow: number;
  /** Hysteresis: the fast average must clear the slow one by this fraction to flip the regime. */
  readonly maBand: number;
  /** Mean-reversion window, prices. */
  readonly mrWindow: number;
  /** |z| at or above which the strategy fades the move. */
  readonly mrEntryZ: number;
  /** |z| at or below which it goes flat again (< mrEntryZ). */
  readonly mrExitZ: number;
}

/** A signal generator: one price in, the wanted position out. */
export interface Strategy {
  readonly kind: StrategyKind;
  /**
   * Feeds the next price (finite, > 0).
   *
   * @param price - the latest price of the strategy's symbol
   * @returns the target position in lots, from −maxLots to +maxLots; `NaN` while warming up
   */
  onPrice(price: number): number;
}

/**
 * A fixed-size window of the last prices with a running sum and sum of squares.
 *
 * The sums are recomputed from the ring each time it wraps, so floating-point drift from adding and
 * subtracting prices never grows past one window's worth (O(1) per price, amortized).
 */
export class PriceWindow {
  readonly #values: Float64Array;
  #next = 0;
  #count = 0;
  #sum = 0;
  #sumSq = 0;

  /** @param size - the window length, ≥ 1 */
  constructor(size: number) {
    if (!(Number.isInteger(size) && size >= 1))
      throw new RangeError(`PriceWindow: size ${size} must be an integer ≥ 1`);
    this.#values = new Float64Array(size);
  }

  /**
   * Adds a price, evicting the oldest when full.
   *
   * @param price - the price
   */
  push(price: number): void {
    const size = this.#values.length;
    if (this.#count === size) {
      const old = this.#values[this.#next] as number;
      this.#sum -= old;
      this.#sumSq -= old * old;
    } else this.#count++;
    this.#values[this.#next] = price;
    this.#sum += price;
    this.#sumSq += price * price;
    this.#next = (this.#next + 1) % size;
    if (this.#next === 0) this.#resum();
  }

  /** True once `size` prices were pushed. */
  get full(): boolean {
    return this.#count === this.#values.length;
  }

  /** Mean of the prices in the window (NaN when empty). */
  get mean(): number {
    return this.#count === 0 ? Number.NaN : this.#sum / this.#count;
  }

  /** Sample standard deviation (n − 1) of the window; NaN below two prices. */
  get stdev(): number {
    const n = this.#count;
    if (n < 2) return Number.NaN;
    const mean = this.#sum / n;
    // Clamp: cancellation can leave a tiny negative variance for a constant series.
    const variance = Math.max(0, (this.#sumSq - n * mean * mean) / (n - 1));
    return Math.sqrt(variance);
  }

  #resum(): void {
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < this.#count; i++) {
      const v = this.#values[i] as number;
      sum += v;
      sumSq += v * v;
    }
    this.#sum = sum;
    this.#sumSq = sumSq;
  }
}

/**
 * Moving-average cross: long `maxLots` while the fast average is above the slow one by more than
 * `band`, short while below by more than `band`; inside the band the last regime holds (flat before
 * the first cross).
 */
export class MovingAverageCross implements Strategy {
  readonly kind = 'ma_cross';
  readonly #fast: PriceWindow;
  readonly #slow: PriceWindow;
  readonly #band: number;
  readonly #maxLots: number;
  #target = 0;

  /**
   * @param params - window lengths and band
   * @param maxLots - position limit in lots
   */
  constructor(params: Pick<StrategyParams, 'maFast' | 'maSlow' | 'maBand'>, maxLots: number) {
    this.#fast = new PriceWindow(params.maFast);
    this.#slow = new PriceWindow(params.maSlow);
    this.#band = params.maBand;
    this.#maxLots = maxLots;
  }

  onPrice(price: number): number {
    this.#fast.push(price);
    this.#slow.push(price);
    if (!this.#slow.full) return Number.NaN;
    const fast = this.#fast.mean;
    const slow = this.#slow.mean;
    if (fast > slow * (1 + this.#band)) this.#target = this.#maxLots;
    else if (fast < slow * (1 - this.#band)) this.#target = -this.#maxLots;
    return this.#target;
  }
}

/**
 * Mean reversion on the z-score of the price in a rolling window: short `maxLots` at z ≥ entry, long
 * at z ≤ −entry, flat once |z| ≤ exit; between exit and entry the position holds.
 */
export class MeanReversion implements Strategy {
  readonly kind = 'mean_revert';
  readonly #window: PriceWindow;
  readonly #entry: number;
  readonly #exit: number;
  readonly #maxLots: number;
  #target = 0;
  #z = Number.NaN;

  /**
   * @param params - window length and z thresholds
   * @param maxLots - position limit in lots
   */
  constructor(params: Pick<StrategyParams, 'mrWindow' | 'mrEntryZ' | 'mrExitZ'>, maxLots: number) {
    this.#window = new PriceWindow(params.mrWindow);
    this.#entry = params.mrEntryZ;
    this.#exit = params.mrExitZ;
    this.#maxLots = maxLots;
  }

  /** The z-score of the last price, NaN while warming up or on a flat window. */
  get z(): number {
    return this.#z;
  }

  onPrice(price: number): number {
    this.#window.push(price);
    if (!this.#window.full) return Number.NaN;
    const sd = this.#window.stdev;
    if (!(sd > 0)) {
      this.#z = Number.NaN;
      return this.#target;
    }
    const z = (price - this.#window.mean) / sd;
    this.#z = z;
    if (z >= this.#entry) this.#target = -this.#maxLots;
    else if (z <= -this.#entry) this.#target = this.#maxLots;
    else if (Math.abs(z) <= this.#exit) this.#target = 0;
    return this.#target;
  }
}

/**
 * Creates a strategy of a kind.
 *
 * @param kind - `ma_cross` or `mean_revert`
 * @param params - tunables
 * @param maxLots - position limit in lots
 * @returns the strategy
 */
export function createStrategy(kind: StrategyKind, params: StrategyParams, maxLots: number): Strategy {
  return kind === 'ma_cross' ? new MovingAverageCross(params, maxLots) : new MeanReversion(params, maxLots);
}

/** An order a strategy wants to send. */
export interface PlannedOrder {
  readonly side: Side;
  readonly quantity: number;
}

// Below this fraction of a lot, a difference is rounding, not a reason to trade.
const LOT_TOLERANCE = 1e-9;

/**
 * The next order towards a target, one lot at a time, inside the position limit: an order is allowed
 * when it reduces |position| or leaves |position| ≤ maxLots × lot.
 *
 * @param targetLots - wanted position in lots (NaN: no opinion yet)
 * @param position - the position booked from fills, base units
 * @param lot - order size, base units
 * @param maxLots - position limit in lots
 * @returns the order, or `undefined` when at target (or the order would break the limit)
 */
export function planOrder(
  targetLots: number,
  position: number,
  lot: number,
  maxLots: number,
): PlannedOrder | undefined {
  if (Number.isNaN(targetLots)) return undefined;
  const tolerance = lot * LOT_TOLERANCE;
  const diff = targetLots * lot - position;
  if (Math.abs(diff) <= tolerance) return undefined;
  const side: Side = diff > 0 ? 'buy' : 'sell';
  // Partial fills can leave an odd remainder: trade it, never more than a lot. A difference within
  // rounding of a lot is a lot, so 0.03 − 0.02 sends 0.01, not 0.009999999999999998.
  const gap = Math.abs(diff);
  const quantity = gap >= lot - tolerance ? lot : Number(gap.toPrecision(12));
  const after = position + (side === 'buy' ? quantity : -quantity);
  const limit = maxLots * lot + tolerance;
  if (Math.abs(after) > limit && Math.abs(after) >= Math.abs(position)) return undefined;
  return { side, quantity };
}
