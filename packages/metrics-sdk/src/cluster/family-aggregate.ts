import type { GaugeClusterAggregation } from '../define/metric.js';
import type { MetricFamily } from '../storage/families.js';
import { NativeStore } from '../storage/native-store.js';
import type { FamilySnapshot } from './cluster-protocol.js';

/** The name of the label a `perWorker` gauge gains in the primary's aggregate. */
export const WORKER_LABEL = 'worker';

/**
 * What the primary holds of one family of one worker: its last snapshot, and where each of its
 * series (by the worker's series order) sits in the aggregate.
 *
 * @internal
 */
export class WorkerFamily {
  /** Worker series index → aggregate offset. */
  map = new Int32Array(16);
  /** Series mapped so far. */
  mapped = 0;
  /** The worker's generation the mapping belongs to. */
  generation = 0;
  snapshot: FamilySnapshot | undefined;
  /** The snapshot's native buckets as a store, to merge from. */
  native: NativeStore | undefined;
}

/** Counts a worker that exited left behind: kept in the aggregate for good. */
interface Retired {
  readonly values: Float64Array;
  readonly counts: Float64Array;
  readonly native: NativeStore | undefined;
  readonly stats: Float64Array;
}

/**
 * One family of the primary's aggregate catalog: maps each worker's series into it and, at each
 * collection, writes the combination of every worker's last snapshot into its storage. Counters
 * and histograms are summed, and what an exited worker counted is kept (`retire`); gauges are
 * combined as declared (`sum`, `min`, `max`, or one series per worker), over live workers only, and a
 * gauge series no live worker reports leaves the exposition.
 *
 * @internal
 */
export class FamilyAggregate {
  readonly #family: MetricFamily<unknown>;
  readonly #gauge: GaugeClusterAggregation | undefined;
  readonly #labelNames: readonly string[];
  /** Overflow the aggregate's own budgets caused (the union of the workers' label values). */
  #ownOverflowed = 0;
  #retired: Retired | undefined;
  #seen: Uint8Array | undefined;

  constructor(family: MetricFamily<unknown>, declaredLabels: readonly string[]) {
    this.#family = family;
    const def = family['~store'].def;
    this.#gauge = def.kind === 'gauge' ? (def.clusterAggregation ?? 'perWorker') : undefined;
    this.#labelNames = declaredLabels;
  }

  /** Whether this family is labelled per worker. */
  get perWorker(): boolean {
    return this.#gauge === 'perWorker';
  }

