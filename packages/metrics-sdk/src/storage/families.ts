import type { NoLabels } from '../define/labels.js';
import type { MetricDef, MetricKind, NativeHistogramSpec } from '../define/metric.js';
import { type BindEachArgs, bindEachValue, type HandlesByValue, type InferClosedLabels } from './bind-each.js';
import { DropSink } from './drop-sink.js';
import { type ExemplarSink, ExemplarStore, UndeclaredExemplars } from './exemplar-store.js';
import {
  bucketIndex,
  CounterHandle,
  EmittingGaugeHandle,
  GaugeHandle,
  HistogramHandle,
  NativeHistogramHandle,
} from './handles.js';
import type { InvalidValueHook } from './invalid.js';
import { labelError } from './label-error.js';
import { computeLayout, decodeOffset, type SeriesLayout } from './layout.js';
import { NativeStore } from './native-store.js';
import type { OverflowHook } from './overflow.js';
import { compileResolver, type Resolver } from './resolver.js';
import type { Exemplars, FamilyStats, NativeBuckets, SeriesReader } from './series-reader.js';
import type { SharedFamilyStorage } from './shared/shared-catalog-storage.js';
import type { SharedSeriesTable } from './shared/shared-series-table.js';

/** Storage options a catalog passes to each family. @internal */
export interface FamilyOptions {
  /** Open-label budget overrides, label name → budget. */
  readonly budgets?: Readonly<Record<string, number>> | undefined;
  readonly onInvalidValue: InvalidValueHook;
  readonly onOverflow: OverflowHook;
  /** Wall clock in ms since the epoch; read once when a series is first resolved. */
  readonly now: () => number;
  /** The family's parts in shared memory, in a catalog shared across worker threads. */
  readonly shared?: SharedFamilyStorage | undefined;
  /** Record nothing: one scratch slot takes every record, and no series ever exists. */
  readonly noop?: boolean | undefined;
}

/**
 * A family's own mutable state. Only the family (and its tests) touch it; readers see it through
 * the family's {@link SeriesReader}. Arrays are sized once from the layout and never reallocated.
 *
 * @internal
 */
export interface SeriesStore {
  readonly def: MetricDef;
  readonly kind: MetricKind;
  readonly layout: SeriesLayout;
  /** Offsets of the series that exist (bound or recorded), in creation order. */
  readonly series: number[];
  /**
   * Bumped when a series is removed (the only change that is not an append to `series`), so
   * readers that cache per-series bytes parallel to `series` know to rebuild them.
   */
  generation: number;
  /** 1 where a series exists. */
  readonly touched: Uint8Array;
  /** Per offset: when the series was first resolved, ms since the epoch (OTel start time). */
  readonly startTimes: Float64Array;
  /** Per offset: the counter or gauge value, or the histogram sum. */
  readonly values: Float64Array;
  /** Histogram only: per-bucket (not cumulative) counts at `offset * stride + bucket`. */
  readonly counts: Float64Array;
  /** Histogram only: finite upper bounds. */
  readonly bounds: Float64Array;
  /** Histogram only: `bounds.length + 1` (the `+Inf` bucket). */
  readonly stride: number;
  readonly stats: FamilyStats;
  /** Histogram declared with native resolution only. */
  readonly native: NativeStore | undefined;
  /** Counter or histogram declared with exemplars only: one slot per series (per bucket of one). */
  readonly exemplars: ExemplarStore | undefined;
  /** In a shared catalog: the series table every thread creates series in. */
  readonly table: SharedSeriesTable | undefined;
}

/**
 * What a reader of a shared family sees: every thread's slab summed, refreshed at each collection.
 *
 * @internal
 */
interface MergedView {
  readonly values: Float64Array;
  readonly counts: Float64Array;
  readonly stats: FamilyStats;
  /** A histogram with native resolution: every thread's native store, and the sum of them. */
  readonly native?: { readonly slabs: readonly NativeStore[]; readonly sum: NativeStore };
}

