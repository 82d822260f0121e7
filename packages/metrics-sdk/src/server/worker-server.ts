import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Catalog, CatalogClass, CatalogDefs } from '../define/catalog.js';
import { MetricsOptionError } from '../define/errors.js';
import {
  expectInteger,
  expectOneOf,
  expectPositiveInteger,
  type OptionProblem,
  optionProblem,
} from '../define/option-checks.js';
import { RuntimeMetrics } from '../runtime/runtime-metrics.js';
import type { OwnerSnapshot } from '../storage/shared/owner-snapshot.js';
import type { MetricsServerAddress } from './metrics-server.js';
import {
  CONTROL,
  type MetricsWorkerCommand,
  type MetricsWorkerJob,
  type MetricsWorkerReply,
  type WorkerServerOptions,
} from './worker-protocol.js';

/** When this thread runs the sources' `beforeCollect` hooks; see {@link WorkerMetricsServerOptions.collect}. */
export type WorkerCollectMode = 'timer' | 'onScrape';

/** Default of {@link WorkerMetricsServerOptions.niceness}. */
export const DEFAULT_NICENESS = 10;

/** Default of {@link WorkerMetricsServerOptions.collectTimeoutMs}. */
export const DEFAULT_COLLECT_TIMEOUT_MS = 250;

/** Options of {@link serveMetricsFromWorker}. */
export interface WorkerMetricsServerOptions extends WorkerServerOptions {
  /**
   * Shared catalogs (created with `shared`) to serve; the worker attaches each, which takes one of
   * its slabs.
   */
  readonly sources: readonly Catalog[];
  /**
   * When this thread runs the sources' `beforeCollect` hooks, and what a scrape reads of its values.
   *
   * - `'timer'` (default): the hooks run every `collectIntervalMs`; each scrape reads every thread's
   *   slab live. A thread's metrics are read one after the other while it records, so a scrape may
   *   see one metric before an event of that thread and another after it.
   * - `'onScrape'`: before each collection the worker asks this thread, by a message, to run the
   *   hooks and copy its own slab of every source into the source's snapshot slab; the scrape reads
   *   that copy for this thread, and every other thread's slab live. The copy is made between two
   *   events of this thread, so the metrics it updates together (`received = written + dropped +
   *   buffered`) agree in every scrape. It costs this thread one typed-array `set` per part of each
   *   family (a memcpy of its slab: values, histogram counts, native-histogram arrays, stats) per
   *   scrape, and nothing per record. When this thread does not answer within `collectTimeoutMs`
   *   (its event loop is busy), the scrape uses its last snapshot and counts it in
   *   {@link WorkerMetricsServer.stats}. One `'onScrape'` server per source at a time.
   */
  readonly collect?: WorkerCollectMode;
  /**
   * How often this thread runs the sources' `beforeCollect` hooks, in ms: with the server in a
   * worker no scrape reaches this thread, so derived gauges are refreshed on a timer here instead.
   * Default 1000; 0 runs them never. With `collect: 'timer'` only.
   */
  readonly collectIntervalMs?: number;
  /**
   * With `collect: 'onScrape'`: how long a collection waits for this thread to copy its snapshot, in
   * ms, before it uses the last one. Default {@link DEFAULT_COLLECT_TIMEOUT_MS}; a scrape is late by
   * at most this much when this thread is busy.
   */
  readonly collectTimeoutMs?: number;
  /**
   * How much the worker thread lowers its scheduling priority, a nice increment from 0 to 19
   * (Linux, where threads have priorities of their own; ignored elsewhere). Default 10: when the
   * machine has fewer free cores than busy threads, the recording thread runs first and a render
   * waits. 0 leaves the worker at the process's priority.
   */
  readonly niceness?: number;
  /** Called with each error of the server in the worker (a failed request), on this thread. */
  readonly onError?: (error: Error) => void;
}

/** A metrics server running in a worker thread; see {@link serveMetricsFromWorker}. */
export interface WorkerMetricsServer {
  /** Where it listens. */
  readonly address: MetricsServerAddress;
  /** How the collections asked of this thread went; all 0 with `collect: 'timer'`. */
  readonly stats: WorkerMetricsServerStats;
  /** Closes the server and ends the worker; stops the hooks' timer. */
  close(): Promise<void>;
}

/** What {@link WorkerMetricsServer.stats} reports (`collect: 'onScrape'`). */
export interface WorkerMetricsServerStats {
  /** Collections the worker asked of this thread: one per render, shared by scrapes together. */
  readonly collections: number;
  /**
   * Of those, the ones this thread did not answer within `collectTimeoutMs`: their scrapes read its
   * last snapshot.
   */
  readonly lateCollections: number;
}

