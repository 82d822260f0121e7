/**
 * Runs tasks one per event-loop turn: the first at once, each next one from `setImmediate`, so the
 * loop polls I/O (and runs the service's own work) between them. The metrics server writes its
 * `/metrics` responses through one: writing 50 shared 7 MB bodies on loopback in a single turn
 * stalled the event loop for 134–154 ms; one per turn, the longest stall was 29–45 ms.
 *
 * @internal
 */
export class ResponsePacer {
  readonly #queue: (() => void)[] = [];
  #busy = false;

  /** Runs `task` now when no task ran this turn, else after the tasks queued before it. */
  run(task: () => void): void {
    if (this.#busy) {
      this.#queue.push(task);
      return;
    }
    this.#busy = true;
    this.#runAndContinue(task);
  }

  /** Tasks waiting for a later turn. */
  get pending(): number {
    return this.#queue.length;
  }

  readonly #next = (): void => {
    const task = this.#queue.shift();
    if (task === undefined) this.#busy = false;
    else this.#runAndContinue(task);
  };

  #runAndContinue(task: () => void): void {
    try {
      task();
    } finally {
      // Always hand over to the next turn, so a task that throws cannot stall the queue.
      setImmediate(this.#next);
    }
  }
}