/** How long a reader waits for a thread moving a native window of a shared histogram. */
const NATIVE_MOVE_WAIT_MS = 100;

/** Arguments of `bind()`: the label object, optional when the metric has no labels. */
export type BindArgs<L> = L extends NoLabels ? [labels?: L] : [labels: L];

const EMPTY = new Float64Array(0);

// The read view of one family: references to the store's arrays, so a reader costs a property load
// more per family and nothing per series.
class FamilyReader implements SeriesReader {
  readonly kind: SeriesReader['kind'];
  readonly name: string;
  readonly help: string;
  readonly unit: string;
  readonly labelNames: readonly string[];
  readonly overflowable: boolean;
  readonly series: readonly number[];
  readonly startTimes: Float64Array;
  readonly values: Float64Array;
  readonly sums: Float64Array;
  readonly bucketCounts: Float64Array;
  readonly bounds: Float64Array;
  readonly stride: number;
  readonly stats: Readonly<FamilyStats>;
  readonly native: NativeBuckets | undefined;
  readonly exemplars: Exemplars | undefined;
  readonly #store: SeriesStore;

  constructor(store: SeriesStore, labelNames: readonly string[], merged?: MergedView) {
    const histogram = store.kind === 'histogram';
    this.kind = store.kind;
    this.name = store.def.name;
    this.help = store.def.help;
    this.unit = store.def.unit;
    this.labelNames = labelNames;
    this.overflowable = store.layout.overflowOffset >= 0;
    this.series = store.series;
    this.startTimes = store.startTimes;
    // A shared family is read through the sums of every thread's slab, not this thread's own.
    const values = merged?.values ?? store.values;
    this.values = histogram ? EMPTY : values;
    this.sums = histogram ? values : EMPTY;
    this.bucketCounts = merged?.counts ?? store.counts;
    this.bounds = store.bounds;
    this.stride = store.stride;
    this.stats = merged?.stats ?? store.stats;
    this.native = merged === undefined ? store.native : merged.native?.sum;
    this.exemplars = store.exemplars;
    this.#store = store;
  }

  get generation(): number {
    return this.#store.generation;
  }

  labelValues(offset: number): readonly string[] | null {
    return decodeOffset(this.#store.layout, offset);
  }
}

/**
 * Common part of the three family classes: one metric, all its series.
 *
 * @typeParam L - the label object type inferred from the declaration
 */
export abstract class MetricFamily<L> {
  /** Exact wire name. */
  readonly name: string;
  /** HELP text. */
  readonly help: string;
  /** Declared label names, in exposition order. */
  readonly labelNames: readonly string[];
  /** @internal the family's own state; readers use `'~reader'` */
  readonly '~store': SeriesStore;
  /** @internal what exposition, the OTel bridge, the prom-client interop and the self-metrics read */
  readonly '~reader': SeriesReader;
  /** @internal phantom carrier of the label type */
  declare readonly '~types'?: { readonly labels: L };
  /** @internal where this family's handles and unbound calls send a value they drop */
  readonly '~drops': DropSink;
  /** @internal where this family's handles send an exemplar */
  readonly '~exemplars': ExemplarSink;
  readonly #resolve: Resolver;
  readonly #now: () => number;
  readonly #onOverflow: OverflowHook;
  readonly #shared: SharedFamilyStorage | undefined;
  readonly #merged: MergedView | undefined;
  readonly #noop: boolean;
  #declaredLayout: SeriesLayout | undefined;

