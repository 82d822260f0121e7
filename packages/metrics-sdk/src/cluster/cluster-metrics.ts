import cluster, { type Worker } from 'node:cluster';
import { type Catalog, type CatalogDefs, catalog } from '../define/catalog.js';
import { MetricsOptionError } from '../define/errors.js';
import { open } from '../define/labels.js';
import type { MetricDef } from '../define/metric.js';
import {
  expectArray,
  expectFunction,
  expectKeys,
  expectObject,
  expectPositiveInteger,
  type OptionProblem,
} from '../define/option-checks.js';
import type { CatalogSnapshot, FamilySnapshot, SnapshotMessage } from './cluster-protocol.js';
import { isMessage } from './cluster-protocol.js';
import { FamilyAggregate, WORKER_LABEL, WorkerFamily } from './family-aggregate.js';

/** Options of {@link aggregateClusterMetrics}. */
export interface ClusterMetricsOptions {
  /**
   * The catalog classes every worker serves with `serveMetricsToPrimary`, in the same order: the
   * primary builds one aggregate of each.
   */
  readonly catalogs: readonly { readonly definitions: CatalogDefs }[];
  /**
   * How long a collection waits for each worker's snapshot, in ms; a worker that has not answered
   * by then is shown with its last snapshot (counted in `stats.timeouts`). Default 1000.
   */
  readonly timeoutMs?: number;
  /**
   * The most workers alive at once, i.e. the values the `worker` label of a `perWorker` gauge takes
   * (`"0"`, `"1"`, …: a worker's slot, reused by the worker that replaces it). Default 64.
   */
  readonly maxWorkers?: number;
  /** Called for a worker whose metrics cannot be aggregated (another catalog, a broken snapshot). */
  readonly onError?: (error: Error) => void;
}

/** What the aggregation has done; see {@link ClusterMetrics.stats}. */
export interface ClusterMetricsStats {
  /** Workers serving metrics now. */
  readonly workers: number;
  /** Workers that exited; their counters and histograms stay in the aggregate. */
  readonly retired: number;
  /** Collections: one snapshot asked of every live worker each. */
  readonly pulls: number;
  /** Snapshots not received within `timeoutMs` (the last one was shown instead). */
  readonly timeouts: number;
}

/** The primary's view of its workers' metrics; see {@link aggregateClusterMetrics}. */
export interface ClusterMetrics {
  /**
   * One aggregate catalog per class of `catalogs`, to pass as `sources` to `createMetricsServer`:
   * each collection first pulls a snapshot from every worker.
   */
  readonly sources: readonly Catalog[];
  /** Counts of workers, collections and late snapshots. */
  readonly stats: ClusterMetricsStats;
  /** Asks every live worker for a snapshot and aggregates them; what a collection does first. */
  pull(): Promise<void>;
  /** Stops listening to the workers. */
  close(): void;
}

interface WorkerState {
  readonly worker: Worker;
  /** Its `worker` label value. */
  readonly slot: number;
  /** Per catalog, per family. */
  readonly families: readonly (readonly WorkerFamily[])[];
  sequence: number;
  readonly pending: Map<number, () => void>;
}

/**
 * Serves the metrics of a Node cluster's workers from its primary: one `/metrics` for all of them.
 * Each worker calls `serveMetricsToPrimary` with its catalogs; at each collection the primary asks
 * every worker for a binary snapshot (typed arrays over the cluster's IPC channel, which must use
 * `serialization: 'advanced'`), and writes their combination into aggregate catalogs built from the
 * same declarations: counters and histograms (native buckets too) summed, gauges combined as each
 * declares (`clusterAggregation`: sum, min, max, or one series per worker labelled `worker`), the
 * workers' dropped and overflowed counts summed into the self-metrics. A worker that exits keeps
 * its counts: what its last snapshot held stays in every later sum (its gauges leave). A worker that
 * calls `flush()` before exiting loses nothing; one killed outright loses what it recorded after
 * the last collection.
 *
 * The aggregate's open labels have the declared budgets: when the workers' values together pass
 * one, the series beyond it are folded into the overflow series and counted, as in one process.
 *
 * @param options - the catalog classes, and the timeout per collection
 * @returns the aggregate catalogs to serve, with stats
 * @throws MetricsOptionError when not in a cluster primary whose IPC serialization is `'advanced'`,
 *   or for a wrong option (a `perWorker` gauge that already has a `worker` label)
 * @example
 * ```ts
 * import cluster from 'node:cluster';
 * if (cluster.isPrimary) {
 *   cluster.setupPrimary({ serialization: 'advanced' });
 *   for (let i = 0; i < 4; i++) cluster.fork();
 *   const metrics = aggregateClusterMetrics({ catalogs: [GatewayMetrics] });
 *   await createMetricsServer({ sources: metrics.sources, service: 'gateway' }).listen();
 * } else {
 *   const gateway = new GatewayMetrics();
 *   serveMetricsToPrimary({ sources: [gateway] });
 * }
 * ```
 */
