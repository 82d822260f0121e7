// Which series of a family shared across worker threads exist, in the order they were created,
// and when each was created. Creating a series is one compare-and-swap on its `touched` byte: the
// winner writes the start time and appends the offset to a shared log; a thread that loses finds the
// series already there. Readers take the log in order, so a series created concurrently by several
// threads appears once.
//
// Memory, one SharedArrayBuffer per family:
//   Int32 log[1 + capacity]: [0] entries, then each created offset + 1 (0: being written)
//   Float64 startTimes[capacity]: ms since the epoch
//   Uint8 touched[capacity]: 1 once created

/** The transferable description of one family's shared series table (part of a shared catalog's descriptor). */
export interface SharedSeriesDescriptor {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
}

/** @internal */
export class SharedSeriesTable {
  /** 1 where a series exists; read without atomics on the hot path (a stale 0 only costs a slow path). */
  readonly touched: Uint8Array;
  /** Per offset: when the series was created, ms since the epoch. */
  readonly startTimes: Float64Array;
  readonly #log: Int32Array;
  readonly #descriptor: SharedSeriesDescriptor;

  /** Allocates the shared memory of a new table for `capacity` series. */
  static create(capacity: number): SharedSeriesTable {
    const logBytes = (1 + capacity) * 4;
    const timesAt = Math.ceil(logBytes / 8) * 8;
    const buffer = new SharedArrayBuffer(timesAt + capacity * 8 + capacity);
    return new SharedSeriesTable({ buffer, capacity });
  }

  /** Attaches to a table created in this or another thread. */
  constructor(descriptor: SharedSeriesDescriptor) {
    const { buffer, capacity } = descriptor;
    const logBytes = (1 + capacity) * 4;
    const timesAt = Math.ceil(logBytes / 8) * 8;
    this.#log = new Int32Array(buffer, 0, 1 + capacity);
    this.startTimes = new Float64Array(buffer, timesAt, capacity);
    this.touched = new Uint8Array(buffer, timesAt + capacity * 8, capacity);
    this.#descriptor = descriptor;
  }

  /** What another thread needs to attach. */
  get descriptor(): SharedSeriesDescriptor {
    return this.#descriptor;
  }

  /**
   * Creates the series at `offset` unless some thread already has.
   *
   * @returns true when this call created it
   */
  create(offset: number, startMs: number): boolean {
    if (Atomics.compareExchange(this.touched, offset, 0, 1) !== 0) return false;
    this.startTimes[offset] = startMs;
    const entry = Atomics.add(this.#log, 0, 1);
    // Published after the start time: a reader that sees the entry sees the time.
    Atomics.store(this.#log, 1 + entry, offset + 1);
    return true;
  }

  /**
   * Appends to `series` the offsets created since it was last brought up to date, in creation
   * order; stops at an entry still being written (the next call takes it).
   */
  sync(series: number[]): void {
    const count = Atomics.load(this.#log, 0);
    for (let i = series.length; i < count; i++) {
      const entry = Atomics.load(this.#log, 1 + i);
      if (entry === 0) return;
      series.push(entry - 1);
    }
  }
}
