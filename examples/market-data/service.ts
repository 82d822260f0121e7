import { type CounterHandle, createMetricsServer, MarketDataMetrics, serveMetricsFromWorker } from '@ttquant/metrics';
import { createLogger, type Logger } from '../shared/logger.js';
import type { Venue } from '../shared/protocol.js';
import { TickBufferMetrics } from './buffer-metrics.js';
import type { MarketDataConfig } from './config.js';
import { openDatabase, type SqlClient } from './database.js';
import { FEED_THREAD_RESTARTS, startFeeds } from './feeds.js';
import { GapRecovery } from './gap-recovery.js';
import type { MessageType } from './parse.js';
import { FeedSequenceMetrics } from './sequence-metrics.js';
import { SequenceTracker } from './sequence-tracker.js';
import { tickJson, tickJsonPrefix } from './tick-json.js';
import { TickPublisher } from './tick-publisher.js';
import { TickRetention } from './tick-retention.js';
import { type SpoolLeftovers, TickSpool } from './tick-spool.js';
import { type TickCounts, type TickRecord, TickStore } from './tick-store.js';

// The market-data service: venue WebSocket feeds in (a thread each, feeds.ts); validated ticks out
// on ZeroMQ and into PostgreSQL; MarketDataMetrics on /metrics (from a worker thread). Everything
// runs in this process, so a test can start it on ephemeral ports and close it.

/** What a test (or main.ts) can swap in. */
export interface MarketDataDeps {
  /** The catalog to record into (default a new one). */
  readonly metrics?: MarketDataMetrics;
  /** The example's own tick accounting, `db_buffered_ticks` and friends (default a new one). */
  readonly bufferMetrics?: TickBufferMetrics;
  /** The example's feed-integrity metrics: gaps, recovered and lost messages (default a new one). */
  readonly sequenceMetrics?: FeedSequenceMetrics;
  readonly logger?: Logger;
  /** The database (default: opened from `config.db`); closed by `close()`. */
  readonly database?: SqlClient;
  /** Wall clock in ms: receive timestamps, latency, fault windows (default `Date.now`). */
  readonly now?: () => number;
  /** Random in [0, 1) for reconnect and retry jitter (default `Math.random`). */
  readonly random?: () => number;
}

/** A running market-data service. */
export interface MarketDataHandle {
  readonly metrics: MarketDataMetrics;
  /** `db_buffered_ticks{exchange}` and friends, served beside {@link MarketDataHandle.metrics}. */
  readonly bufferMetrics: TickBufferMetrics;
  /** Sequence gaps, recovered and lost messages, served beside {@link MarketDataHandle.metrics}. */
  readonly sequenceMetrics: FeedSequenceMetrics;
  /** Base URL of the metrics server (`${metricsUrl}/metrics`). */
  readonly metricsUrl: string;
  /** The bound ZeroMQ endpoint (the real port when `*` was configured). */
  readonly zmqEndpoint: string;
  /** The feed URLs, one per venue. */
  readonly feedUrls: readonly string[];
  /** Ticks waiting for the database. */
  readonly buffered: number;
  /** Messages whose exchange timestamp was ahead of our clock (their latency was recorded as 0). */
  readonly clockSkewed: number;
  /** Messages of detected gaps still being recovered, over every venue. */
  readonly gapsPending: number;
  /**
   * Where the parsed ticks went, for all venues or one:
   * `received + restored = written + duplicates + dropped + buffered`.
   *
   * @param exchange - one venue; default all
   */
  counts(exchange?: Venue): TickCounts;
  /** Whether the venue's feed is connected now. */
  connected(exchange: Venue): boolean;
  /**
   * Makes database writes fail with a connection error for `ms` (a simulated outage).
   *
   * @param ms - length of the outage
   */
  injectFault(ms: number): void;
  /** Writes what is buffered now (tests); resolves when the buffer is empty. */
  flush(): Promise<void>;
  /**
   * Stops reading the feeds, flushes the buffer (bounded by `db.shutdownFlushMs`), closes ZeroMQ, the
   * database and the metrics server, and logs the final tick counts. Safe to call twice.
   *
   * @returns the final tick counts, and what retention deleted
   */
  close(): Promise<FinalTickCounts>;
}

/** The final tick counts, and the stored rows retention deleted in this process's life. */
export interface FinalTickCounts extends TickCounts {
  /** Rows retention deleted (the sum of db_retention_deleted_ticks_total): written before, not a loss. */
  readonly retentionDeleted: number;
}

type PerType<T> = Record<MessageType, T>;