export function aggregateClusterMetrics(options: ClusterMetricsOptions): ClusterMetrics {
  const given = expectObject(options, 'options', optionError);
  expectKeys(given, 'options', ['catalogs', 'timeoutMs', 'maxWorkers', 'onError'], optionError);
  const classes = expectArray(given['catalogs'], 'catalogs', optionError) as ClusterMetricsOptions['catalogs'];
  classes.forEach((cls: unknown, i) => {
    const definitions = typeof cls === 'function' ? (cls as { definitions?: unknown }).definitions : undefined;
    if (typeof definitions !== 'object' || definitions === null) {
      throw new MetricsOptionError(
        `catalogs[${i}]`,
        'a catalog class',
        `aggregateClusterMetrics: catalogs[${i}] is not a catalog class (what catalog() returns)`,
      );
    }
  });
  const timeoutMs =
    given['timeoutMs'] === undefined ? 1000 : expectPositiveInteger(given['timeoutMs'], 'timeoutMs', optionError);
  const maxWorkers =
    given['maxWorkers'] === undefined ? 64 : expectPositiveInteger(given['maxWorkers'], 'maxWorkers', optionError);
  const onError =
    given['onError'] === undefined
      ? (error: Error) => process.emitWarning(error.message, 'ClusterMetricsWarning')
      : expectFunction<(error: Error) => void>(given['onError'], 'onError', optionError);
  if (!cluster.isPrimary) {
    throw new MetricsOptionError('cluster', 'the primary', 'aggregateClusterMetrics: call it in the cluster primary');
  }
  if (cluster.settings.serialization !== 'advanced') {
    throw new MetricsOptionError(
      'cluster.settings.serialization',
      "'advanced'",
      "aggregateClusterMetrics: the cluster's IPC must carry typed arrays: call cluster.setupPrimary({ serialization: 'advanced' }) before forking",
    );
  }
  const aggregates = classes.map((cls, i) => buildAggregate(cls, i, maxWorkers));
  const expected = classes.map((cls) => Object.values(cls.definitions).map((def) => def.name));
  const workers = new Map<number, WorkerState>();
  const freeSlots: number[] = [];
  let nextSlot = 0;
  let nextId = 0;
  let pulls = 0;
  let timeouts = 0;
  let retired = 0;

  const onMessage = (worker: Worker, message: unknown): void => {
    if (isMessage(message, 'hello')) {
      hello(worker, message.catalogs);
      return;
    }
    if (!isMessage(message, 'snapshot')) return;
    const state = workers.get(worker.id);
    if (state === undefined) return;
    const problem = snapshotProblem(message, expected);
    if (problem !== undefined) {
      onError(
        new Error(`aggregateClusterMetrics: worker ${worker.id} sent a snapshot that cannot be used: ${problem}`),
      );
    } else if (message.sequence > state.sequence) {
      state.sequence = message.sequence;
      try {
        message.catalogs.forEach((families, c) => {
          families.forEach((snapshot, f) => {
            aggregates[c]?.families[f]?.apply(state.families[c]?.[f] as WorkerFamily, snapshot, String(state.slot));
          });
        });
      } catch (error) {
        // A label value another budget or domain refuses, or arrays of the wrong shape: reported,
        // and the families applied before it keep this snapshot.
        onError(
          new Error(`aggregateClusterMetrics: worker ${worker.id} sent a snapshot that cannot be used`, {
            cause: error,
          }),
        );
      }
    }
    state.pending.get(message.id)?.();
  };

  const hello = (worker: Worker, catalogs: readonly (readonly string[])[]): void => {
    if (workers.has(worker.id)) return;
    if (
      !Array.isArray(catalogs) ||
      catalogs.map((names) => String(names)).join('|') !== expected.map(String).join('|')
    ) {
      onError(
        new Error(
          `aggregateClusterMetrics: worker ${worker.id} serves other catalogs than the primary aggregates; its metrics are left out`,
        ),
      );
      return;
    }
    const slot = freeSlots.shift() ?? nextSlot++;
    workers.set(worker.id, {
      worker,
      slot,
      families: aggregates.map((aggregate) => aggregate.families.map(() => new WorkerFamily())),
      sequence: 0,
      pending: new Map(),
    });
  };

  const onExit = (worker: Worker): void => {
    const state = workers.get(worker.id);
    if (state === undefined) return;
    workers.delete(worker.id);
    for (const resolve of state.pending.values()) resolve();
    aggregates.forEach((aggregate, c) => {
      aggregate.families.forEach((family, f) => {
        family.retire(state.families[c]?.[f] as WorkerFamily);
      });
    });
    freeSlots.push(state.slot);
    freeSlots.sort((a, b) => a - b);
    retired++;
  };

  const request = (state: WorkerState): Promise<void> =>
    new Promise((resolve) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        state.pending.delete(id);
        timeouts++;
        resolve();
      }, timeoutMs);
      state.pending.set(id, () => {
        clearTimeout(timer);
        state.pending.delete(id);
        resolve();
      });
      const known = state.families.map((families) =>
        families.map((family) => ({ series: family.mapped, generation: family.generation })),
      );
      // A worker whose channel just closed cannot answer: its exit retires it.
      if (!state.worker.isConnected()) return;
      state.worker.send({ kind: 'ttquant-metrics-pull', id, known }, (error) => {
        if (error !== null && error !== undefined) state.pending.get(id)?.();
      });
    });

  const pull = async (): Promise<void> => {
    pulls++;
    await Promise.all([...workers.values()].map(request));
    const live = [...workers.values()];
    aggregates.forEach((aggregate, c) => {
      aggregate.families.forEach((family, f) => {
        family.merge(live.map((state) => state.families[c]?.[f] as WorkerFamily));
      });
    });
  };

  for (const source of aggregates) Object.defineProperty(source.catalog, '~pull', { value: pull });
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  return {
    sources: aggregates.map((aggregate) => aggregate.catalog),
    get stats(): ClusterMetricsStats {
      return { workers: workers.size, retired, pulls, timeouts };
    },
    pull,
    close() {
      cluster.off('message', onMessage);
      cluster.off('exit', onExit);
    },
  };
}

