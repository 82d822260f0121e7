import type { NoLabels } from '../define/labels.js';
import type { GaugeFamily } from '../storage/families.js';
import type { GaugeHandle } from '../storage/handles.js';

// How a collection hook writes the runtime gauges: through handles bound once, never through a
// `bind()` per collection.

/**
 * The one series of a gauge without labels, bound on its first value: a figure the platform cannot
 * give (no procfs, no event-loop samples yet) leaves no series rather than a misleading 0.
 *
 * @internal
 */
export class GaugeSlot {
  readonly #family: GaugeFamily<NoLabels>;
  #handle: GaugeHandle | undefined;

  /** @param family - a gauge declared with no labels */
  constructor(family: GaugeFamily<NoLabels>) {
    this.#family = family;
  }

  /**
   * Sets the value, creating the series the first time.
   *
   * @param value - a finite number
   */
  set(value: number): void {
    this.#handle ??= this.#family.bind();
    this.#handle.set(value);
  }
}

/**
 * The series of a gauge with one open label (`type`, `space`), rewritten whole at each collection:
 * {@link clear} sets every series seen so far to 0, then {@link add} adds each key present now.
 *
 * A key that disappears (the last child process exits) keeps its series at 0 instead of leaving
 * the exposition. prom-client calls `reset()` and sets the present keys instead; here that would
 * delete and re-create every series at each collection, so each would get a new start time (an
 * OTel reader sees a new cumulative series every time) and the Prometheus writer would rebuild its
 * cached label bytes at every scrape. With zeros the series stay stable, their sum over `type` is
 * still the total, and a key that comes back continues its series. The keys are class or resource
 * names, a bounded set in any program; past the label's budget they all add into the one overflow
 * series, which is why values are added rather than set.
 *
 * @internal
 */
export class KeyedGauges {
  readonly #bind: (key: string) => GaugeHandle;
  readonly #handles = new Map<string, GaugeHandle>();

  /** @param bind - binds the series of one key, e.g. `(type) => family.bind({ type })` */
  constructor(bind: (key: string) => GaugeHandle) {
    this.#bind = bind;
  }

  /** Starts a collection: every series seen so far to 0. */
  clear(): void {
    for (const handle of this.#handles.values()) handle.set(0);
  }

  /**
   * Adds `value` to the series of `key`, binding it the first time the key is seen.
   *
   * @param key - the label value
   * @param value - a finite number
   */
  add(key: string, value: number): void {
    let handle = this.#handles.get(key);
    if (handle === undefined) {
      handle = this.#bind(key);
      this.#handles.set(key, handle);
    }
    handle.add(value);
  }
}