/**
 * Serves shared catalogs on `/metrics` from a worker thread: the HTTP server, every collection,
 * rendering and gzip run there, reading the shared storage, so the thread that records does no
 * exposition work at all and a scrape never waits for it (nor it for a scrape). Same options as
 * {@link createMetricsServer}, plain data only (they are cloned into the worker).
 *
 * What stays on this thread: the sources' `beforeCollect` hooks, run every `collectIntervalMs` or,
 * with `collect: 'onScrape'`, at each scrape's request (see {@link WorkerMetricsServerOptions.collect}),
 * and the runtime metrics (unless `runtimeMetrics: false`): a shared {@link RuntimeMetrics} created
 * here and collected with the hooks, so the event-loop delay they show is this thread's.
 *
 * @param options - shared sources, server options, and when to run the hooks
 * @returns once the worker listens
 * @throws MetricsOptionError when a source is not a shared catalog, or is served with
 *   `collect: 'onScrape'` already; or naming `collect`, `collectTimeoutMs` or `collectIntervalMs`
 *   when one is wrong or does not go with `collect`
 * @throws Error with the worker's message when it cannot start (a port in use)
 * @example
 * ```ts
 * const feed = new FeedMetrics({ shared: { threads: 4 } });
 * const server = await serveMetricsFromWorker({ sources: [feed], service: 'market-data' });
 * ```
 */
export async function serveMetricsFromWorker(options: WorkerMetricsServerOptions): Promise<WorkerMetricsServer> {
  const {
    sources: given,
    collect,
    collectIntervalMs = 1000,
    collectTimeoutMs,
    niceness,
    onError,
    runtimeMetrics = true,
    ...server
  } = options;
  const lowerBy = niceness === undefined ? DEFAULT_NICENESS : expectInteger(niceness, 'niceness', 0, 19, optionError);
  const timeoutMs = checkCollect(collect, options.collectIntervalMs, collectTimeoutMs);
  const runtime =
    runtimeMetrics && !given.some((source) => source instanceof RuntimeMetrics)
      ? new RuntimeMetrics({ shared: { threads: 2 } })
      : undefined;
  const sources = runtime === undefined ? given : [...given, runtime];
  let snapshots: readonly OwnerSnapshot[] = [];
  let job: MetricsWorkerJob;
  const control = new SharedArrayBuffer(CONTROL.WORDS * 4);
  try {
    const shared = sources.map((source, i) => {
      const definitions = (source.constructor as CatalogClass<CatalogDefs>).definitions;
      let descriptor: ReturnType<Catalog['share']>;
      try {
        descriptor = source.share();
      } catch {
        throw new MetricsOptionError(
          `sources[${i}]`,
          'a catalog created with the shared option',
          `serveMetricsFromWorker: sources[${i}] is not shared; create it with { shared: { threads } }`,
        );
      }
      return { definitions, descriptor };
    });
    snapshots = timeoutMs === undefined ? [] : claimSnapshots(sources);
    job = {
      // With 'onScrape' the worker reads this thread's slab of each source from its snapshot.
      sources: shared.map(({ definitions, descriptor }, i) => ({
        definitions,
        descriptor: timeoutMs === undefined ? descriptor : { ...descriptor, readsSnapshotOf: snapshots[i]?.slab },
      })),
      server: { ...server, runtimeMetrics: false },
      niceness: lowerBy,
      onScrape: timeoutMs === undefined ? undefined : { control, timeoutMs },
    };
  } catch (error) {
    runtime?.stop();
    throw error;
  }
  const words = new Int32Array(control);
  const runHooks = (): void => {
    for (const source of sources) source['~runBeforeCollect']();
  };
  // A first scrape this thread is too busy to answer reads these, not zeros.
  if (timeoutMs !== undefined) {
    runHooks();
    for (const snapshot of snapshots) snapshot.take();
  }
  let closing: Promise<void> | undefined;
  // One collection asked by the worker (see CONTROL): hooks, then the copies, then the answer.
  const answer = (id: number): void => {
    // Withdrawn already (late) or superseded: its scrape went on without this thread.
    if (closing !== undefined || Atomics.load(words, CONTROL.STATE) !== id) return;
    runHooks();
    // Once this succeeds the worker waits for the copy rather than read the snapshots mid-copy.
    if (Atomics.compareExchange(words, CONTROL.STATE, id, -id) !== id) return;
    for (const snapshot of snapshots) snapshot.take();
    // Unless the worker gave up waiting for this copy and asked again meanwhile (see COPY_WAIT_MS).
    Atomics.compareExchange(words, CONTROL.STATE, -id, 0);
    Atomics.notify(words, CONTROL.STATE);
    worker.postMessage({ kind: 'collected', id } satisfies MetricsWorkerCommand);
  };
  const { file, execArgv } = workerScript();
  const worker = new Worker(file, { workerData: job, execArgv });
  if (timeoutMs !== undefined) {
    worker.on('message', (message: MetricsWorkerReply) => {
      if (message.kind === 'collect') answer(message.id);
    });
  }
  const first = await nextReply(worker);
  if (first.kind !== 'listening') {
    runtime?.stop();
    await worker.terminate();
    for (const snapshot of snapshots) snapshot.release();
    throw new Error(`serveMetricsFromWorker: ${first.kind === 'error' ? first.message : 'the worker ended'}`);
  }
  const forwardErrors = (message: MetricsWorkerReply) => {
    if (message.kind !== 'server-error') return;
    const error = new Error(message.message);
    error.name = message.name;
    onError?.(error);
  };
  worker.on('message', forwardErrors);
  const timer =
    timeoutMs === undefined && collectIntervalMs > 0 ? setInterval(runHooks, collectIntervalMs).unref() : undefined;
  return {
    address: first.address,
    get stats(): WorkerMetricsServerStats {
      return {
        collections: Atomics.load(words, CONTROL.ASKED),
        lateCollections: Atomics.load(words, CONTROL.LATE),
      };
    },
    close() {
      closing ??= (async () => {
        if (timer !== undefined) clearInterval(timer);
        runtime?.stop();
        try {
          worker.postMessage({ kind: 'close' } satisfies MetricsWorkerCommand);
          const done = await nextReply(worker);
          if (done.kind === 'error') throw new Error(`serveMetricsFromWorker: ${done.message}`);
          await worker.terminate();
        } finally {
          // The worker no longer reads them, and this thread no longer copies: free for another server.
          for (const snapshot of snapshots) snapshot.release();
        }
      })();
      return closing;
    },
  };
}

