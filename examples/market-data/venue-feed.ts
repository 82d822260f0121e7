import type { MarketDataMetrics } from '@ttquant/metrics';
import type { Logger } from '../shared/logger.js';
import type { Venue } from '../shared/protocol.js';
import type { FeedConfig } from './config.js';
import { FeedClient } from './feed-client.js';
import { FeedHandler } from './feed-handler.js';
import type { TickRecord } from './tick-store.js';

// One venue's feed, wherever it runs (the service's thread or the venue's feed thread): the
// WebSocket client handing each frame to the venue's handler, both recording into `metrics`.

/** Options of {@link openVenueFeed}. */
export interface VenueFeedOptions {
  readonly metrics: MarketDataMetrics;
  readonly exchange: Venue;
  readonly feed: FeedConfig;
  /** The venue's logger. */
  readonly logger: Logger;
  /** Wall clock in ms: receive timestamps and latency. */
  readonly now: () => number;
  /** Random in [0, 1) for the reconnect jitter. */
  readonly random: () => number;
  readonly onTick: (tick: TickRecord) => void;
  /** Told when the socket opens and when it is lost. */
  readonly onStatus?: (connected: boolean) => void;
}

/**
 * Builds one venue's handler and client; call `client.start()`.
 *
 * @param options - the catalog, the venue, the feed configuration and where ticks go
 * @returns the client and the handler (its `skewed` count)
 */
export function openVenueFeed(options: VenueFeedOptions): { client: FeedClient; handler: FeedHandler } {
  const { metrics, exchange, feed, logger } = options;
  const handler = new FeedHandler({
    metrics,
    exchange,
    symbols: feed.symbols,
    maxFrameBytes: feed.maxFrameBytes,
    now: options.now,
    logger,
    onTick: options.onTick,
  });
  const client = new FeedClient({
    url: `${feed.wsBaseUrl}/ws/${exchange}`,
    onFrame: (data, isBinary) => handler.frame(data, isBinary),
    onOversizedFrame: () => handler.oversized(),
    status: metrics.connectionStatus.bind({ exchange }),
    reconnects: metrics.reconnects.bind({ exchange }),
    logger,
    reconnectMinMs: feed.reconnectMinMs,
    reconnectMaxMs: feed.reconnectMaxMs,
    staleMs: feed.staleMs,
    // ws's own cap protects memory; frames between maxFrameBytes and this are counted by the parser.
    maxPayload: Math.max(4 * 1024 * 1024, feed.maxFrameBytes),
    random: options.random,
    onStatus: (connected) => {
      if (!connected) handler.disconnected();
      options.onStatus?.(connected);
    },
  });
  return { client, handler };
}