  /** @internal built by `catalog()` */
  constructor(
    def: MetricDef,
    options: FamilyOptions,
    layout: SeriesLayout,
    values: Float64Array,
    counts: Float64Array,
    bounds: Float64Array,
    native?: NativeStore,
  ) {
    this.name = def.name;
    this.help = def.help;
    this.labelNames = options.noop === true ? Object.keys(def.labels) : layout.axes.map((axis) => axis.name);
    this.#resolve = compileResolver(layout);
    this.#now = options.now;
    this.#onOverflow = options.onOverflow;
    const shared = options.shared;
    this.#shared = shared;
    const stats: FamilyStats = shared?.stats() ?? { dropped: 0, overflowed: 0, exemplarsDropped: 0 };
    const stride = bounds.length + 1;
    const table = shared?.table(layout.capacity);
    const exemplars =
      def.exemplars === undefined ? undefined : new ExemplarStore(def.exemplars, layout.capacity * stride, stats);
    this['~store'] = {
      def,
      kind: def.kind,
      layout,
      series: [],
      generation: 0,
      touched: table?.touched ?? new Uint8Array(layout.capacity),
      startTimes: table?.startTimes ?? new Float64Array(layout.capacity),
      values,
      counts,
      bounds,
      stride,
      stats,
      native,
      exemplars,
      table,
    };
    this.#merged =
      shared === undefined
        ? undefined
        : {
            values: new Float64Array(values.length),
            counts: new Float64Array(counts.length),
            stats: { dropped: 0, overflowed: 0, exemplarsDropped: 0 },
            native:
              def.native === undefined
                ? undefined
                : {
                    slabs: sharedNativeStores(def.native, layout.capacity, shared, false),
                    sum: new NativeStore(def.native, layout.capacity),
                  },
          };
    this.#noop = options.noop === true;
    // The scratch slot counts as existing, so records and binds take the fast path to it; it is
    // never listed, so nothing is exposed.
    if (this.#noop) this['~store'].touched[0] = 1;
    this['~reader'] = new FamilyReader(this['~store'], this.labelNames, this.#merged);
    this['~drops'] = new DropSink(def.name, stats, options.onInvalidValue);
    this['~exemplars'] = exemplars ?? new UndeclaredExemplars(def.name);
  }

  /**
   * The layout that describes the declared labels, for `bindEach()`: the store's, or for a no-op
   * family (whose store has no label axes) one computed from the declaration.
   *
   * @internal
   */
  get '~labelLayout'(): SeriesLayout {
    if (!this.#noop) return this['~store'].layout;
    this.#declaredLayout ??= computeLayout(this['~store'].def);
    return this.#declaredLayout;
  }

  /** Values dropped as invalid (negative or non-finite), since start. */
  get dropped(): number {
    return this['~store'].stats.dropped;
  }

  /**
   * Records and binds folded into the overflow series (`otel_metric_overflow="true"`) because an
   * open label's budget was full, since start. Exported as `ttquant_metrics_overflow_records_total`.
   */
  get overflowed(): number {
    return this['~store'].stats.overflowed;
  }

  /**
   * Exemplars dropped since start: labels not declared or not strings, no label given, or names
   * and values over OpenMetrics' 128 characters. The sample they came with is always recorded.
   * Exported as `ttquant_metrics_exemplars_dropped_total`.
   */
  get exemplarsDropped(): number {
    return this['~store'].stats.exemplarsDropped;
  }

  /** Number of series that exist (bound or recorded). */
  get seriesCount(): number {
    return this['~store'].series.length;
  }

  /**
   * Removes one series, e.g. for a delisted symbol: it leaves the exposition and the OTel export at
   * the next collection, and its value is zeroed. The label value keeps its place in the open
   * label's budget, so a handle still bound to the series stays valid: its records are kept in the
   * hidden slot, and the series reappears (with those records and a new start time) when the label
   * set is recorded or bound again. Removal never frees budget for other values; a label set past
   * the budget is never stored, so it cannot be removed (its records are in the overflow series).
   *
   * @param args - every declared label of the series (nothing for a metric without labels)
   * @returns `true` when the series existed
   * @throws MetricLabelError when `labels` does not fit the declaration (untyped callers)
   * @example
   * ```ts
   * md.lastPrice.remove({ exchange: 'binance', symbol: 'LUNAUSDT' });
   * ```
   */
  remove(...args: BindArgs<L>): boolean {
    if (this.#noop) return false;
    const store = this['~store'];
    this.#refuseShared('remove()');
    const labels = (args[0] ?? {}) as unknown;
    this.#check(labels);
    const offset = this.#resolve(labels);
    if (offset < 0 || store.touched[offset] === 0) return false;
    this['~removeOffset'](offset);
    return true;
  }

  /**
   * Removes the series at `offset`, as {@link remove} does.
   *
   * @internal the cluster aggregate drops a gauge series no worker reports any more
   */
  '~removeOffset'(offset: number): void {
    const store = this['~store'];
    this.#refuseShared('remove()');
    const at = store.series.indexOf(offset);
    if (at < 0) return;
    this.#clear(offset);
    store.series.splice(at, 1);
    store.generation++;
  }

  /**
   * The offset of a series, created if needed: its label values (checked and interned as a record's
   * are, folded into the overflow series when a budget is full), or `null` for the overflow series.
   *
   * @internal the cluster aggregate maps each worker's series into its own
   * @throws MetricLabelError for labels that do not fit the declaration, or `null` for a metric
   *   without an open label (it has no overflow series)
   */
  '~seriesFor'(labels: Readonly<Record<string, string>> | null): number {
    if (labels === null) {
      const overflow = this['~store'].layout.overflowOffset;
      if (overflow < 0) throw labelError(this['~store'].def, '', null, 'has no open label, so no overflow series');
      return this.#create(overflow);
    }
    return this.offsetOf(labels as L);
  }

  /**
   * Removes every series of this metric, the overflow series included, as {@link remove} does for
   * one: values are zeroed, label values keep their budget slots, bound handles stay valid.
   * The `dropped` and `overflowed` counts are not reset: they account for the whole process life.
   */
  reset(): void {
    if (this.#noop) return;
    const store = this['~store'];
    this.#refuseShared('reset()');
    for (const offset of store.series) this.#clear(offset);
    store.series.length = 0;
    store.generation++;
  }

  #refuseShared(call: string): void {
    if (this.#shared !== undefined) {
      throw new Error(`${this.name}: ${call} is not supported on a catalog shared across threads yet`);
    }
  }

  /**
   * Brings a shared family's read view up to date: the label values and series other threads
   * created, and every thread's slab summed into the merged arrays. Nothing for an unshared family.
   *
   * @internal run by the catalog before each collection
   */
  '~mergeShared'(): void {
    const shared = this.#shared;
    const merged = this.#merged;
    const store = this['~store'];
    if (shared === undefined || merged === undefined || store.table === undefined) return;
    this.#syncShared(store.table);
    sumSlabs(shared.slabs('values', merged.values.length), store.series, 1, merged.values);
    if (merged.counts.length > 0) {
      sumSlabs(shared.slabs('counts', merged.counts.length), store.series, store.stride, merged.counts);
    }
    shared.sumStats(merged.stats);
    const native = merged.native;
    if (native === undefined) return;
    for (const offset of store.series) {
      native.sum.clear(offset);
      for (const slab of native.slabs) {
        // A slab whose owner is moving that series' window is read again once it is done: that
        // takes microseconds, unless the owner is descheduled mid-move (or died there), so after
        // NATIVE_MOVE_WAIT_MS it is read as it stands.
        if (native.sum.mergeFrom(slab, offset)) continue;
        const deadline = performance.now() + NATIVE_MOVE_WAIT_MS;
        while (!native.sum.mergeFrom(slab, offset)) {
          if (performance.now() > deadline) {
            native.sum.mergeFrom(slab, offset, true);
            break;
          }
        }
      }
    }
  }

  // The series other threads created, then the open-label values: in this order, since a thread
  // interns a series' values before it creates the series, so every series listed here can be
  // decoded (interners first could list a series whose value was interned in between, and a reader
  // would cache its label as undefined).
  #syncShared(table: SharedSeriesTable): void {
    const store = this['~store'];
    table.sync(store.series);
    for (const axis of store.layout.axes) axis.interner?.sync();
  }

  #clear(offset: number): void {
    const store = this['~store'];
    store.touched[offset] = 0;
    store.values[offset] = 0;
    if (store.kind === 'histogram') store.counts.fill(0, offset * store.stride, (offset + 1) * store.stride);
    store.native?.clear(offset);
    store.exemplars?.clear(offset * store.stride, (offset + 1) * store.stride);
  }

  /**
   * Offset of the series for `labels`: the fast resolver, then the slow path on a miss.
   *
   * @internal
   */
  protected offsetOf(labels: L): number {
    const offset = this.#resolve(labels);
    if (offset >= 0 && this['~store'].touched[offset] === 1) return offset;
    return this.#miss(labels);
  }

  // Slow path, taken once per new series and on every record folded into the overflow series:
  // validates the whole label object (the fast resolver reads only the declared keys, so an unknown
  // extra key is caught here, when the series is first resolved), interns open values and creates
  // the series.
  #miss(labels: unknown): number {
    const store = this['~store'];
    const axes = store.layout.axes;
    this.#check(labels);
    let offset = 0;
    if (axes.length > 0) {
      const given = labels as Record<string, string>;
      // Fold when any open value finds no slot, before interning any: a folded record takes no slot
      // from another open label either.
      for (const axis of axes) {
        const interner = axis.interner;
        if (interner === undefined || interner.admits(given[axis.name] as string)) continue;
        return this.#fold(axis.name, given[axis.name] as string, interner.budget);
      }
      for (const axis of axes) {
        const value = given[axis.name] as string;
        const ordinal = axis.interner === undefined ? axis.closedValues.indexOf(value) : axis.interner.intern(value);
        // Only a shared interner refuses after admitting: another thread took the last place.
        if (ordinal < 0) return this.#fold(axis.name, value, axis.interner?.budget ?? 0);
        offset += ordinal * axis.stride;
      }
    }
    return this.#create(offset);
  }

  // Folds a record into the overflow series: the open label `label` has no place for `value`.
  #fold(label: string, value: string, budget: number): number {
    const store = this['~store'];
    store.stats.overflowed++;
    this.#onOverflow({ metric: store.def.name, label, value, budget });
    return this.#create(store.layout.overflowOffset);
  }

