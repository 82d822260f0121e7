import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Catalog, CatalogClass, CatalogDefs } from '../define/catalog.js';
import { MetricsOptionError } from '../define/errors.js';
import { RuntimeMetrics } from '../runtime/runtime-metrics.js';
import type { MetricsServerAddress } from './metrics-server.js';
import type { MetricsWorkerJob, MetricsWorkerReply, WorkerServerOptions } from './worker-protocol.js';

/** Options of {@link serveMetricsFromWorker}. */
export interface WorkerMetricsServerOptions extends WorkerServerOptions {
  /**
   * Shared catalogs (created with `shared`) to serve; the worker attaches each, which takes one of
   * its slabs.
   */
  readonly sources: readonly Catalog[];
  /**
   * How often this thread runs the sources' `beforeCollect` hooks, in ms: with the server in a
   * worker no scrape reaches this thread, so derived gauges are refreshed on a timer here instead.
   * Default 1000; 0 runs them never.
   */
  readonly collectIntervalMs?: number;
  /** Called with each error of the server in the worker (a failed request), on this thread. */
  readonly onError?: (error: Error) => void;
}

/** A metrics server running in a worker thread; see {@link serveMetricsFromWorker}. */
export interface WorkerMetricsServer {
  /** Where it listens. */
  readonly address: MetricsServerAddress;
  /** Closes the server and ends the worker; stops the hooks' timer. */
  close(): Promise<void>;
}

/**
 * Serves shared catalogs on `/metrics` from a worker thread: the HTTP server, every collection,
 * rendering and gzip run there, reading the shared storage, so the thread that records does no
 * exposition work at all and a scrape never waits for it (nor it for a scrape). Same options as
 * {@link createMetricsServer}, plain data only (they are cloned into the worker).
 *
 * What stays on this thread: the sources' `beforeCollect` hooks, run every `collectIntervalMs`, and
 * the runtime metrics (unless `runtimeMetrics: false`): a shared {@link RuntimeMetrics} created here
 * and collected by the same timer, so the event-loop delay they show is this thread's.
 *
 * @param options - shared sources, server options and the hooks' interval
 * @returns once the worker listens
 * @throws MetricsOptionError when a source is not a shared catalog
 * @throws Error with the worker's message when it cannot start (a port in use)
 * @example
 * ```ts
 * const feed = new FeedMetrics({ shared: { threads: 4 } });
 * const server = await serveMetricsFromWorker({ sources: [feed], service: 'market-data' });
 * ```
 */
export async function serveMetricsFromWorker(options: WorkerMetricsServerOptions): Promise<WorkerMetricsServer> {
  const { sources: given, collectIntervalMs = 1000, onError, runtimeMetrics = true, ...server } = options;
  const runtime =
    runtimeMetrics && !given.some((source) => source instanceof RuntimeMetrics)
      ? new RuntimeMetrics({ shared: { threads: 2 } })
      : undefined;
  const sources = runtime === undefined ? given : [...given, runtime];
  const job: MetricsWorkerJob = {
    sources: sources.map((source, i) => {
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
    }),
    server: { ...server, runtimeMetrics: false },
  };
  const { file, execArgv } = workerScript();
  const worker = new Worker(file, { workerData: job, execArgv });
  const first = await nextReply(worker);
  if (first.kind !== 'listening') {
    runtime?.stop();
    await worker.terminate();
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
    collectIntervalMs > 0
      ? setInterval(() => {
          for (const source of sources) source['~runBeforeCollect']();
        }, collectIntervalMs).unref()
      : undefined;
  let closing: Promise<void> | undefined;
  return {
    address: first.address,
    close() {
      closing ??= (async () => {
        if (timer !== undefined) clearInterval(timer);
        runtime?.stop();
        worker.postMessage({ kind: 'close' });
        const done = await nextReply(worker);
        if (done.kind === 'error') throw new Error(`serveMetricsFromWorker: ${done.message}`);
        await worker.terminate();
      })();
      return closing;
    },
  };
}

function nextReply(worker: Worker): Promise<MetricsWorkerReply> {
  return new Promise((resolve) => {
    const onMessage = (message: MetricsWorkerReply) => {
      if (message.kind !== 'server-error') finish(message);
    };
    const onError = (error: Error) => finish({ kind: 'error', message: error.message });
    const onExit = () => finish({ kind: 'error', message: 'the metrics worker exited' });
    function finish(reply: MetricsWorkerReply): void {
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