/** Handles bound once per venue and symbol, so a tick records without building label objects. */
interface SymbolState {
  readonly topic: string;
  /** The constant head of each type's Tick JSON. */
  readonly json: PerType<string>;
  readonly received: PerType<CounterHandle>;
}

interface VenueState {
  readonly exchange: Venue;
  readonly symbols: Map<string, SymbolState>;
  readonly published: PerType<() => void>;
}

/** A venue's feed sequence: where it is, the gaps being recovered, and their counters. */
interface VenueSequence {
  readonly tracker: SequenceTracker;
  readonly recovery: GapRecovery;
  readonly gaps: CounterHandle;
  readonly deferred: CounterHandle;
  readonly duplicates: CounterHandle;
}

type LiveVenue = VenueState & { readonly sequence: VenueSequence };

/**
 * Starts the market-data service: opens the database, binds ZeroMQ, serves metrics, then connects
 * to each venue's feed.
 *
 * @param config - see `readMarketDataConfig`
 * @param deps - optional metrics, logger, database, clock and randomness
 * @returns the running service
 * @throws Error when ZeroMQ or the metrics port cannot be bound (what was opened is closed again)
 * @example
 * ```ts
 * const md = await startMarketData(readMarketDataConfig());
 * process.on('SIGTERM', async () => { await md.close(); process.exit(0); });
 * ```
 */
