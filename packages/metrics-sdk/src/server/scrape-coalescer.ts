/**
 * Shares one collection among the scrapes that ask for it together, so N simultaneous scrapers cost
 * one render, not N, and never a stale body.
 *
 * A request joins the collection that has not started yet, if there is one. Otherwise it creates
 * one, which starts on the next check phase (`setImmediate`): every request that reaches the server
 * in the same event-loop turn joins it. While a collection runs, new requests join the next one,
 * which starts when the running one ends. So a body is always collected after its request arrived
 * (a scrape never sees bytes older than its own request), at most one collection runs and one waits,
 * and a burst of any size costs at most two collections.
 *
 * @internal
 */
export class ScrapeCoalescer<T> {
  readonly #collect: () => Promise<T>;
  readonly #schedule: (start: () => void) => void;
  /** The collection that has been asked for and not started yet. */
  #next: Pending<T> | undefined;
  #running = false;
  #collections = 0;
  #requests = 0;

  /**
   * @param collect - produces one result (a rendered body); a rejection goes to every request that shared it
   * @param schedule - runs a start later; default `setImmediate` (tests pass a manual queue)
   */
  constructor(collect: () => Promise<T>, schedule: (start: () => void) => void = defaultSchedule) {
    this.#collect = collect;
    this.#schedule = schedule;
  }

  /**
   * Asks for a result collected after this call.
   *
   * @returns the shared result of the collection this request joined
   */
  get(): Promise<T> {
    this.#requests++;
    if (this.#next !== undefined) return this.#next.promise;
    const next = pending<T>();
    this.#next = next;
    // While one runs, the next starts from its finally; otherwise on the next check phase.
    if (!this.#running) this.#schedule(() => this.#start());
    return next.promise;
  }

  /** How many collections ran and how many requests they served. */
  get stats(): { readonly collections: number; readonly requests: number } {
    return { collections: this.#collections, requests: this.#requests };
  }

  #start(): void {
    const current = this.#next;
    if (current === undefined || this.#running) return;
    this.#next = undefined;
    this.#running = true;
    this.#collections++;
    let result: Promise<T>;
    try {
      result = this.#collect();
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(current.resolve, current.reject).finally(() => {
      this.#running = false;
      if (this.#next !== undefined) this.#schedule(() => this.#start());
    });
  }
}

interface Pending<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

function pending<T>(): Pending<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function defaultSchedule(start: () => void): void {
  setImmediate(start);
}