/** @internal one catalog class's aggregate: its catalog and how each family merges */
export interface Aggregate {
  readonly catalog: Catalog;
  readonly families: readonly FamilyAggregate[];
}

/**
 * The aggregate of one catalog class: the same declarations, with a `worker` label (one value per
 * worker slot) added to each perWorker gauge.
 *
 * @internal
 */
export function buildAggregate(
  cls: ClusterMetricsOptions['catalogs'][number],
  index: number,
  maxWorkers: number,
): Aggregate {
  const defs: Record<string, MetricDef> = {};
  for (const [key, def] of Object.entries(cls.definitions)) {
    if (def.kind !== 'gauge' || (def.clusterAggregation ?? 'perWorker') !== 'perWorker') {
      defs[key] = def;
      continue;
    }
    if (Object.hasOwn(def.labels, WORKER_LABEL)) {
      throw new MetricsOptionError(
        `catalogs[${index}]`,
        'gauges without a worker label, or with clusterAggregation',
        `aggregateClusterMetrics: ${def.name} is aggregated per worker (clusterAggregation 'perWorker', the default for a gauge) but already has a label named ${WORKER_LABEL}; declare its clusterAggregation`,
      );
    }
    defs[key] = { ...def, labels: { ...def.labels, [WORKER_LABEL]: open({ budget: maxWorkers }) } };
  }
  const AggregateCatalog = catalog(defs);
  // Folds are counted in the self-metrics; a warning per metric would only repeat them.
  const instance = new AggregateCatalog({ onOverflow: () => {} });
  const families = instance['~families'].map(
    (family, i) => new FamilyAggregate(family, Object.keys((Object.values(cls.definitions)[i] as MetricDef).labels)),
  );
  return { catalog: instance, families };
}

// Why a snapshot cannot be merged, or undefined: it must hold the expected families, with typed
// arrays of matching lengths (a JSON channel would turn them into plain objects).
function snapshotProblem(message: SnapshotMessage, expected: readonly (readonly string[])[]): string | undefined {
  if (!Array.isArray(message.catalogs) || message.catalogs.length !== expected.length)
    return 'wrong number of catalogs';
  for (let c = 0; c < expected.length; c++) {
    const families = message.catalogs[c] as CatalogSnapshot;
    const names = expected[c] as readonly string[];
    if (!Array.isArray(families) || families.length !== names.length) return `catalog ${c}: wrong number of metrics`;
    for (let f = 0; f < names.length; f++) {
      const problem = familyProblem(families[f] as FamilySnapshot, names[f] as string);
      if (problem !== undefined) return `${names[f]}: ${problem}`;
    }
  }
  return undefined;
}

function familyProblem(snapshot: FamilySnapshot, name: string): string | undefined {
  if (typeof snapshot !== 'object' || snapshot === null || snapshot.name !== name) return 'another metric';
  if (!(snapshot.values instanceof Float64Array)) {
    return "values are not typed arrays (is the cluster's serialization 'advanced'?)";
  }
  return undefined;
}

function optionError(problem: OptionProblem): MetricsOptionError {
  return new MetricsOptionError(problem.option, problem.expected, `aggregateClusterMetrics: ${problem.message}`);
}