  #create(offset: number): number {
    const store = this['~store'];
    if (store.table !== undefined) {
      // Shared: whichever thread creates it first; every thread lists it from the shared log.
      if (store.touched[offset] === 0) store.table.create(offset, this.#now());
      this.#syncShared(store.table);
      return offset;
    }
    if (store.touched[offset] === 0) {
      store.touched[offset] = 1;
      store.series.push(offset);
      store.startTimes[offset] = this.#now();
    }
    return offset;
  }

  // Throws MetricLabelError unless `labels` names exactly the declared labels with allowed values.
  #check(labels: unknown): void {
    const store = this['~store'];
    const def = store.def;
    const axes = store.layout.axes;
    if (labels === null || typeof labels !== 'object') {
      // A label-less metric also takes no label object at all (an untyped `inc()`).
      if (labels == null && axes.length === 0) return;
      throw labelError(def, axes[0]?.name ?? '', labels, 'expected an object of labels');
    }
    const given = labels as Record<string, unknown>;
    for (const key of Object.keys(given)) {
      if (!Object.hasOwn(def.labels, key)) {
        throw labelError(def, key, given[key], `unknown label; declared: ${this.labelNames.join(', ') || '(none)'}`);
      }
    }
    for (const axis of axes) {
      const value = given[axis.name];
      if (value === undefined) {
        throw labelError(def, axis.name, value, `missing; declared: ${this.labelNames.join(', ')}`);
      }
      if (axis.interner === undefined) {
        if (typeof value !== 'string' || !axis.closedValues.includes(value)) throw labelError(def, axis.name, value);
      } else if (typeof value !== 'string') {
        throw labelError(def, axis.name, value, 'expected a string');
      }
    }
  }
}

