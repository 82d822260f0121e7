import { LedgerInputError } from './input-error.js';

const NEXT = 0;
const LAST = 1;

/**
 * A fixed grid of sampling periods, anchored at the first reading: boundaries at
 * `anchor + k × periodMs`. The ledger asks it, on each `sample(now)`, whether a boundary was crossed.
 * Grid-aligned boundaries keep the periods equal even when the caller's timer jitters.
 */
export class PeriodGrid {
  readonly periodMs: number;
  #anchored = false;
  #skipped = 0;
  // Next boundary and last reading, ms: typed-array slots, since a double field store boxes (see drawdown.ts).
  readonly #t = Float64Array.of(0, Number.NEGATIVE_INFINITY);

  /**
   * @param periodMs - length of one period in milliseconds, > 0
   * @throws LedgerInputError when `periodMs` is not a finite number > 0
   */
  constructor(periodMs: number) {
    if (!(periodMs > 0 && Number.isFinite(periodMs))) {
      throw new LedgerInputError('sharpe.periodMs', periodMs, 'must be a finite number > 0');
    }
    this.periodMs = periodMs;
  }

  /**
   * Reads the clock. The first reading anchors the grid and returns `true` (the caller takes its
   * baseline then). Later readings return `true` once per boundary crossed; a reading that crosses
   * several boundaries at once (the caller missed periods) returns `true` once and counts the
   * periods it skipped. A reading earlier than the previous one is ignored.
   *
   * @param now - the time in ms, finite
   * @returns `true` when a period closed (or the grid was anchored)
   * @throws LedgerInputError when `now` is not finite
   */
  advance(now: number): boolean {
    if (!Number.isFinite(now)) throw new LedgerInputError('now', now, 'must be a finite time in ms');
    const t = this.#t;
    if (!this.#anchored) {
      this.#anchored = true;
      t[NEXT] = now + this.periodMs;
      t[LAST] = now;
      return true;
    }
    if (now < (t[LAST] as number)) return false;
    t[LAST] = now;
    const next = t[NEXT] as number;
    if (now < next) return false;
    const crossed = Math.floor((now - next) / this.periodMs) + 1;
    this.#skipped += crossed - 1;
    t[NEXT] = next + crossed * this.periodMs;
    return true;
  }

  /** Whether the first reading has happened. */
  get anchored(): boolean {
    return this.#anchored;
  }

  /** Periods that closed without a reading inside them (their change went into the next return). */
  get skipped(): number {
    return this.#skipped;
  }
}
