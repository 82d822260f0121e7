import { constants, type NodeGCPerformanceDetail, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import type { HistogramHandle } from '../storage/handles.js';

/** The `kind` values of `nodejs_gc_duration_seconds`: prom-client's names for V8's collection kinds. */
export const GC_KINDS = Object.freeze(['major', 'minor', 'incremental', 'weakcb'] as const);

/** One garbage-collection kind. */
export type GcKind = (typeof GC_KINDS)[number];

// perf_hooks' kind constants (entry.detail.kind) → our label values, as prom-client maps them.
const KIND_CONSTANTS: readonly (readonly [number, GcKind])[] = [
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
];

type GcEntry = PerformanceEntry & { readonly detail?: NodeGCPerformanceDetail | null };

/**
 * Records the duration of every garbage collection, in seconds, into `nodejs_gc_duration_seconds`,
 * from a `PerformanceObserver` on `gc` entries.
 *
 * The callback is a recording path, so the hot-path rules hold: one histogram handle per kind is
 * bound on construction and indexed by perf_hooks' kind constant; a callback makes no label object
 * and no `bind()`. Node delivers entries in batches (several per callback after an allocation
 * burst), and every entry is recorded (prom-client records only the first of each batch). A kind
 * V8 may add later is not recorded.
 *
 * @internal
 */
export class GcRecorder {
  readonly #observer: PerformanceObserver | undefined;
  #stopped = false;

  /**
   * Binds the four series and starts observing.
   *
   * @param bind - binds the histogram series of one kind
   */
  constructor(bind: (kind: GcKind) => HistogramHandle) {
    const byKind: (HistogramHandle | undefined)[] = [];
    for (const [constant, kind] of KIND_CONSTANTS) byKind[constant] = bind(kind);
    let observer: PerformanceObserver | undefined = new PerformanceObserver((list) => {
      // Entries already queued when stop() ran are dropped: a stopped recorder records nothing.
      if (this.#stopped) return;
      const entries = list.getEntries();
      for (let i = 0; i < entries.length; i++) {
        // A gc entry carries its kind in `detail`, which @types/node declares on marks and measures only.
        const entry = entries[i] as GcEntry;
        const kind = entry.detail?.kind;
        if (kind !== undefined) byKind[kind]?.observe(entry.duration / 1000);
      }
    });
    try {
      observer.observe({ entryTypes: ['gc'] });
    } catch {
      // A runtime without gc entries: the series stay at 0.
      observer = undefined;
    }
    this.#observer = observer;
  }

  /** Disconnects the observer; later calls do nothing. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#observer?.disconnect();
  }
}