/**
 * All series of one counter.
 *
 * @typeParam L - the label object type
 */
export class CounterFamily<L> extends MetricFamily<L> {
  readonly kind = 'counter' as const;
  readonly #values: Float64Array;

  /** @internal built by `catalog()` */
  constructor(def: MetricDef, options: FamilyOptions) {
    const layout = familyLayout(def, options);
    const values = options.shared?.slab('values', layout.capacity) ?? new Float64Array(layout.capacity);
    super(def, options, layout, values, EMPTY, EMPTY);
    this.#values = values;
  }

  /**
   * Returns a handle bound to one label set: validation and lookup happen here, once.
   *
   * @param args - the labels
   * @returns the handle; keep it and call `inc()`/`add()` on the hot path
   * @example
   * ```ts
   * const binanceTrades = md.received.bind({ exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' });
   * binanceTrades.inc();
   * ```
   */
  bind(...args: BindArgs<L>): CounterHandle {
    return new CounterHandle(this.#values, this.offsetOf((args[0] ?? {}) as L), this['~drops'], this['~exemplars']);
  }

  /**
   * Binds one handle per declared value of a closed label, at once: what a service does at setup
   * for a label whose every value it records (a reason, an order type, a message type). The record
   * is built here, so the hot path indexes it by the value it already has and touches no label
   * object. Every series it binds exists from then on, at 0.
   *
   * @param label - a closed label of this metric; not an open one, and not one of `args`
   * @param args - every other declared label (nothing when `label` is the only one)
   * @returns a frozen record from each value of `label`, in declaration order, to its handle
   * @throws MetricLabelError when `label` is not a closed label of this metric or the other labels
   *   do not fit the declaration (untyped callers)
   * @example
   * ```ts
   * const parseErrors = md.parseErrors.bindEach('reason', { exchange: 'binance' });
   * parseErrors.invalid_json.inc(); // parseErrors[reason].inc() with a reason from the parser
   * ```
   */
  bindEach<K extends InferClosedLabels<L>>(label: K, ...args: BindEachArgs<L, K>): HandlesByValue<L, K, CounterHandle> {
    return bindEachValue(this['~store'].def, this['~labelLayout'], label, args[0], (labels) =>
      this.bind(...([labels] as BindArgs<L>)),
    ) as HandlesByValue<L, K, CounterHandle>;
  }

  /**
   * Adds 1 to the series for `labels`.
   *
   * @param labels - every declared label
   */
  inc(labels: L): void {
    this.#values[this.offsetOf(labels)] += 1;
  }

  /**
   * Adds `value` to the series for `labels`; a negative or non-finite value is dropped and counted.
   *
   * @param labels - every declared label
   * @param value - a finite number ≥ 0
   */
  add(labels: L, value: number): void {
    const offset = this.offsetOf(labels);
    if (value >= 0 && value < Number.POSITIVE_INFINITY) this.#values[offset] += value;
    else this['~drops'].drop(value);
  }
}

/**
 * All series of one gauge.
 *
 * @typeParam L - the label object type
 */
export class GaugeFamily<L> extends MetricFamily<L> {
  readonly kind = 'gauge' as const;
  readonly #values: Float64Array;
  readonly #emitNonFinite: boolean;