const optionError = (problem: OptionProblem): MetricsOptionError =>
  new MetricsOptionError(problem.option, problem.expected, `serveMetricsFromWorker: ${problem.message}`);

const COLLECT_MODES: readonly WorkerCollectMode[] = ['timer', 'onScrape'];

// The collect options checked together: the timeout of 'onScrape', or undefined for 'timer'.
function checkCollect(collect: unknown, intervalMs: unknown, timeoutMs: unknown): number | undefined {
  const mode = collect === undefined ? 'timer' : expectOneOf(collect, 'collect', COLLECT_MODES, optionError);
  if (mode === 'timer') {
    if (timeoutMs === undefined) return undefined;
    throw optionError(optionProblem('collectTimeoutMs', 'to be left out', timeoutMs, "only with collect: 'onScrape'"));
  }
  if (intervalMs !== undefined) {
    throw optionError(
      optionProblem(
        'collectIntervalMs',
        'to be left out',
        intervalMs,
        "only with collect: 'timer' (with 'onScrape' the hooks run at each scrape)",
      ),
    );
  }
  return timeoutMs === undefined
    ? DEFAULT_COLLECT_TIMEOUT_MS
    : expectPositiveInteger(timeoutMs, 'collectTimeoutMs', optionError);
}

// This thread's snapshot slab of every source, all or none.
function claimSnapshots(sources: readonly Catalog[]): OwnerSnapshot[] {
  const claimed: OwnerSnapshot[] = [];
  sources.forEach((source, i) => {
    try {
      claimed.push(source['~ownerSnapshot']());
    } catch (error) {
      for (const snapshot of claimed) snapshot.release();
      throw new MetricsOptionError(
        `sources[${i}]`,
        "a catalog no other server reads with collect: 'onScrape'",
        `serveMetricsFromWorker: sources[${i}] is served with collect: 'onScrape' already (one such server per catalog at a time)`,
        { cause: error },
      );
    }
  });
  return claimed;
}

/** The worker's replies that end a wait of this thread: started, closed, or failed. */
type LifecycleReply = Extract<MetricsWorkerReply, { readonly kind: 'listening' | 'closed' | 'error' }>;

function nextReply(worker: Worker): Promise<LifecycleReply> {
  return new Promise((resolve) => {
    const onMessage = (message: MetricsWorkerReply) => {
      if (message.kind === 'listening' || message.kind === 'closed' || message.kind === 'error') finish(message);
    };
    const onError = (error: Error) => finish({ kind: 'error', message: error.message });
    const onExit = () => finish({ kind: 'error', message: 'the metrics worker exited' });
    function finish(reply: LifecycleReply): void {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      resolve(reply);
    }
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

// The worker's script beside this module: the built `metrics-worker.js` (or `.cjs`) in the package,
// or, run from the sources (tests), `metrics-worker.ts` through tsx.
function workerScript(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  for (const ext of here.endsWith('.cjs') ? ['.cjs', '.js'] : ['.js', '.cjs']) {
    const built = new URL(`./metrics-worker${ext}`, import.meta.url);
    if (existsSync(built)) return { file: fileURLToPath(built), execArgv: [] };
  }
  return { file: fileURLToPath(new URL('./metrics-worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
}
