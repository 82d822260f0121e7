import type { CounterFamily, GaugeFamily, HistogramFamily, MetricFamily } from '../storage/families.js';
import { CounterFamily as Counter, GaugeFamily as Gauge, HistogramFamily as Histogram } from '../storage/families.js';
import { type InvalidValueHook, warnOncePerMetric } from '../storage/invalid.js';
import { type OverflowHook, warnOnFirstOverflow } from '../storage/overflow.js';
import type { OwnerSnapshot } from '../storage/shared/owner-snapshot.js';
import {
  DEFAULT_SHARED_THREADS,
  type SharedCatalogDescriptor,
  SharedCatalogStorage,
} from '../storage/shared/shared-catalog-storage.js';
import { MetricDefinitionError } from './errors.js';
import type { OpenDomain } from './labels.js';
import type { InferLabels, MetricDef } from './metric.js';
import {
  expectBoolean,
  expectFunction,
  expectKeys,
  expectObject,
  optionProblem,
  toDefinitionError,
} from './option-checks.js';
import { validateDefinitions } from './validate.js';

// The catalog joins the two lower layers: it validates declarations (define/) and allocates their
// storage (storage/). It is the only file in define/ that imports storage/.

/** Catalog key → declaration. */
export type CatalogDefs = { readonly [key: string]: MetricDef };

/** The family class a declaration becomes. */
export type InferFamily<M> =
  M extends MetricDef<'counter'>
    ? CounterFamily<InferLabels<M>>
    : M extends MetricDef<'gauge'>
      ? GaugeFamily<InferLabels<M>>
      : M extends MetricDef<'histogram'>
        ? HistogramFamily<InferLabels<M>>
        : never;

/** The instance type of a catalog: key → family. */
export type InferCatalog<D extends CatalogDefs> = { readonly [K in keyof D]: InferFamily<D[K]> };

/** The open labels of one declaration. */
type OpenLabelsOf<M> =
  M extends MetricDef<infer _K, infer S> ? { [L in keyof S]: S[L] extends OpenDomain ? L : never }[keyof S] : never;

/** Options for a catalog instance. */
export interface CatalogOptions<D extends CatalogDefs = CatalogDefs> {
  /**
   * Override open-label budgets at start-up: catalog key → label → budget. Past a budget, new label
   * sets of that metric are recorded in its one overflow series, `otel_metric_overflow="true"`.
   */
  readonly budgets?: { readonly [K in keyof D]?: { readonly [L in OpenLabelsOf<D[K]>]?: number } };
  /**
   * Called for each dropped value (negative or non-finite). Default: one process warning per metric.
   * Tests pass `throwOnInvalidValue` to stay strict.
   */
  readonly onInvalidValue?: InvalidValueHook;
  /**
   * Called for each record folded into an overflow series because a budget was full. Default: one
   * process warning per metric; every folded record is counted either way.
   */
  readonly onOverflow?: OverflowHook;
  /** Wall clock, ms since the epoch; read when a series is first created. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Keep the storage in shared memory, for worker threads: `{ threads }` creates it (at most
   * `threads` instances may attach, this one included; default 8), and the descriptor another
   * instance's `share()` returned attaches to it, in this or another thread. Every instance records
   * into a slab of its own (one plain typed-array write, as unshared) and reads the sum of all of
   * them; series, open-label values, budgets and the overflow series are common to all. Budgets come
   * from the creating instance. Not yet for metrics with exemplars, nor with `remove()` and `reset()`.
   */
  readonly shared?: { readonly threads?: number } | SharedCatalogDescriptor;
  /**
   * Record nothing, expose nothing: the same typed API, every record a write into one scratch slot,
   * no series, no storage per label set, and no family for a writer, the OTel bridge or the
   * self-metrics to read. For code that must run with its metrics turned off (a backtest measured
   * against itself, a benchmark's floor) without an `if` at every record. Labels are not checked.
   */
  readonly noop?: boolean;
}

