/**
 * Maps the values of one open label to dense ordinals `0 … budget-1`; the ordinal `budget` is the
 * overflow slot. Append-only: an ordinal, once given, keeps its value for the life of the storage,
 * so bound handles never go stale.
 *
 * @internal
 */
export class OpenLabelInterner {
  /** value → ordinal; read on the hot path (V8 caches a string's hash, so `get` does not rehash). */
  readonly ordinals = new Map<string, number>();
  /** ordinal → value, for exposition. */
  readonly values: string[] = [];
  readonly budget: number;

  constructor(budget: number) {
    this.budget = budget;
  }

  /** The overflow ordinal: where values past the budget go. */
  get overflow(): number {
    return this.budget;
  }

  /**
   * Slow path: returns the ordinal of `value`, adding it when the budget allows, else the overflow
   * ordinal.
   */
  intern(value: string): number {
    const known = this.ordinals.get(value);
    if (known !== undefined) return known;
    if (this.values.length >= this.budget) return this.budget;
    const ordinal = this.values.length;
    this.values.push(value);
    this.ordinals.set(value, ordinal);
    return ordinal;
  }
}