export async function startMarketData(config: MarketDataConfig, deps: MarketDataDeps = {}): Promise<MarketDataHandle> {
  const { feed, db } = config;
  if (feed.threads && (deps.now !== undefined || deps.random !== undefined)) {
    throw new Error('startMarketData: a clock or random source cannot reach the feed threads; set MD_FEED_THREADS=0');
  }
  // In threads, this thread, the metrics server's and each venue's feed thread (and its restarts)
  // take one slab of the shared catalogs each.
  const shared = feed.threads ? { shared: { threads: 2 + feed.exchanges.length * (1 + FEED_THREAD_RESTARTS) } } : {};
  const metrics = deps.metrics ?? new MarketDataMetrics(shared);
  const logger = deps.logger ?? createLogger('market-data');
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;

  const bufferMetrics = deps.bufferMetrics ?? new TickBufferMetrics(shared);
  const sequenceMetrics = deps.sequenceMetrics ?? new FeedSequenceMetrics(shared);
  const database =
    deps.database ??
    (await openDatabase({ ...db, applicationName: `market-data:${feed.exchanges.join(',')}` }, logger));
  let spool: TickSpool | undefined;
  let leftovers: SpoolLeftovers = { rows: [], checkpoints: new Map(), unreadable: 0 };
  if (db.spoolDir !== undefined) {
    try {
      ({ spool, leftovers } = TickSpool.open(db.spoolDir, feed.exchanges, logger));
    } catch (error) {
      await database.close();
      throw new Error(`MD_SPOOL_DIR=${db.spoolDir}: cannot be used: ${(error as Error).message}`);
    }
  }
  const store = new TickStore(database, {
    exchanges: feed.exchanges,
    metrics,
    accounting: {
      duplicates: (exchange) => bufferMetrics.duplicates.bind({ exchange }),
      restored: (exchange) => bufferMetrics.restored.bind({ exchange }),
    },
    ...(spool === undefined ? {} : { spool }),
    batchSize: db.batchSize,
    flushMs: db.flushMs,
    bufferMax: db.bufferMax,
    retryMinMs: db.retryMinMs,
    retryMaxMs: db.retryMaxMs,
    faultAtMs: db.faultAtMs,
    faultForMs: db.faultForMs,
    logger,
    now,
    random,
  });
  const bufferedGauges = feed.exchanges.map((exchange) => ({
    exchange,
    gauge: bufferMetrics.buffered.bind({ exchange }),
  }));
  // Read at scrape time, with the counters, on this thread (see buffer-metrics.ts).
  bufferMetrics.beforeCollect(() => {
    for (const { exchange, gauge } of bufferedGauges) gauge.set(store.counts(exchange).buffered);
  });
  let publisher: TickPublisher | undefined;
  let server: { close(): Promise<void> } | undefined;
  let metricsUrl: string;
  try {
    await store.init();
    publisher = await TickPublisher.open(config.zmqEndpoint, config.zmqSendHighWaterMark, logger);
    const options = {
      service: 'market-data',
      sources: [metrics, bufferMetrics, sequenceMetrics],
      host: config.metricsHost,
      port: config.metricsPort,
      ...config.metricsSecurity,
      onError: (error: unknown) => logger.error({ err: error }, 'metrics server error'),
    };
    if (feed.threads) {
      // Off this thread: rendering and gzip never delay a tick. Each scrape asks this thread for a
      // snapshot of its counters and the buffer gauge, taken between two ticks, so the tick equation
      // still closes exactly in every scrape.
      const offThread = await serveMetricsFromWorker({ ...options, collect: 'onScrape' });
      server = offThread;
      metricsUrl = offThread.address.url;
    } else {
      const here = createMetricsServer(options);
      server = here;
      metricsUrl = (await here.listen()).url;
    }
  } catch (error) {
    await server?.close();
    await publisher?.close();
    await store.close(0);
    spool?.close();
    throw error;
  }
  const pub = publisher;
  // What an earlier, killed process had spooled and not seen committed goes to the database first.
  if (leftovers.rows.length > 0) {
    store.restore(leftovers.rows);
    spool?.flush();
    logger.info(
      { rows: leftovers.rows.length, checkpoints: Object.fromEntries(leftovers.checkpoints) },
      'market-data: spooled ticks of an earlier process restored',
    );
  }

  const venues = new Map(
    feed.exchanges.map((exchange) => {
      const state = venueState(metrics, exchange, feed.symbols);
      const recovery = new GapRecovery({
        exchange,
        baseUrl: feed.replayBaseUrl,
        onTick: recovered,
        // A page at most half the free room: live ticks keep arriving meanwhile.
        room: () => Math.max(0, Math.floor((db.bufferMax - store.buffered) / 2)),
        metrics: {
          recovered: sequenceMetrics.gapMessages.bind({ exchange, outcome: 'recovered' }),
          lost: sequenceMetrics.gapMessages.bind({ exchange, outcome: 'lost' }),
          pending: sequenceMetrics.pending.bind({ exchange }),
        },
        logger: logger.child({ exchange }),
        now,
      });
      const sequence = {
        tracker: new SequenceTracker(leftovers.checkpoints.get(exchange)),
        recovery,
        gaps: sequenceMetrics.gaps.bind({ exchange }),
        deferred: sequenceMetrics.deferred.bind({ exchange }),
        duplicates: sequenceMetrics.duplicates.bind({ exchange }),
      };
      return [exchange, { ...state, sequence } satisfies LiveVenue] as const;
    }),
  );

  function symbolOf(venue: VenueState, symbol: string): SymbolState {
    let sym = venue.symbols.get(symbol);
    if (sym === undefined) {
      // A symbol the feed learnt at run time (MD_SYMBOLS=*; the feed caps how many).
      sym = symbolState(metrics, venue.exchange, symbol);
      venue.symbols.set(symbol, sym);
    }
    return sym;
  }

  /**
   * Where a live tick goes: checked against its feed's sequence (a gap is recovered, a repeat
   * skipped), counted received, published, and stored (or counted dropped). A numbered tick that
   * finds the buffer full is published and left for the recovery to fetch again once there is room
   * (counted received then), instead of being dropped.
   */
  function deliver(tick: TickRecord): void {
    const venue = venues.get(tick.exchange) as LiveVenue;
    const verdict = venue.sequence.tracker.observe(tick.session, tick.sequence);
    if (verdict === 'duplicate') {
      venue.sequence.duplicates.inc();
      return;
    }
    if (verdict !== 'next') {
      venue.sequence.gaps.inc();
      venue.sequence.recovery.request(verdict);
    }
    const sym = symbolOf(venue, tick.symbol);
    // Only the protocol's Tick fields go on the bus (the record also carries side and book levels).
    pub.publish(sym.topic, tickJson(sym.json[tick.type], tick), venue.published[tick.type]);
    if (tick.sequence !== 0 && tick.session !== '' && !store.hasRoom()) {
      venue.sequence.deferred.inc();
      venue.sequence.recovery.defer(tick.session, tick.sequence);
      return;
    }
    sym.received[tick.type].inc();
    store.append(tick);
  }

  /**
   * A message recovered from the exchange's replay: counted received and stored, not published (it
   * is old news); refused while the buffer is full, to be fetched again.
   */
  function recovered(tick: TickRecord): boolean {
    if (!store.hasRoom()) return false;
    const venue = venues.get(tick.exchange) as VenueState;
    symbolOf(venue, tick.symbol).received[tick.type].inc();
    store.append(tick);
    return true;
  }

  /** Writes each venue's resume point: below it, every message is in the database or the spool, or counted lost. */
  function checkpoint(): void {
    if (spool === undefined) return;
    for (const [exchange, venue] of venues) {
      const position = venue.sequence.tracker.position;
      if (position === undefined) continue;
      const missing = venue.sequence.recovery.lowestMissing(position.session);
      spool.checkpoint(exchange, {
        session: position.session,
        next: Math.min(position.next, missing ?? position.next),
      });
    }
  }
  const checkpointTimer = spool === undefined ? undefined : setInterval(checkpoint, db.checkpointMs);

  // Retention, off the tick path: its statements run in the database (PGlite's own thread).
  const retention = new TickRetention({
    client: database,
    exchanges: feed.exchanges,
    maxAgeMs: db.retention.maxAgeMs,
    maxBytes: db.retention.maxBytes,
    batchRows: db.retention.batchRows,
    metrics: {
      deleted: (exchange) => bufferMetrics.retentionDeleted.bind({ exchange }),
      bytes: (exchange) => bufferMetrics.storeBytes.bind({ exchange }),
    },
    written: (exchange) => store.counts(exchange).written,
    logger,
  });
  retention.start(db.retention.everyMs);

  // The embedded database's thread memory, every few seconds: the largest part of this process's.
  const memoryGauges = {
    heap_total: bufferMetrics.embeddedMemory.bind({ area: 'heap_total' }),
    heap_used: bufferMetrics.embeddedMemory.bind({ area: 'heap_used' }),
    external: bufferMetrics.embeddedMemory.bind({ area: 'external' }),
  };
  const sampleMemory = async (): Promise<void> => {
    const memory = await database.memory?.().catch(() => undefined);
    if (memory === undefined) return;
    memoryGauges.heap_total.set(memory.heapTotal);
    memoryGauges.heap_used.set(memory.heapUsed);
    memoryGauges.external.set(memory.external);
  };
  const memoryTimer = database.memory === undefined ? undefined : setInterval(() => void sampleMemory(), 5_000);
  memoryTimer?.unref();
  void sampleMemory();

  const feeds = startFeeds({ metrics, feed, logger, now, random, onTick: deliver });
  const feedUrls = feed.exchanges.map((exchange) => `${feed.wsBaseUrl}/ws/${exchange}`);
  logger.info(
    {
      exchanges: feed.exchanges,
      feeds: feedUrls,
      zmq: pub.endpoint,
      metrics: `${metricsUrl}/metrics`,
      database: database.kind,
    },
    'market-data started',
  );

  let closing: Promise<FinalTickCounts> | undefined;
  async function close(): Promise<FinalTickCounts> {
    await feeds.close();
    clearInterval(checkpointTimer);
    clearInterval(memoryTimer);
    await Promise.all([...venues.values()].map((v) => v.sequence.recovery.close()));
    await retention.close();
    checkpoint();
    const final = { ...(await store.close(db.shutdownFlushMs)), retentionDeleted: retention.deleted };
    spool?.close();
    await pub.close();
    await server?.close();
    logger.info(
      { ...final, zmqSendFailures: pub.failed, clockSkewed: feeds.skewed },
      'market-data stopped: final tick counts',
    );
    return final;
  }

  return {
    metrics,
    bufferMetrics,
    sequenceMetrics,
    metricsUrl,
    zmqEndpoint: pub.endpoint,
    feedUrls,
    get buffered() {
      return store.buffered;
    },
    get clockSkewed() {
      return feeds.skewed;
    },
    get gapsPending() {
      let n = 0;
      for (const v of venues.values()) n += v.sequence.recovery.pending;
      return n;
    },
    counts: (exchange) => store.counts(exchange),
    connected: (exchange) => feeds.connected(exchange),
    injectFault: (ms) => store.injectFault(ms),
    flush: () => store.flush(),
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

function perType<T>(make: (type: MessageType) => T): PerType<T> {
  return { trade: make('trade'), ticker: make('ticker'), book: make('book') };
}

function symbolState(metrics: MarketDataMetrics, exchange: Venue, symbol: string): SymbolState {
  return {
    topic: `tick.${exchange}.${symbol}`,
    json: perType((type) => tickJsonPrefix(exchange, symbol, type)),
    received: metrics.received.bindEach('type', { exchange, symbol }),
  };
}

function venueState(metrics: MarketDataMetrics, exchange: Venue, symbols: readonly string[] | '*'): VenueState {
  const zmqPublished = metrics.zmqPublished.bindEach('type', { exchange });
  const published = perType((type) => () => zmqPublished[type].inc());
  const state: VenueState = { exchange, symbols: new Map(), published };
  if (symbols !== '*') for (const s of symbols) state.symbols.set(s, symbolState(metrics, exchange, s));
  return state;
}