/** What every catalog instance has besides its metric families. */
export interface Catalog {
  /** Every family of this catalog, in declaration order. */
  readonly '~families': readonly MetricFamily<unknown>[];
  /**
   * Registers a function run right before each collection (a scrape or an OTel collect): the place
   * to refresh gauges derived from other state, such as an uptime.
   *
   * @param hook - called with no arguments; must not throw
   */
  beforeCollect(hook: () => void): void;
  /** @internal runs the hooks, then sums a shared catalog's slabs; exposition calls it once per collection */
  '~runCollectHooks'(): void;
  /** @internal runs the hooks only: the recording thread of a catalog served from a worker */
  '~runBeforeCollect'(): void;
  /**
   * @internal takes the snapshot slab of a shared catalog for this instance's thread: the recording
   * thread of a catalog served from a worker with `collect: 'onScrape'`
   * @throws Error when the catalog is not shared, or its snapshot slab is taken
   */
  '~ownerSnapshot'(): OwnerSnapshot;
  /**
   * The descriptor that attaches another instance, in any worker thread, to this catalog's shared
   * storage: pass it as `new TheCatalog({ shared: descriptor })` there. Post it in a message or in
   * `workerData`; its SharedArrayBuffers are shared, not copied.
   *
   * @throws Error when the catalog was created without `shared`
   */
  share(): SharedCatalogDescriptor;
}

/** A class produced by {@link catalog}. */
export interface CatalogClass<D extends CatalogDefs> {
  new (options?: CatalogOptions<D>): Catalog & InferCatalog<D>;
  /** The validated, frozen declarations. */
  readonly definitions: D;
}