  /**
   * Takes a worker's new snapshot of this family: maps the series it lists for the first time.
   *
   * @param worker - the worker's state of this family
   * @param snapshot - the snapshot, already checked
   * @param workerLabel - the worker's `worker` label value
   */
  apply(worker: WorkerFamily, snapshot: FamilySnapshot, workerLabel: string): void {
    this.#check(snapshot);
    if (snapshot.generation !== worker.generation) {
      // The worker removed series: its series order starts over.
      worker.generation = snapshot.generation;
      worker.mapped = 0;
    }
    const stats = this.#family['~store'].stats;
    const before = stats.overflowed;
    for (let k = Math.max(0, worker.mapped - snapshot.from); k < snapshot.labels.length; k++) {
      const index = snapshot.from + k;
      if (index !== worker.mapped) break;
      const values = snapshot.labels[k];
      let labels: Record<string, string> | null = null;
      if (values !== null && values !== undefined) {
        labels = {};
        this.#labelNames.forEach((name, i) => {
          (labels as Record<string, string>)[name] = values[i] as string;
        });
        if (this.#gauge === 'perWorker') labels[WORKER_LABEL] = workerLabel;
      }
      if (worker.map.length === index) {
        const grown = new Int32Array(index * 2);
        grown.set(worker.map);
        worker.map = grown;
      }
      worker.map[index] = this.#family['~seriesFor'](labels);
      worker.mapped++;
    }
    this.#ownOverflowed += stats.overflowed - before;
    worker.snapshot = snapshot;
    const spec = this.#family['~store'].def.native;
    worker.native =
      snapshot.native === undefined || spec === undefined
        ? undefined
        : new NativeStore(spec, snapshot.count, snapshot.native, false);
  }

  // Throws when the snapshot's arrays do not have this family's shape (before anything is changed).
  #check(snapshot: FamilySnapshot): void {
    const store = this.#family['~store'];
    const { count } = snapshot;
    const typed = (array: unknown, type: new (length: number) => ArrayLike<number>, length: number) =>
      array instanceof type && (array as ArrayLike<number>).length === length;
    const histogram = store.kind === 'histogram';
    const window = store.def.native?.maxBuckets ?? 0;
    const native = snapshot.native;
    const ok =
      Number.isSafeInteger(count) &&
      Number.isSafeInteger(snapshot.from) &&
      snapshot.from >= 0 &&
      typed(snapshot.values, Float64Array, count) &&
      typed(snapshot.counts, Float64Array, histogram ? count * store.stride : 0) &&
      typed(snapshot.stats, Float64Array, 3) &&
      Array.isArray(snapshot.labels) &&
      snapshot.labels.every(
        (values) =>
          values === null ||
          (Array.isArray(values) &&
            values.length === this.#labelNames.length &&
            values.every((value) => typeof value === 'string')),
      ) &&
      (window === 0
        ? native === undefined
        : native !== undefined &&
          typed(native.schemas, Int8Array, count) &&
          typed(native.lows, Int32Array, count) &&
          typed(native.zeroCounts, Float64Array, count) &&
          typed(native.counts, Float64Array, count * window));
    if (!ok) throw new Error(`${store.def.name}: the snapshot's arrays do not have this metric's shape`);
  }

  /** Keeps what an exiting worker counted: its last snapshot's counters, histograms and stats. */
  retire(worker: WorkerFamily): void {
    const snapshot = worker.snapshot;
    if (snapshot === undefined) return;
    const store = this.#family['~store'];
    this.#retired ??= {
      values: new Float64Array(store.values.length),
      counts: new Float64Array(store.counts.length),
      native: store.def.native === undefined ? undefined : new NativeStore(store.def.native, store.layout.capacity),
      stats: new Float64Array(3),
    };
    const retired = this.#retired;
    for (let s = 0; s < 3; s++) retired.stats[s] += snapshot.stats[s] as number;
    if (this.#gauge !== undefined) return;
    addSeries(retired.values, retired.counts, store.stride, worker);
    if (retired.native !== undefined && worker.native !== undefined) {
      const count = Math.min(snapshot.count, worker.mapped);
      for (let i = 0; i < count; i++) retired.native.mergeFrom(worker.native, worker.map[i] as number, false, i);
    }
  }

  /** Writes the combination of the live workers' last snapshots (and what exited ones left) into the family. */
  merge(workers: readonly WorkerFamily[]): void {
    const store = this.#family['~store'];
    const series = store.series;
    const stats = this.#sumStats(workers);
    store.stats.dropped = stats[0] as number;
    store.stats.overflowed = (stats[1] as number) + this.#ownOverflowed;
    store.stats.exemplarsDropped = stats[2] as number;
    if (this.#gauge !== undefined) {
      this.#mergeGauge(workers);
      return;
    }
    const retired = this.#retired;
    const stride = store.stride;
    const histogram = store.kind === 'histogram';
    for (const offset of series) {
      store.values[offset] = retired === undefined ? 0 : (retired.values[offset] as number);
      if (!histogram) continue;
      const at = offset * stride;
      if (retired === undefined) store.counts.fill(0, at, at + stride);
      else store.counts.set(retired.counts.subarray(at, at + stride), at);
    }
    const native = store.native;
    if (native !== undefined) {
      for (const offset of series) {
        native.clear(offset);
        if (retired?.native !== undefined) native.mergeFrom(retired.native, offset);
      }
    }
    for (const worker of workers) {
      addSeries(store.values, store.counts, stride, worker);
      if (native === undefined || worker.native === undefined || worker.snapshot === undefined) continue;
      const count = Math.min(worker.snapshot.count, worker.mapped);
      for (let i = 0; i < count; i++) native.mergeFrom(worker.native, worker.map[i] as number, false, i);
    }
  }

  #mergeGauge(workers: readonly WorkerFamily[]): void {
    const store = this.#family['~store'];
    this.#seen ??= new Uint8Array(store.layout.capacity);
    const seen = this.#seen;
    for (const offset of store.series) seen[offset] = 0;
    const aggregation = this.#gauge;
    for (const worker of workers) {
      const snapshot = worker.snapshot;
      if (snapshot === undefined) continue;
      const count = Math.min(snapshot.count, worker.mapped);
      for (let i = 0; i < count; i++) {
        const offset = worker.map[i] as number;
        const value = snapshot.values[i] as number;
        const current = store.values[offset] as number;
        if (seen[offset] === 0) store.values[offset] = value;
        else if (aggregation === 'sum') store.values[offset] = current + value;
        else if (aggregation === 'min') store.values[offset] = Math.min(current, value);
        // max, and the one series several workers share under perWorker: the overflow series.
        else store.values[offset] = Math.max(current, value);
        seen[offset] = 1;
      }
    }
    // A gauge no live worker reports (its worker exited, or removed it) is not shown stale.
    const unseen = store.series.filter((offset) => seen[offset] === 0);
    for (const offset of unseen) this.#family['~removeOffset'](offset);
  }

  #sumStats(workers: readonly WorkerFamily[]): Float64Array {
    const sums = Float64Array.from(this.#retired?.stats ?? [0, 0, 0]);
    for (const worker of workers) {
      const stats = worker.snapshot?.stats;
      if (stats === undefined) continue;
      for (let s = 0; s < 3; s++) sums[s] += stats[s] as number;
    }
    return sums;
  }
}

// Adds a worker's last values (and bucket counts) into arrays indexed by aggregate offset.
function addSeries(values: Float64Array, counts: Float64Array, stride: number, worker: WorkerFamily): void {
  const snapshot = worker.snapshot;
  if (snapshot === undefined) return;
  const count = Math.min(snapshot.count, worker.mapped);
  const map = worker.map;
  const theirs = snapshot.values;
  for (let i = 0; i < count; i++) values[map[i] as number] += theirs[i] as number;
  if (snapshot.counts.length === 0) return;
  const buckets = snapshot.counts;
  for (let i = 0; i < count; i++) {
    const to = (map[i] as number) * stride;
    const from = i * stride;
    for (let b = 0; b < stride; b++) counts[to + b] += buckets[from + b] as number;
  }
}
