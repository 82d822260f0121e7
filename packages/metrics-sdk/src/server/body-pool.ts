/**
 * A rendered `/metrics` body that several responses send, in a buffer lent by a {@link BodyPool}.
 * Each response holds it while the socket may still read from it; when the last holder lets go,
 * the buffer goes back to the pool.
 *
 * @internal
 */
export class SharedBody {
  /** The body: a view of exactly its bytes. */
  readonly bytes: Buffer;
  readonly #buffer: Buffer;
  readonly #pool: BodyPool;
  #holders = 0;

  /** @internal made by {@link BodyPool.fill} */
  constructor(buffer: Buffer, length: number, pool: BodyPool) {
    this.#buffer = buffer;
    this.bytes = buffer.subarray(0, length);
    this.#pool = pool;
  }

  /**
   * Marks one more response as sending these bytes.
   *
   * @returns the release for that response; calling it more than once releases once
   */
  hold(): () => void {
    this.#holders++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holders === 0) this.#pool.giveBack(this.#buffer);
    };
  }
}

/**
 * Reuses the buffers of rendered bodies. A fresh multi-megabyte buffer costs a page fault per 4 KiB
 * on first write: copying a 6 MB body into a new buffer took 26–41 ms on this project's VMs, into a
 * reused one a memcpy. Reused buffers also keep megabytes of external memory from pushing V8 into
 * extra garbage collections on every scrape.
 *
 * @internal
 */
export class BodyPool {
  readonly #free: Buffer[] = [];
  readonly #maxFree: number;
  #allocated = 0;

  /** @param maxFree - buffers kept for reuse; more are left to the garbage collector */
  constructor(maxFree = 2) {
    this.#maxFree = maxFree;
  }

  /** Buffers allocated so far (not reused). */
  get allocated(): number {
    return this.#allocated;
  }

  /**
   * Copies `parts`, in order, into a free buffer that fits, or a new one with room to grow.
   *
   * @param parts - the body's pieces, in order
   * @returns the body, not yet held by any response
   */
  fill(parts: readonly Uint8Array[]): SharedBody {
    let length = 0;
    for (const part of parts) length += part.length;
    const fit = this.#free.findIndex((buffer) => buffer.length >= length);
    let buffer: Buffer;
    if (fit >= 0) {
      buffer = this.#free[fit] as Buffer;
      this.#free.splice(fit, 1);
    } else {
      // Its own memory (not the shared 8 KiB slab), a quarter larger so a growing body still fits.
      buffer = Buffer.allocUnsafeSlow(Math.ceil(length * 1.25) + 64);
      this.#allocated++;
    }
    let at = 0;
    for (const part of parts) {
      buffer.set(part, at);
      at += part.length;
    }
    return new SharedBody(buffer, length, this);
  }

  /** @internal called by {@link SharedBody} when its last holder lets go */
  giveBack(buffer: Buffer): void {
    if (this.#free.length < this.#maxFree) this.#free.push(buffer);
  }
}
