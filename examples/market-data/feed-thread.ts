import { parentPort, workerData } from 'node:worker_threads';
import { MarketDataMetrics, type SharedCatalogDescriptor } from '@ttquant/metrics';
import { createLogger } from '../shared/logger.js';
import type { Venue } from '../shared/protocol.js';
import type { FeedConfig } from './config.js';
import type { TickRecord } from './tick-store.js';
import { openVenueFeed } from './venue-feed.js';

// One venue's feed thread: the WebSocket, the parse and the parse's metrics run here, recording into
// this thread's slab of the service's shared MarketDataMetrics; parsed ticks go to the service's
// thread in batches (one message per turn of this thread's event loop), which counts, publishes and
// stores them. Started by feed-threads.ts.

/** What the service's thread passes as `workerData`. */
export interface FeedThreadData {
  readonly exchange: Venue;
  readonly feed: FeedConfig;
  readonly metrics: SharedCatalogDescriptor;
  readonly logLevel: string;
}

/** Feed thread → service thread. */
export type FeedThreadMessage =
  | { readonly kind: 'ticks'; readonly ticks: readonly TickRecord[] }
  | { readonly kind: 'status'; readonly connected: boolean; readonly skewed: number }
  | { readonly kind: 'closed'; readonly skewed: number };

const port = parentPort;
if (port === null) throw new Error('feed-thread.ts runs as a worker thread (see feed-threads.ts)');
const { exchange, feed, metrics: descriptor, logLevel } = workerData as FeedThreadData;
const metrics = new MarketDataMetrics({ shared: descriptor });
const logger = createLogger('market-data', { LOG_LEVEL: logLevel }).child({ exchange, thread: 'feed' });
const post = (message: FeedThreadMessage) => port.postMessage(message);

let batch: TickRecord[] = [];
function sendBatch(): void {
  if (batch.length === 0) return;
  post({ kind: 'ticks', ticks: batch });
  batch = [];
}
const { client, handler } = openVenueFeed({
  metrics,
  exchange,
  feed,
  logger,
  now: Date.now,
  random: Math.random,
  onTick: (tick) => {
    if (batch.length === 0) setImmediate(sendBatch);
    batch.push(tick);
  },
  onStatus: (connected) => post({ kind: 'status', connected, skewed: handler.skewed }),
});
client.start();

port.on('message', (message: { readonly kind?: string }) => {
  if (message.kind !== 'close') return;
  void client.close().then(() => {
    sendBatch();
    post({ kind: 'closed', skewed: handler.skewed });
    port.close();
  });
});
