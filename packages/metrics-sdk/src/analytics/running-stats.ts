/**
 * Streaming count, mean and variance of a series of numbers by Welford's method: O(1) per value,
 * no history kept, and numerically stable (no `Σx² − (Σx)²/n` cancellation).
 *
 * @example
 * ```ts
 * const stats = new RunningStats();
 * for (const r of [0.01, -0.005, 0.015]) stats.push(r);
 * stats.mean; // 0.00666…
 * stats.stdev; // sample standard deviation, 0.0104…
 * ```
 */
export class RunningStats {
  #count = 0;
  // [mean, M2 = Σ squared deviations from the current mean], in a typed array: a double stored in a
  // field is boxed on every store (see drawdown.ts).
  readonly #v = new Float64Array(2);

  /**
   * Adds one value. The caller guarantees it is finite (the ledger validates its inputs).
   *
   * @param x - the value
   */
  push(x: number): void {
    const v = this.#v;
    const count = this.#count + 1;
    const mean = v[0] as number;
    const delta = x - mean;
    const next = mean + delta / count;
    v[0] = next;
    v[1] = (v[1] as number) + delta * (x - next);
    this.#count = count;
  }

  /** Forgets every value. */
  reset(): void {
    this.#count = 0;
    this.#v.fill(0);
  }

  /** Number of values pushed. */
  get count(): number {
    return this.#count;
  }

  /** Arithmetic mean; `NaN` before the first value. */
  get mean(): number {
    return this.#count > 0 ? (this.#v[0] as number) : Number.NaN;
  }

  /** Sample variance (divides by `n − 1`); `NaN` below two values. */
  get variance(): number {
    // M2 can come out a hair below zero only through rounding; clamp so stdev stays real.
    return this.#count > 1 ? Math.max(0, this.#v[1] as number) / (this.#count - 1) : Number.NaN;
  }

  /** Population variance (divides by `n`); `NaN` before the first value. */
  get populationVariance(): number {
    return this.#count > 0 ? Math.max(0, this.#v[1] as number) / this.#count : Number.NaN;
  }

  /** Sample standard deviation; `NaN` below two values. */
  get stdev(): number {
    return Math.sqrt(this.variance);
  }
}
