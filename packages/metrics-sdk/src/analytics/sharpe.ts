import { LedgerInputError } from './input-error.js';
import { RunningStats } from './running-stats.js';

/** How a Sharpe ratio is computed from periodic returns. */
export interface SharpeOptions {
  /**
   * Return periods in a year: the ratio is multiplied by `√periodsPerYear`. 365 for daily returns
   * of a market that trades every day, 252 for trading days, 8760 for hourly returns around the clock.
   */
  readonly periodsPerYear: number;
  /**
   * Annual risk-free rate as a fraction (0.04 = 4 %), subtracted per period as
   * `riskFreeRate / periodsPerYear` (simple, not compounded). Default 0.
   */
  readonly riskFreeRate?: number;
  /** Returns needed before the ratio is defined; at least 2 (a standard deviation needs two). Default 2. */
  readonly minSamples?: number;
}

/**
 * Annualised Sharpe ratio of a stream of periodic returns:
 * `(mean(r) − rf / periodsPerYear) / stdev(r) × √periodsPerYear`, with the sample standard
 * deviation (`n − 1`), kept by Welford's method in O(1) per return. `NaN` while fewer than
 * `minSamples` returns have been added, and `NaN` when every return is the same (zero variance:
 * the ratio has no meaning, and ±Infinity would mislead a dashboard).
 *
 * @example
 * ```ts
 * const sharpe = new SharpeRatio({ periodsPerYear: 365 });
 * for (const r of [0.01, -0.005, 0.015]) sharpe.addReturn(r);
 * sharpe.value; // 0.6405… × √365 ≈ 12.24
 * ```
 */
export class SharpeRatio {
  readonly #stats = new RunningStats();
  readonly #sqrtPeriods: number;
  readonly #riskFreePerPeriod: number;
  readonly #minSamples: number;
  // The current ratio, in a typed array so storing it does not box (see drawdown.ts).
  readonly #value = Float64Array.of(Number.NaN);

  /**
   * @param options - annualisation, risk-free rate and minimum sample count
   * @throws LedgerInputError when an option is out of range
   */
  constructor(options: SharpeOptions) {
    const { periodsPerYear, riskFreeRate = 0, minSamples = 2 } = options;
    if (!(periodsPerYear > 0 && Number.isFinite(periodsPerYear))) {
      throw new LedgerInputError('periodsPerYear', periodsPerYear, 'must be a finite number > 0');
    }
    if (!Number.isFinite(riskFreeRate)) {
      throw new LedgerInputError('riskFreeRate', riskFreeRate, 'must be a finite number');
    }
    if (!(Number.isInteger(minSamples) && minSamples >= 2)) {
      throw new LedgerInputError('minSamples', minSamples, 'must be an integer ≥ 2');
    }
    this.#sqrtPeriods = Math.sqrt(periodsPerYear);
    this.#riskFreePerPeriod = riskFreeRate / periodsPerYear;
    this.#minSamples = minSamples;
  }

  /**
   * Adds one period's return and recomputes the ratio.
   *
   * @param r - the period's return, finite (a fraction of capital, or USD when the rate is 0)
   * @returns the ratio after this return, `NaN` while undefined
   */
  addReturn(r: number): number {
    const stats = this.#stats;
    stats.push(r);
    if (stats.count < this.#minSamples) return this.#value[0] as number;
    const stdev = stats.stdev;
    const value = stdev > 0 ? ((stats.mean - this.#riskFreePerPeriod) / stdev) * this.#sqrtPeriods : Number.NaN;
    this.#value[0] = value;
    return value;
  }

  /** The current ratio: `NaN` before `minSamples` returns or at zero variance. */
  get value(): number {
    return this.#value[0] as number;
  }

  /** Returns added so far. */
  get count(): number {
    return this.#stats.count;
  }

  /** Mean of the returns (`NaN` before the first). */
  get mean(): number {
    return this.#stats.mean;
  }

  /** Sample standard deviation of the returns (`NaN` below two). */
  get stdev(): number {
    return this.#stats.stdev;
  }
}
