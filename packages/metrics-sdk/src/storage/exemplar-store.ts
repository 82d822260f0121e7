import { MetricDefinitionError } from '../define/errors.js';
import { EXEMPLAR_RUNE_LIMIT } from '../define/naming.js';
import type { FamilyStats } from './series-reader.js';

/**
 * The labels of one exemplar: some or all of the exemplar label names the metric declares, each
 * to a string (an empty string leaves the label out). The object is read during the record call
 * and not kept, so a caller may reuse one object for every record.
 */
export type ExemplarLabels = Readonly<Record<string, string>>;

/**
 * Where a handle's `…WithExemplar` methods send an exemplar: the family's {@link ExemplarStore}, or,
 * for a metric that declares no exemplars, a sink that says so.
 *
 * @internal
 */
export interface ExemplarSink {
  record(slot: number, value: number, labels: ExemplarLabels): void;
}

/**
 * The exemplar sink of a counter or histogram that declares no exemplars: recording one is a
 * mistake in the code, named at the first call (as a wrong label is), not a silent loss.
 *
 * @internal
 */
export class UndeclaredExemplars implements ExemplarSink {
  readonly #metric: string;

  constructor(metric: string) {
    this.#metric = metric;
  }

  record(): void {
    throw new MetricDefinitionError([
      {
        path: this.#metric,
        message: 'records an exemplar but declares none; add `exemplars: true` (or its label names) to its options',
      },
    ]);
  }
}

// Wall-clock time as the start of the process's monotonic clock plus its reading: Node answers
// performance.now() without boxing the double, where Date.now() allocated a heap number on every
// exemplar record (16 B/op in bench/alloc). Drifts from Date.now() only by clock adjustments made
// since the process started.
const TIME_ORIGIN = performance.timeOrigin;

// The latest exemplar of every slot of one family (a counter series, or one bucket of a histogram
// series), sized once with the family: a value, the time it was recorded and, per declared label,
// a reference to the string the caller passed. Storing a reference copies nothing and allocates
// nothing; the caller's object is not kept. Slots are never reallocated, so readers may hold the
// arrays.

/**
 * Exemplar storage of one family.
 *
 * @internal built by the family when its declaration has `exemplars`
 */
export class ExemplarStore implements ExemplarSink {
  /** Declared exemplar label names. */
  readonly labelNames: readonly string[];
  /** Per slot: when its latest exemplar was recorded, ms since the epoch; 0 when it has none. */
  readonly times: Float64Array;
  /** Per slot: the latest exemplar's value. */
  readonly values: Float64Array;
  /**
   * Per slot, `labelNames.length` entries from `slot * labelNames.length`: each declared label's
   * value in the latest exemplar, `''` when it was not given.
   */
  readonly labelValues: string[];
  readonly #stats: FamilyStats;
  readonly #names: readonly string[];

  /**
   * @param labelNames - the declared exemplar labels (validated by `catalog()`)
   * @param slots - series capacity × slots per series (1 for a counter, the buckets of a histogram)
   * @param stats - the family's stats, whose `exemplarsDropped` this counts
   */
  constructor(labelNames: readonly string[], slots: number, stats: FamilyStats) {
    this.labelNames = labelNames;
    this.#names = labelNames;
    this.times = new Float64Array(slots);
    this.values = new Float64Array(slots);
    // Filled with strings so the array keeps one element kind and never holds holes.
    this.labelValues = new Array<string>(slots * labelNames.length).fill('');
    this.#stats = stats;
  }

  /**
   * Keeps `value` with `labels` as the latest exemplar of `slot`, or counts it as dropped when the
   * labels are not an object of declared names to strings, or exceed the OpenMetrics limit of 128
   * characters together. Reads the clock once, without allocating. The sample itself is recorded by
   * the caller either way.
   */
  record(slot: number, value: number, labels: ExemplarLabels): void {
    if (!this.#admits(labels)) {
      this.#stats.exemplarsDropped++;
      return;
    }
    const names = this.#names;
    const width = names.length;
    const stored = this.labelValues;
    for (let i = 0, at = slot * width; i < width; i++, at++) {
      const given = labels[names[i] as string];
      stored[at] = given === undefined ? '' : given;
    }
    this.values[slot] = value;
    this.times[slot] = TIME_ORIGIN + performance.now();
  }

  /** Forgets the exemplars of slots `from` (inclusive) to `to` (exclusive): a removed series. */
  clear(from: number, to: number): void {
    this.times.fill(0, from, to);
    this.values.fill(0, from, to);
    const width = this.#names.length;
    this.labelValues.fill('', from * width, to * width);
  }

  // Every key a declared name, every value a string, and names plus values within the limit.
  // Iterates the caller's keys without allocating (no Object.keys).
  #admits(labels: ExemplarLabels): boolean {
    if (typeof labels !== 'object' || labels === null) return false;
    const names = this.#names;
    let length = 0;
    let given = 0;
    for (const key in labels) {
      if (!Object.hasOwn(labels, key)) continue;
      const value = labels[key];
      if (typeof value !== 'string' || !names.includes(key)) return false;
      if (value === '') continue;
      length += key.length + value.length;
      given++;
    }
    if (given === 0) return false;
    if (length <= EXEMPLAR_RUNE_LIMIT) return true;
    // UTF-16 units overcount characters outside the BMP: count code points before refusing.
    return codePoints(labels) <= EXEMPLAR_RUNE_LIMIT;
  }
}

function codePoints(labels: ExemplarLabels): number {
  let count = 0;
  for (const key in labels) {
    const value = labels[key] as string;
    if (value === '') continue;
    for (const text of [key, value]) {
      for (let i = 0; i < text.length; i++) {
        const unit = text.charCodeAt(i);
        // A high surrogate followed by a low one is one character.
        if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
          const next = text.charCodeAt(i + 1);
          if (next >= 0xdc00 && next <= 0xdfff) i++;
        }
        count++;
      }
    }
  }
  return count;
}