  /** @internal built by `catalog()` */
  constructor(def: MetricDef, options: FamilyOptions) {
    const layout = familyLayout(def, options);
    const values = options.shared?.slab('values', layout.capacity) ?? new Float64Array(layout.capacity);
    super(def, options, layout, values, EMPTY, EMPTY);
    this.#values = values;
    this.#emitNonFinite = def.nonFinite === 'emit';
  }

  /**
   * Returns a handle bound to one label set.
   *
   * @param args - the labels
   * @returns the handle
   */
  bind(...args: BindArgs<L>): GaugeHandle {
    const offset = this.offsetOf((args[0] ?? {}) as L);
    return this.#emitNonFinite
      ? new EmittingGaugeHandle(this.#values, offset, this['~drops'])
      : new GaugeHandle(this.#values, offset, this['~drops']);
  }

  /**
   * Binds one handle per declared value of a closed label, at once; see {@link CounterFamily.bindEach}.
   *
   * @param label - a closed label of this metric; not an open one, and not one of `args`
   * @param args - every other declared label (nothing when `label` is the only one)
   * @returns a frozen record from each value of `label`, in declaration order, to its handle
   * @throws MetricLabelError when `label` is not a closed label of this metric or the other labels
   *   do not fit the declaration (untyped callers)
   * @example
   * ```ts
   * const status = md.connectionStatus.bindEach('exchange');
   * status.okx.set(1);
   * ```
   */
  bindEach<K extends InferClosedLabels<L>>(label: K, ...args: BindEachArgs<L, K>): HandlesByValue<L, K, GaugeHandle> {
    return bindEachValue(this['~store'].def, this['~labelLayout'], label, args[0], (labels) =>
      this.bind(...([labels] as BindArgs<L>)),
    ) as HandlesByValue<L, K, GaugeHandle>;
  }

  /**
   * Sets the series for `labels`; a non-finite value is dropped and counted unless the gauge emits
   * non-finite values.
   *
   * @param labels - every declared label
   * @param value - the new value
   */
  set(labels: L, value: number): void {
    const offset = this.offsetOf(labels);
    if (value - value === 0 || this.#emitNonFinite) this.#values[offset] = value;
    else this['~drops'].drop(value);
  }

  /**
   * Adds `value` (may be negative) to the series for `labels`.
   *
   * @param labels - every declared label
   * @param value - a finite number
   */
  add(labels: L, value: number): void {
    const offset = this.offsetOf(labels);
    if (value - value === 0 || this.#emitNonFinite) this.#values[offset] += value;
    else this['~drops'].drop(value);
  }
}

/**
 * All series of one histogram.
 *
 * @typeParam L - the label object type
 */
export class HistogramFamily<L> extends MetricFamily<L> {
  readonly kind = 'histogram' as const;
  readonly #counts: Float64Array;
  readonly #sums: Float64Array;
  readonly #bounds: Float64Array;
  readonly #stride: number;
  readonly #native: NativeStore | undefined;

  /** @internal built by `catalog()` */
  constructor(def: MetricDef, options: FamilyOptions) {
    const layout = familyLayout(def, options);
    const capacity = layout.capacity;
    const bounds = Float64Array.from(def.buckets);
    const stride = bounds.length + 1;
    const sums = options.shared?.slab('values', capacity) ?? new Float64Array(capacity);
    const counts = options.shared?.slab('counts', capacity * stride) ?? new Float64Array(capacity * stride);
    const shared = options.shared;
    const native =
      def.native === undefined
        ? undefined
        : shared === undefined
          ? new NativeStore(def.native, capacity)
          : (sharedNativeStores(def.native, capacity, shared, true)[shared.slabIndex] as NativeStore);
    super(def, options, layout, sums, counts, bounds, native);
    this.#counts = counts;
    this.#sums = sums;
    this.#bounds = bounds;
    this.#stride = stride;
    this.#native = native;
  }

  /** Upper bounds of the finite buckets. */
  get buckets(): readonly number[] {
    return Array.from(this.#bounds);
  }

  /**
   * Returns a handle bound to one label set.
   *
   * @param args - the labels
   * @returns the handle
   */
  bind(...args: BindArgs<L>): HistogramHandle {
    const offset = this.offsetOf((args[0] ?? {}) as L);
    const native = this.#native;
    const drops = this['~drops'];
    const exemplars = this['~exemplars'];
    return native === undefined
      ? new HistogramHandle(this.#counts, this.#sums, offset, this.#stride, this.#bounds, drops, exemplars)
      : new NativeHistogramHandle(
          this.#counts,
          this.#sums,
          offset,
          this.#stride,
          this.#bounds,
          drops,
          exemplars,
          native,
        );
  }

  /**
   * Binds one handle per declared value of a closed label, at once; see {@link CounterFamily.bindEach}.
   *
   * @param label - a closed label of this metric; not an open one, and not one of `args`
   * @param args - every other declared label (nothing when `label` is the only one)
   * @returns a frozen record from each value of `label`, in declaration order, to its handle
   * @throws MetricLabelError when `label` is not a closed label of this metric or the other labels
   *   do not fit the declaration (untyped callers)
   * @example
   * ```ts
   * const latency = md.latency.bindEach('type', { exchange: 'okx' });
   * latency.trade.observe(3.2);
   * ```
   */
  bindEach<K extends InferClosedLabels<L>>(
    label: K,
    ...args: BindEachArgs<L, K>
  ): HandlesByValue<L, K, HistogramHandle> {
    return bindEachValue(this['~store'].def, this['~labelLayout'], label, args[0], (labels) =>
      this.bind(...([labels] as BindArgs<L>)),
    ) as HandlesByValue<L, K, HistogramHandle>;
  }

  /**
   * Records one sample in the series for `labels`; a negative or non-finite sample is dropped and
   * counted.
   *
   * @param labels - every declared label
   * @param value - a finite number ≥ 0
   */
  observe(labels: L, value: number): void {
    const offset = this.offsetOf(labels);
    if (value >= 0 && value < Number.POSITIVE_INFINITY) {
      this.#counts[offset * this.#stride + bucketIndex(this.#bounds, value)] += 1;
      this.#sums[offset] += value;
      this.#native?.record(offset, value);
    } else {
      this['~drops'].drop(value);
    }
  }
}

/** `into[o·width + i] = Σ slabs[k][o·width + i]` for every series offset o: a shared family's read view. */
function sumSlabs(slabs: readonly Float64Array[], series: readonly number[], width: number, into: Float64Array): void {
  for (const offset of series) {
    const from = offset * width;
    for (let i = from; i < from + width; i++) {
      let total = 0;
      for (const slab of slabs) total += slab[i] as number;
      into[i] = total;
    }
  }
}

// A no-op family's layout: one slot, no label axes, so every label set resolves to that slot at once.
const NOOP_LAYOUT: SeriesLayout = Object.freeze({ axes: [], capacity: 1, overflowOffset: -1 });

/** A family's layout: its open labels interned in shared memory when the catalog is shared. */
function familyLayout(def: MetricDef, options: FamilyOptions): SeriesLayout {
  if (options.noop === true) return NOOP_LAYOUT;
  const shared = options.shared;
  if (shared === undefined) return computeLayout(def, options.budgets);
  return computeLayout(def, options.budgets, (label, budget) => shared.interner(label, budget));
}

/**
 * The native stores over every thread's slab of a shared histogram: this thread's own is set to the
 * declared schema when `own` (it records into it), the others are views as their owners left them.
 */
function sharedNativeStores(
  spec: NativeHistogramSpec,
  capacity: number,
  shared: SharedFamilyStorage,
  own: boolean,
): NativeStore[] {
  const window = spec.maxBuckets;
  const schemas = shared.typedSlabs('native.schemas', capacity, Int8Array);
  const lows = shared.typedSlabs('native.lows', capacity, Int32Array);
  const zeroCounts = shared.typedSlabs('native.zeroCounts', capacity, Float64Array);
  const counts = shared.typedSlabs('native.counts', capacity * window, Float64Array);
  const sequences = shared.typedSlabs('native.sequences', capacity, Int32Array);
  return schemas.map((_, k) => {
    const arrays = {
      schemas: schemas[k] as Int8Array,
      lows: lows[k] as Int32Array,
      zeroCounts: zeroCounts[k] as Float64Array,
      counts: counts[k] as Float64Array,
      sequences: sequences[k] as Int32Array,
    };
    return new NativeStore(spec, capacity, arrays, own && k === shared.slabIndex);
  });
}
