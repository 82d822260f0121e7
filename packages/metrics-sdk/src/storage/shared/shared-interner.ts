import { SpinLock } from './spin-lock.js';

// The open-label interner of a catalog shared across worker threads. Every thread keeps the local
// view the resolver reads (a Map from value to ordinal, and the values by ordinal), as the unshared
// interner does, so a known value costs the same lookup. Only a value this thread has not seen
// takes the slow path: under a lock held for microseconds, the thread first reads the values other
// threads added since it last looked, then adds its own if it is new and the budget has room. The
// budget is therefore global, and a value gets one ordinal whichever threads intern it, at the same
// time or not.
//
// Memory, one SharedArrayBuffer per open label:
//   Int32 header: [0] the lock, [1] values interned, [2] arena bytes used
//   Int32 starts[budget], Int32 lengths[budget]: each value's UTF-8 bytes in the arena
//   Uint8 arena[arenaBytes]

const LOCK = 0;
const COUNT = 1;
const USED = 2;
const HEADER = 3;

/** The transferable description of one open label's shared interner (part of a shared catalog's descriptor). */
export interface SharedInternerDescriptor {
  readonly buffer: SharedArrayBuffer;
  readonly budget: number;
  readonly arenaBytes: number;
}

/** Why {@link SharedOpenLabelInterner.intern} returned −1. @internal */
export type InternRefusal = 'budget' | 'arena';

/**
 * Maps the values of one open label to dense ordinals across every thread that attached the
 * shared catalog. Same contract as the unshared interner: append-only, `admits` / `intern`,
 * `ordinals` and `values` read on this thread.
 *
 * @internal
 */
export class SharedOpenLabelInterner {
  /** value → ordinal, this thread's view (kept in step by {@link sync}). */
  readonly ordinals = new Map<string, number>();
  /** ordinal → value, this thread's view. */
  readonly values: string[] = [];
  readonly budget: number;
  /** Why the last refused `intern` refused. */
  lastRefusal: InternRefusal | undefined;
  readonly #header: Int32Array;
  readonly #starts: Int32Array;
  readonly #lengths: Int32Array;
  readonly #arena: Uint8Array;
  readonly #lock: SpinLock;
  readonly #descriptor: SharedInternerDescriptor;

  /**
   * Allocates the shared memory of a new interner.
   *
   * @param budget - the open label's budget
   * @param arenaBytes - room for the values' UTF-8 bytes; a value that no longer fits is refused
   *   like one past the budget
   */
  static create(budget: number, arenaBytes: number): SharedOpenLabelInterner {
    const bytes = (HEADER + 2 * budget) * 4 + arenaBytes;
    return new SharedOpenLabelInterner({ buffer: new SharedArrayBuffer(bytes), budget, arenaBytes });
  }

  /** Attaches to an interner created in this or another thread. */
  constructor(descriptor: SharedInternerDescriptor) {
    const { buffer, budget, arenaBytes } = descriptor;
    this.budget = budget;
    this.#descriptor = descriptor;
    this.#header = new Int32Array(buffer, 0, HEADER);
    this.#starts = new Int32Array(buffer, HEADER * 4, budget);
    this.#lengths = new Int32Array(buffer, (HEADER + budget) * 4, budget);
    this.#arena = new Uint8Array(buffer, (HEADER + 2 * budget) * 4, arenaBytes);
    this.#lock = new SpinLock(this.#header, LOCK);
    this.sync();
  }

  /** What another thread needs to attach: post it in a message or `workerData`. */
  get descriptor(): SharedInternerDescriptor {
    return this.#descriptor;
  }

  /** True when `value` has an ordinal or one may still be free (another thread may take it first). */
  admits(value: string): boolean {
    return this.ordinals.has(value) || Atomics.load(this.#header, COUNT) < this.budget;
  }

  /**
   * Returns the ordinal of `value`, adding it when the budget and the arena allow, else −1 (the
   * caller folds the record into the overflow series; {@link lastRefusal} says why).
   */
  intern(value: string): number {
    const known = this.ordinals.get(value);
    if (known !== undefined) return known;
    const encoded = Buffer.from(value, 'utf8');
    // What every other thread will read back: differs from `value` only where it holds a lone
    // surrogate (UTF-8 has none; it becomes U+FFFD), so both spellings must find one ordinal.
    const canonical = encoded.toString('utf8');
    this.#lock.acquire();
    try {
      this.#syncLocked();
      const seen = this.ordinals.get(canonical);
      if (seen !== undefined) {
        this.ordinals.set(value, seen);
        return seen;
      }
      const count = this.#header[COUNT] as number;
      if (count >= this.budget) return this.#refuse('budget');
      const used = this.#header[USED] as number;
      if (used + encoded.length > this.#arena.length) return this.#refuse('arena');
      this.#arena.set(encoded, used);
      this.#starts[count] = used;
      this.#lengths[count] = encoded.length;
      this.#header[USED] = used + encoded.length;
      // Published last: a thread that reads the new count finds the value's bytes in place.
      Atomics.store(this.#header, COUNT, count + 1);
      this.#add(canonical);
      this.ordinals.set(value, count);
      return count;
    } finally {
      this.#lock.release();
    }
  }

  /** Reads the values other threads interned since this thread last looked. */
  sync(): void {
    if (this.values.length === Atomics.load(this.#header, COUNT)) return;
    this.#lock.acquire();
    try {
      this.#syncLocked();
    } finally {
      this.#lock.release();
    }
  }

  #syncLocked(): void {
    const count = this.#header[COUNT] as number;
    for (let ordinal = this.values.length; ordinal < count; ordinal++) {
      const start = this.#starts[ordinal] as number;
      const bytes = this.#arena.subarray(start, start + (this.#lengths[ordinal] as number));
      // Copied out of shared memory before decoding: the string must not see later writes.
      this.#add(Buffer.from(bytes).toString('utf8'));
    }
  }

  #add(value: string): void {
    this.ordinals.set(value, this.values.length);
    this.values.push(value);
  }

  #refuse(reason: InternRefusal): number {
    this.lastRefusal = reason;
    return -1;
  }
}
