import type { InvalidValueHook, InvalidValueReason } from './invalid.js';
import type { FamilyStats } from './series-reader.js';

/**
 * Where one family's handles send a value they drop: counts it in the family's stats and calls the
 * catalog's `onInvalidValue` hook. Each handle holds its family's sink and reaches it only on the
 * slow path, so a record stays one guard and one typed-array write and allocates nothing.
 *
 * @internal built by the family, one per family
 */
export class DropSink {
  readonly #metric: string;
  readonly #stats: FamilyStats;
  readonly #onInvalidValue: InvalidValueHook;

  /**
   * @param metric - wire name of the family, for the hook's event
   * @param stats - the family's stats, whose `dropped` this counts
   * @param onInvalidValue - the catalog's hook
   */
  constructor(metric: string, stats: FamilyStats, onInvalidValue: InvalidValueHook) {
    this.#metric = metric;
    this.#stats = stats;
    this.#onInvalidValue = onInvalidValue;
  }

  /**
   * Counts one dropped value and calls the hook. Never throws unless the hook does (tests install a
   * throwing hook to stay strict).
   *
   * @param value - the value that failed the record's guard
   */
  drop(value: number): void {
    this.#stats.dropped++;
    // Non-finite first: -Infinity is dropped for being infinite (a gauge accepts negatives).
    const reason: InvalidValueReason = value - value === 0 ? 'negative' : 'not-finite';
    this.#onInvalidValue({ metric: this.#metric, value, reason });
  }
}
