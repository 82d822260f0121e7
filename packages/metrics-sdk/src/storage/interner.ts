/**
 * What the resolver, the slow path and the exposition use of an open label's interner: the
 * unshared {@link OpenLabelInterner}, or the shared one of a catalog shared across threads.
 *
 * @internal
 */
export interface LabelInterner {
  /** value → ordinal, read on the hot path. */
  readonly ordinals: Map<string, number>;
  /** ordinal → value. */
  readonly values: readonly string[];
  readonly budget: number;
  admits(value: string): boolean;
  /** The ordinal of `value`, added when there is room, else −1. */
  intern(value: string): number;
  /** Reads values other threads added (a shared interner); nothing for an unshared one. */
  sync(): void;
}

/**
 * Maps the values of one open label to dense ordinals `0 … budget-1`. Append-only: an ordinal, once
 * given, keeps its value for the life of the storage, so bound handles never go stale (removing a
 * series hides it; it does not give its ordinal to another value).
 *
 * @internal
 */
export class OpenLabelInterner implements LabelInterner {
  /** value → ordinal; read on the hot path (V8 caches a string's hash, so `get` does not rehash). */
  readonly ordinals = new Map<string, number>();
  /** ordinal → value, for exposition. */
  readonly values: string[] = [];
  readonly budget: number;

  constructor(budget: number) {
    this.budget = budget;
  }

  /** Nothing to do: only this thread adds values. */
  sync(): void {}

  /** True when `value` has an ordinal or one is still free. */
  admits(value: string): boolean {
    return this.values.length < this.budget || this.ordinals.has(value);
  }

  /**
   * Slow path: returns the ordinal of `value`, adding it when the budget allows, else `-1` (the
   * caller folds the record into the metric's overflow series).
   */
  intern(value: string): number {
    const known = this.ordinals.get(value);
    if (known !== undefined) return known;
    if (this.values.length >= this.budget) return -1;
    const ordinal = this.values.length;
    this.values.push(value);
    this.ordinals.set(value, ordinal);
    return ordinal;
  }
}