/**
 * Turns a set of declarations into a catalog class. Validates every declaration once (throwing one
 * {@link MetricDefinitionError} with all issues), freezes them, and returns a class whose instances
 * own the storage: one family per key. Nothing is created at import; storage is allocated by `new`,
 * which throws a {@link MetricDefinitionError} naming the option (`options.now`) for a wrong option.
 *
 * @param defs - catalog key → declaration
 * @returns a class to extend or instantiate
 * @example
 * ```ts
 * const defs = {
 *   received: counter('market_data_received_total', 'Messages received', {
 *     exchange: closed('binance', 'okx'), symbol: open({ budget: 200 }),
 *   }),
 * };
 * export class MarketDataMetrics extends catalog(defs) {}
 * const md = new MarketDataMetrics();
 * md.received.inc({ exchange: 'binance', symbol: 'BTCUSDT' });
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function catalog<const D extends CatalogDefs>(defs: D): CatalogClass<D> {
  const issues = validateDefinitions(defs);
  if (issues.length > 0) throw new MetricDefinitionError(issues);
  const frozen = deepFreeze(defs);
  const keys = Object.keys(frozen);

  class CatalogBase implements Catalog {
    static readonly definitions = frozen;
    declare readonly '~families': readonly MetricFamily<unknown>[];
    readonly #hooks: (() => void)[] = [];
    readonly #shared: SharedCatalogStorage | undefined;

    constructor(options: CatalogOptions<D> = {}) {
      checkCatalogOptions(options);
      const shared = sharedStorage(frozen, options.shared);
      this.#shared = shared;
      const budgets = (options.budgets ?? {}) as Record<string, Record<string, number> | undefined>;
      // The declarations were validated by catalog(); only overrides can add issues here.
      if (options.budgets !== undefined) {
        const overrideIssues = validateDefinitions(frozen, budgets);
        if (overrideIssues.length > 0) throw new MetricDefinitionError(overrideIssues);
      }
      const noop = options.noop === true;
      // A no-op catalog records nothing, so it has nothing to warn about either.
      const onInvalidValue = noop ? () => {} : (options.onInvalidValue ?? warnOncePerMetric());
      const onOverflow = options.onOverflow ?? warnOnFirstOverflow();
      const now = options.now ?? Date.now;
      const families: MetricFamily<unknown>[] = [];
      for (const key of keys) {
        const def = frozen[key] as MetricDef;
        // An attaching instance takes the creator's budgets; the creator records its own.
        const inForce = shared?.budgetsOf(key) ?? budgets[key];
        const familyOptions = {
          budgets: inForce,
          onInvalidValue,
          onOverflow,
          now,
          shared: shared?.family(key, def.name, inForce ?? {}),
          noop,
        };
        const family =
          def.kind === 'counter'
            ? new Counter<unknown>(def, familyOptions)
            : def.kind === 'gauge'
              ? new Gauge<unknown>(def, familyOptions)
              : new Histogram<unknown>(def, familyOptions);
        Object.defineProperty(this, key, { value: family, enumerable: true });
        families.push(family);
      }
      // A no-op catalog's families are reachable by key, and by nothing that reads or exports.
      Object.defineProperty(this, '~families', { value: Object.freeze(noop ? [] : families) });
    }

    beforeCollect(hook: () => void): void {
      this.#hooks.push(hook);
    }

    '~runBeforeCollect'(): void {
      for (const hook of this.#hooks) hook();
    }

    '~runCollectHooks'(): void {
      this['~runBeforeCollect']();
      // After the hooks, so what they set is in this collection's sums.
      if (this.#shared !== undefined) for (const family of this['~families']) family['~mergeShared']();
    }

    '~ownerSnapshot'(): OwnerSnapshot {
      if (this.#shared === undefined) throw new Error('this catalog was created without the shared option');
      return this.#shared.ownerSnapshot();
    }

    share(): SharedCatalogDescriptor {
      if (this.#shared === undefined) throw new Error('share(): this catalog was created without the shared option');
      return this.#shared.descriptor;
    }
  }
  return CatalogBase as unknown as CatalogClass<D>;
}

const OPTION_KEYS = Object.keys({
  budgets: true,
  onInvalidValue: true,
  onOverflow: true,
  now: true,
  shared: true,
  noop: true,
} satisfies Record<keyof CatalogOptions, true>);

// The containers only: budget values are checked with the declarations, by validateDefinitions.
function checkCatalogOptions(value: unknown): void {
  const options = expectObject(value, 'options', toDefinitionError);
  expectKeys(options, 'options', OPTION_KEYS, toDefinitionError);
  if (options['budgets'] !== undefined) {
    const budgets = expectObject(options['budgets'], 'options.budgets', toDefinitionError);
    for (const [key, labels] of Object.entries(budgets)) {
      if (labels !== undefined) expectObject(labels, `options.budgets.${key}`, toDefinitionError);
    }
  }
  for (const hook of ['onInvalidValue', 'onOverflow', 'now']) {
    if (options[hook] !== undefined) expectFunction(options[hook], `options.${hook}`, toDefinitionError);
  }
  if (options['noop'] !== undefined) {
    expectBoolean(options['noop'], 'options.noop', toDefinitionError);
    if (options['noop'] === true && options['shared'] !== undefined) {
      throw toDefinitionError(
        optionProblem('options.noop', 'not with options.shared', true, 'a no-op catalog records nothing to share'),
      );
    }
  }
}

// The shared storage an instance creates or attaches, checked against the declarations; undefined
// when the catalog is not shared.
function sharedStorage(defs: CatalogDefs, option: unknown): SharedCatalogStorage | undefined {
  if (option === undefined) return undefined;
  const given = expectObject(option, 'options.shared', toDefinitionError);
  const unsupported = Object.entries(defs).flatMap(([key, def]) =>
    def.exemplars !== undefined
      ? [{ path: key, message: 'a catalog shared across threads does not yet support exemplars' }]
      : [],
  );
  if (unsupported.length > 0) throw new MetricDefinitionError(unsupported);
  if (given['kind'] === 'ttquant-shared-catalog') {
    const descriptor = option as SharedCatalogDescriptor;
    if (!(descriptor.claims instanceof SharedArrayBuffer) || !Number.isInteger(descriptor.threads)) {
      throw toDefinitionError(
        optionProblem('options.shared', "the descriptor a shared catalog's share() returned", option),
      );
    }
    const names = Object.values(defs).map((def) => def.name);
    const theirs = Array.isArray(descriptor.families) ? descriptor.families.map((family) => family.name) : [];
    if (names.join() !== theirs.join()) {
      throw toDefinitionError(
        optionProblem(
          'options.shared',
          "the descriptor of this catalog class's share()",
          `a descriptor of ${theirs.join(', ') || 'no metrics'}`,
          `a descriptor of another catalog (this one declares ${names.join(', ')})`,
        ),
      );
    }
    return new SharedCatalogStorage(descriptor);
  }
  expectKeys(given, 'options.shared', ['threads'], toDefinitionError);
  const threads = given['threads'] ?? DEFAULT_SHARED_THREADS;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw toDefinitionError(optionProblem('options.shared.threads', 'an integer from 1 to 1024', threads));
  }
  return new SharedCatalogStorage({ threads });
}

// Recurses into already-frozen objects too: `Object.freeze(defs)` freezes only the outer level.
function deepFreeze<T>(value: T, seen: Set<object> = new Set()): T {
  if (value !== null && typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner, seen);
  }
  return value;
}
