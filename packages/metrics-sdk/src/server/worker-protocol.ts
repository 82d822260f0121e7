import type { CatalogDefs } from '../define/catalog.js';
import type { SharedCatalogDescriptor } from '../storage/shared/shared-catalog-storage.js';
import type { MetricsServerAddress, MetricsServerOptions } from './metrics-server.js';

// What the recording thread and the metrics worker say to each other.

/**
 * The server options that can cross into a worker: plain data only (`onError` stays on the calling
 * thread, which the worker tells of each error). @internal
 */
export type WorkerServerOptions = Omit<MetricsServerOptions, 'sources' | 'onError'>;

/** The worker's `workerData`. @internal */
export interface MetricsWorkerJob {
  readonly sources: readonly { readonly definitions: CatalogDefs; readonly descriptor: SharedCatalogDescriptor }[];
  readonly server: WorkerServerOptions;
  /** With `collect: 'onScrape'`: how to ask the recording thread for its snapshot before each collection. */
  readonly onScrape?: OnScrapeJob | undefined;
  /** How much the worker lowers its own scheduling priority (a nice increment), Linux only; 0 leaves it. */
  readonly niceness: number;
}

/** The `collect: 'onScrape'` handover, as the worker gets it. @internal */
export interface OnScrapeJob {
  /** Int32 words at the indexes below, shared by both threads. */
  readonly control: SharedArrayBuffer;
  /** How long a collection waits for the recording thread before using its last snapshot. */
  readonly timeoutMs: number;
}

/**
 * The words of {@link OnScrapeJob.control}. `STATE` hands the snapshot slabs over, so that the
 * recording thread never writes them while the worker reads them: `0` nothing asked; `id > 0` the
 * worker asked collection `id` (set before posting `collect`); `-id` the recording thread is copying
 * for it (its compare-exchange from `id`; back to `0` when done). A worker that stops waiting
 * withdraws `id` by a compare-exchange back to `0`: if that fails, the copy has started (or ended),
 * and it waits for the `0`. `ASKED` and `LATE` count collections asked and withdrawn.
 *
 * @internal
 */
export const CONTROL = { STATE: 0, ASKED: 1, LATE: 2, WORDS: 3 } as const;

/** What the worker posts back. @internal */
export type MetricsWorkerReply =
  | { readonly kind: 'listening'; readonly address: MetricsServerAddress }
  | { readonly kind: 'closed' }
  | { readonly kind: 'server-error'; readonly name: string; readonly message: string }
  | { readonly kind: 'error'; readonly message: string }
  /** `collect: 'onScrape'`: run the hooks and copy the snapshots, then answer `collected`. */
  | { readonly kind: 'collect'; readonly id: number };

/** What the recording thread posts to the worker. @internal */
export type MetricsWorkerCommand =
  | { readonly kind: 'close' }
  /** The snapshots of collection `id` are copied. */
  | { readonly kind: 'collected'; readonly id: number };
