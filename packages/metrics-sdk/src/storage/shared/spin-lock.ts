import { threadId } from 'node:worker_threads';

// A lock word in shared memory for the slow paths of a shared catalog (a new label value, a new
// series), which hold it for microseconds. The word holds 0 when free, else the holder's threadId
// + 1, so a lock left held (a worker terminated inside a slow path) is reported with its holder
// instead of hanging every thread.

/** How long to wait for the lock before reporting it stuck. @internal */
export const LOCK_TIMEOUT_MS = 2_000;

/** @internal */
export class SpinLock {
  readonly #words: Int32Array;
  readonly #index: number;
  readonly #self: number;

  /**
   * @param words - shared Int32 words
   * @param index - the lock's word
   */
  constructor(words: Int32Array, index: number) {
    this.#words = words;
    this.#index = index;
    this.#self = threadId + 1;
  }

  /**
   * Takes the lock: a few spins, then sleeps of up to 1 ms on the word until the holder releases.
   *
   * @throws Error after {@link LOCK_TIMEOUT_MS}, naming the thread that holds it
   */
  acquire(): void {
    const words = this.#words;
    const index = this.#index;
    let deadline = 0;
    for (let spins = 0; ; spins++) {
      const holder = Atomics.compareExchange(words, index, 0, this.#self);
      if (holder === 0) return;
      if (spins < 64) continue;
      if (deadline === 0) deadline = performance.now() + LOCK_TIMEOUT_MS;
      else if (performance.now() > deadline) {
        throw new Error(
          `shared catalog: a lock has been held for ${LOCK_TIMEOUT_MS} ms by thread ${holder - 1} ` +
            '(terminated with worker.terminate() while creating a series?)',
        );
      }
      Atomics.wait(words, index, holder, 1);
    }
  }

  /** Releases the lock and wakes one waiter. */
  release(): void {
    Atomics.store(this.#words, this.#index, 0);
    Atomics.notify(this.#words, this.#index, 1);
  }
}
