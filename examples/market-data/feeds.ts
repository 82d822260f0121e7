import { Worker } from 'node:worker_threads';
import type { MarketDataMetrics } from '@ttquant/metrics';
import type { Logger } from '../shared/logger.js';
import type { Venue } from '../shared/protocol.js';
import type { FeedConfig } from './config.js';
import type { FeedThreadData, FeedThreadMessage } from './feed-thread.js';
import type { TickRecord } from './tick-store.js';
import { openVenueFeed } from './venue-feed.js';

// The venues' feeds, one per venue: each on a worker thread of its own (feed-thread.ts), recording
// into the shared MarketDataMetrics, its ticks delivered to this thread in order; or all on this
// thread (MD_FEED_THREADS=0, and tests that drive the clock). A feed thread that dies (a bug: the
// parse never throws on input) is logged and started again after a second.

/** Options of {@link startFeeds}. */
export interface FeedsOptions {
  /** The service's catalog; created with `shared` when the feeds run in threads (one slab each). */
  readonly metrics: MarketDataMetrics;
  readonly feed: FeedConfig;
  readonly logger: Logger;
  /** Wall clock of the feeds on this thread (threads read their own `Date.now`). */
  readonly now: () => number;
  /** Random in [0, 1) for the reconnect jitter of the feeds on this thread. */
  readonly random: () => number;
  /** Each parsed tick, on this thread, in the order its venue's feed parsed them. */
  readonly onTick: (tick: TickRecord) => void;
}

/** The running feeds. */
export interface Feeds {
  /** Whether the venue's feed is connected now (as its thread last said). */
  connected(exchange: Venue): boolean;
  /** Messages whose exchange timestamp was ahead of the clock, over every venue. */
  readonly skewed: number;
  /** Closes every feed and ends the threads once their last ticks are delivered. */
  close(): Promise<void>;
}

const RESTART_MS = 1_000;

/** How many times a venue's feed thread is started again before the shared catalog has no slab left. */
export const FEED_THREAD_RESTARTS = 3;

/**
 * Starts one feed per venue of `feed.exchanges`, in threads when `feed.threads`.
 *
 * @param options - the catalog, the feed configuration, the logger, clock and where ticks go
 * @returns the feeds, started
 */
export function startFeeds(options: FeedsOptions): Feeds {
  return options.feed.threads ? startFeedThreads(options) : startFeedsHere(options);
}

function startFeedsHere(options: FeedsOptions): Feeds {
  const { metrics, feed, logger, now, random, onTick } = options;
  const feeds = feed.exchanges.map((exchange) => {
    const { client, handler } = openVenueFeed({
      metrics,
      exchange,
      feed,
      logger: logger.child({ exchange }),
      now,
      random,
      onTick,
    });
    client.start();
    return { client, handler };
  });
  return {
    connected: (exchange) => feeds[feed.exchanges.indexOf(exchange)]?.client.connected ?? false,
    get skewed() {
      return feeds.reduce((sum, f) => sum + f.handler.skewed, 0);
    },
    async close() {
      await Promise.all(feeds.map((f) => f.client.close()));
    },
  };
}

function startFeedThreads(options: FeedsOptions): Feeds {
  const { metrics, feed, logger, onTick } = options;
  const script = new URL('./feed-thread.ts', import.meta.url);
  // Under tsx (the services) a worker inherits its loader; under a test runner it is named here.
  const execArgv = process.execArgv.some((arg) => arg.includes('tsx')) ? undefined : ['--import', 'tsx'];
  const connected = new Map<Venue, boolean>();
  const skewed = new Map<Venue, number>();
  const workers = new Map<Venue, Worker>();
  let closing = false;
  let starts = 0;

  const start = (exchange: Venue): void => {
    const data: FeedThreadData = { exchange, feed, metrics: metrics.share(), logLevel: logger.level };
    const worker = new Worker(script, { workerData: data, execArgv });
    starts++;
    workers.set(exchange, worker);
    worker.on('message', (message: FeedThreadMessage) => {
      if (message.kind === 'ticks') for (const tick of message.ticks) onTick(tick);
      else {
        if (message.kind === 'status') connected.set(exchange, message.connected);
        skewed.set(exchange, message.skewed);
      }
    });
    worker.on('error', (error) => logger.error({ err: error, exchange }, 'market-data: feed thread failed'));
    worker.on('exit', (code) => {
      connected.set(exchange, false);
      if (closing) return;
      if (starts >= feed.exchanges.length * (1 + FEED_THREAD_RESTARTS)) {
        logger.error({ exchange, code }, 'market-data: feed thread exited, and no restart is left; exiting');
        process.exit(1);
      }
      logger.error({ exchange, code }, `market-data: feed thread exited; starting it again in ${RESTART_MS} ms`);
      setTimeout(() => {
        if (!closing) start(exchange);
      }, RESTART_MS).unref();
    });
  };
  for (const exchange of feed.exchanges) start(exchange);

  return {
    connected: (exchange) => connected.get(exchange) ?? false,
    get skewed() {
      return [...skewed.values()].reduce((sum, n) => sum + n, 0);
    },
    async close() {
      closing = true;
      await Promise.all(
        [...workers.values()].map(async (worker) => {
          const closed = new Promise<void>((resolve) => {
            worker.on('message', (message: FeedThreadMessage) => {
              if (message.kind === 'closed') resolve();
            });
            worker.once('exit', () => resolve());
          });
          worker.postMessage({ kind: 'close' });
          await closed;
          await worker.terminate();
        }),
      );
    },
  };
}
