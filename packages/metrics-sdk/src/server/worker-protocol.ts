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
}

/** What the worker posts back. @internal */
export type MetricsWorkerReply =
  | { readonly kind: 'listening'; readonly address: MetricsServerAddress }
  | { readonly kind: 'closed' }
  | { readonly kind: 'server-error'; readonly name: string; readonly message: string }
  | { readonly kind: 'error'; readonly message: string };
