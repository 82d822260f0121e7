// Waiting between retries: an exponential backoff with "equal jitter" (half of the delay fixed, half
// random, so retries of several processes spread out), and a pause that a shutdown can cut short.

/**
 * The delay before retry number `attempt`: `min` doubling per attempt up to `max`, with equal jitter.
 *
 * @param attempt - failed attempts so far (from 1)
 * @param minMs - the first delay's ceiling
 * @param maxMs - the largest ceiling
 * @param random - random in [0, 1)
 * @returns the delay, ms
 */
export function backoffDelay(
  attempt: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt - 1, 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** A pause that `wake()` ends early (a writer sleeping in backoff retries at once on close). */
export class WakeablePause {
  #sleep: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  /**
   * Waits `ms`, or until {@link WakeablePause.wake}.
   *
   * @param ms - how long
   */
  pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(this.#sleep?.timer);
        this.#sleep = undefined;
        resolve();
      };
      this.#sleep = { timer: setTimeout(wake, ms), wake };
    });
  }

  /** Ends the current pause now, if any. */
  wake(): void {
    this.#sleep?.wake();
  }
}
