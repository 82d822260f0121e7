import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { createLogger, type Logger } from '../shared/logger.js';
import { type ExecutionEvent, SYMBOLS, VENUES, type Venue } from '../shared/protocol.js';
import { type ExchangeConfig, type FaultConfig, MALFORMED_REASONS, mergeFaults } from './config.js';
import { readBody, sendJson } from './http.js';
import { OrderJournal } from './journal.js';
import { MarketStream } from './market.js';
import { ackOf, VenueOrders, validateOrder } from './orders.js';
import { deriveSeed, seededRandom } from './random.js';
import { createStats, type ExchangeStats } from './stats.js';

// The simulated exchange: one HTTP server on one port that plays every venue in VENUES.
//   WS   /ws/{venue}                        market data: WireTrade / WireBook / WireTicker frames
//   WS   /ws/{venue}/executions             FillEvent / CancelEvent frames
//   POST /api/{venue}/orders                order entry (idempotent on clientOrderId)
//   DELETE /api/{venue}/orders/{id}         cancel;  GET /api/{venue}/orders/{id}: status (extra)
//   GET  /health, GET /admin/stats, GET|POST /admin/faults, POST /admin/drop[?venue=]
// Network delay is simulated by back-dating each frame's `T` (base + jitter + occasional spike), not
// by holding frames back: frames stay in order and a high rate costs no timers, and a receiver's
// `now - T` sees the same delay it would see on a slow link.

/** Optional collaborators of {@link startExchange}. */
export interface ExchangeDeps {
  /** Wall clock in ms since the epoch, for `T` and event times; default `Date.now`. */
  readonly now?: () => number;
  /** Logger; default silent. */
  readonly logger?: Logger;
}

/** A running simulated exchange. */
export interface Exchange {
  /** The host it listens on. */
  readonly host: string;
  /** The bound port (the real one when port 0 was asked). */
  readonly port: number;
  /** `http://host:port`: the order API and admin endpoints. */
  readonly url: string;
  /** `ws://host:port`: append `/ws/{venue}` or `/ws/{venue}/executions`. */
  readonly wsUrl: string;
  /**
   * A snapshot of what the exchange did (the same JSON as `GET /admin/stats`).
   *
   * @returns a copy of the counters
   */
  stats(): ExchangeStats;
  /**
   * The fault knobs now.
   *
   * @returns a copy of the knobs
   */
  faults(): FaultConfig;
  /**
   * Changes some fault knobs (the same as `POST /admin/faults`).
   *
   * @param update - the knobs to change
   * @returns the knobs after the change
   * @throws RangeError when a value is out of range (nothing is changed then)
   */
  setFaults(update: Partial<FaultConfig>): FaultConfig;
  /**
   * Closes every market-data connection now, as EXCHANGE_DROP_EVERY_MS does on its timer.
   *
   * @param venue - only this venue's connections; default all
   * @returns the number of connections closed
   */
  dropFeeds(venue?: Venue): number;
  /** Stops the feeds, closes every connection and the server. */
  close(): Promise<void>;
}

/** A client whose socket holds more than this unsent is skipped (a stalled reader must not exhaust memory). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const NOT_FOUND_UPGRADE = 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

function isVenue(value: string | undefined): value is Venue {
  return (VENUES as readonly string[]).includes(value ?? '');
}

/**
 * Starts the simulated exchange: the price walks, the feeds, the order API and the admin endpoints.
 *
 * @param config - see `readExchangeConfig`
 * @param deps - clock and logger
 * @returns the running exchange, once it listens
 * @example
 * const exchange = await startExchange({ ...readExchangeConfig({}), port: 0 });
 * const feed = new WebSocket(`${exchange.wsUrl}/ws/binance`);
 * // ...
 * await exchange.close();
 */
export async function startExchange(config: ExchangeConfig, deps: ExchangeDeps = {}): Promise<Exchange> {
  const now = deps.now ?? Date.now;
  const log = deps.logger ?? createLogger('exchange', { LOG_LEVEL: 'silent' });
  const stats = createStats();
  let faults: FaultConfig = { ...config.faults };
  let closed = false;

  const streams = new Map<Venue, MarketStream[]>();
  const feedClients = new Map<Venue, Set<WebSocket>>();
  const feedRandom = new Map<Venue, () => number>();
  const execClients = new Map<Venue, Set<WebSocket>>();
  const execBuffer = new Map<Venue, string[]>();
  const orders = new Map<Venue, VenueOrders>();
  const journal = config.journalFile === undefined ? undefined : new OrderJournal(config.journalFile);
  for (const venue of VENUES) {
    const venueStreams = SYMBOLS.map((s) => new MarketStream(venue, s, config.seed, config.tickMs));
    streams.set(venue, venueStreams);
    feedClients.set(venue, new Set());
    feedRandom.set(venue, seededRandom(deriveSeed(config.seed, 'feed', venue)));
    execClients.set(venue, new Set());
    execBuffer.set(venue, []);
    const bySymbol = new Map(venueStreams.map((s) => [s.symbol, s] as const));
    const venueOrders = new VenueOrders(venue, bySymbol, config, () => faults, emit, stats.orders[venue], now, journal);
    orders.set(venue, venueOrders);
    if (journal !== undefined) {
      const restored = venueOrders.restore(journal.previous);
      stats.orders[venue].restored = restored.orders;
      if (restored.orders > 0) log.info({ venue, ...restored, journal: journal.path }, 'orders restored from journal');
    }
  }

  // ---- market data -----------------------------------------------------------------------------
  // The walk advances whether or not anyone listens (resting orders still fill); frames are built
  // only for venues with clients. Ticks are scheduled against elapsed time, so a fractional
  // EXCHANGE_TICK_MS (high-rate mode) emits several ticks per 1 ms timer turn.
  const started = performance.now();
  let ticksDone = 0;
  const maxBurst = Math.max(1, Math.ceil(1000 / config.tickMs));
  const tickTimer = setInterval(onTimer, Math.max(1, config.tickMs));

  function onTimer(): void {
    const due = Math.floor((performance.now() - started) / config.tickMs) - ticksDone;
    if (due <= 0) return;
    ticksDone += due;
    let n = due;
    if (n > maxBurst) {
      stats.ticks.skipped += n - maxBurst;
      n = maxBurst;
    }
    const t = now();
    for (let i = 0; i < n; i++) {
      stats.ticks.generated++;
      for (const venue of VENUES) {
        for (const stream of streams.get(venue)!) tick(venue, stream, t);
      }
    }
  }

  function tick(venue: Venue, stream: MarketStream, t: number): void {
    const kind = stream.step();
    orders.get(venue)!.onTick(stream);
    const clients = feedClients.get(venue)!;
    if (clients.size === 0) return;
    // Four draws per frame whatever the knobs, so frame k gets the same fate in every run.
    const r = feedRandom.get(venue)!;
    const malformedDraw = r();
    const reasonDraw = r();
    const jitterDraw = r();
    const spikeDraw = r();
    const spike = spikeDraw < faults.latencySpikeFraction;
    const T = Math.floor(
      t - config.latencyMs - jitterDraw * config.latencyJitterMs - (spike ? faults.latencySpikeMs : 0),
    );
    const malformed = malformedDraw < faults.malformedFraction;
    const reason = MALFORMED_REASONS[Math.floor(reasonDraw * MALFORMED_REASONS.length)];
    const text = malformed ? stream.encodeMalformed(kind, reason, T) : stream.encode(kind, T);
    const fs = stats.feed[venue];
    for (const ws of clients) {
      if (ws.readyState !== 1) continue;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        fs.backpressureSkipped++;
        continue;
      }
      ws.send(text);
      if (malformed) fs.malformed[reason]++;
      else fs.sent[kind]++;
      if (spike) fs.latencySpikes++;
    }
  }

  let dropTimer: NodeJS.Timeout | undefined;
  function scheduleDrops(): void {
    clearInterval(dropTimer);
    dropTimer = faults.dropEveryMs > 0 ? setInterval(() => dropFeeds(), faults.dropEveryMs) : undefined;
  }
  scheduleDrops();

  function dropFeeds(only?: Venue): number {
    let dropped = 0;
    for (const venue of VENUES) {
      if (only !== undefined && venue !== only) continue;
      for (const ws of feedClients.get(venue)!) {
        ws.terminate(); // abrupt, like a lost link: the client sees 1006, no close handshake
        stats.feed[venue].connectionsDropped++;
        dropped++;
      }
    }
    if (dropped > 0) log.info({ dropped, venue: only }, 'dropped market-data connections');
    return dropped;
  }

  // ---- executions ------------------------------------------------------------------------------
  // Events go to every connected executions client of the venue. While none is connected they are
  // held (up to EXCHANGE_EXEC_BUFFER, oldest lost first and counted) and flushed to the next client
  // that connects. A client that reconnects while another stays connected misses what it missed.
  function emit(venue: Venue, event: ExecutionEvent): void {
    const text = JSON.stringify(event);
    const es = stats.executions[venue];
    let delivered = false;
    for (const ws of execClients.get(venue)!) {
      if (ws.readyState !== 1) continue;
      ws.send(text);
      es.sent++;
      delivered = true;
    }
    if (delivered) return;
    const buffer = execBuffer.get(venue)!;
    if (config.executionBuffer === 0) {
      es.dropped++;
      return;
    }
    buffer.push(text);
    if (buffer.length > config.executionBuffer) {
      buffer.shift();
      es.dropped++;
    }
    es.buffered = buffer.length;
  }

  // ---- WebSocket upgrades ----------------------------------------------------------------------
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const server = createServer();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', (error) => log.debug({ err: error }, 'upgrade socket error'));
    const parts = pathOf(req.url).split('/');
    const venue = parts[2];
    const executions = parts.length === 4 && parts[3] === 'executions';
    if (closed || parts[1] !== 'ws' || !isVenue(venue) || !(parts.length === 3 || executions)) {
      socket.end(NOT_FOUND_UPGRADE);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => (executions ? addExecClient(venue, ws) : addFeedClient(venue, ws)));
  });

  function addFeedClient(venue: Venue, ws: WebSocket): void {
    const clients = feedClients.get(venue)!;
    clients.add(ws);
    stats.feed[venue].connectionsOpened++;
    stats.feed[venue].clients = clients.size;
    ws.on('error', (error) => log.debug({ err: error, venue }, 'feed socket error'));
    ws.on('close', () => {
      clients.delete(ws);
      stats.feed[venue].clients = clients.size;
    });
  }

  function addExecClient(venue: Venue, ws: WebSocket): void {
    const clients = execClients.get(venue)!;
    clients.add(ws);
    const es = stats.executions[venue];
    es.connectionsOpened++;
    es.clients = clients.size;
    ws.on('error', (error) => log.debug({ err: error, venue }, 'executions socket error'));
    ws.on('close', () => {
      clients.delete(ws);
      es.clients = clients.size;
    });
    const buffer = execBuffer.get(venue)!;
    for (const text of buffer) {
      ws.send(text);
      es.sent++;
    }
    buffer.length = 0;
    es.buffered = 0;
  }

  // ---- HTTP ------------------------------------------------------------------------------------
  const pending = new Set<NodeJS.Timeout>();
  /** Runs `fn` after `ms` (the simulated ack latency); dropped if the exchange closes first. */
  function later(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(timer);
      fn();
    }, ms);
    pending.add(timer);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error, url: req.url }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal' });
      else res.destroy();
    });
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url);
    const parts = path.split('/');
    const method = req.method ?? 'GET';
    if (parts[1] === 'api') {
      const venue = parts[2];
      if (!isVenue(venue)) return sendJson(res, 404, { error: 'unknown_venue' });
      const venueOrders = orders.get(venue)!;
      if (parts[3] === 'orders' && parts.length === 4) {
        if (method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' });
        return newOrder(venue, venueOrders, req, res);
      }
      if (parts[3] === 'orders' && parts.length === 5) {
        let id: string;
        try {
          id = decodeURIComponent(parts[4]);
        } catch {
          return sendJson(res, 400, { error: 'rejected', reason: 'invalid_client_order_id' });
        }
        if (method === 'DELETE') return cancelOrder(venue, venueOrders, id, res);
        if (method === 'GET') {
          const order = venueOrders.find(id);
          return order ? sendJson(res, 200, ackOf(order)) : sendJson(res, 404, { error: 'not_found' });
        }
        return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, DELETE' });
      }
      return sendJson(res, 404, { error: 'not_found' });
    }
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/admin/stats') {
      if (method !== 'GET') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET' });
      return sendJson(res, 200, snapshot());
    }
    if (path === '/admin/faults') {
      if (method === 'GET') return sendJson(res, 200, faults);
      if (method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, POST' });
      const body = await readBody(req);
      if (body === 'aborted') return;
      if (body === 'too_large') return sendJson(res, 413, { error: 'rejected', reason: 'body_too_large' }, CLOSE);
      const parsed = parseJson(body);
      const next = parsed === PARSE_FAILED ? 'invalid JSON' : mergeFaults(faults, parsed);
      if (typeof next === 'string') return sendJson(res, 400, { error: 'rejected', reason: next });
      applyFaults(next);
      return sendJson(res, 200, faults);
    }
    if (path === '/admin/drop') {
      if (method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' });
      const venue = new URLSearchParams(queryOf(req.url)).get('venue') ?? undefined;
      if (venue !== undefined && !isVenue(venue)) return sendJson(res, 404, { error: 'unknown_venue' });
      return sendJson(res, 200, { dropped: dropFeeds(venue) });
    }
    return sendJson(res, 404, { error: 'not_found' });
  }

  async function newOrder(venue: Venue, venueOrders: VenueOrders, req: IncomingMessage, res: ServerResponse) {
    const os = stats.orders[venue];
    os.received++;
    const body = await readBody(req);
    if (body === 'aborted') {
      os.received--; // never answered: not a request the client could count
      return;
    }
    if (body === 'too_large') {
      os.tooLarge++;
      return sendJson(res, 413, { error: 'rejected', reason: 'body_too_large' }, CLOSE);
    }
    const { fault, delayMs } = venueOrders.drawRequest();
    if (fault === 'rate_limited') {
      os.rateLimited++;
      return later(delayMs, () => sendJson(res, 429, { error: 'rate_limited' }));
    }
    if (fault === 'unavailable') {
      os.unavailable++;
      return later(delayMs, () => sendJson(res, 503, { error: 'unavailable' }));
    }
    const parsed = parseJson(body);
    const request = parsed === PARSE_FAILED ? 'invalid_json' : validateOrder(parsed);
    const result = typeof request === 'string' ? request : venueOrders.submit(request);
    if (typeof result === 'string') {
      os.rejected++;
      os.rejectReasons[result] = (os.rejectReasons[result] ?? 0) + 1;
      return later(delayMs, () => sendJson(res, 400, { error: 'rejected', reason: result }));
    }
    const { order, created } = result;
    if (!created) {
      os.duplicates++;
      return later(delayMs, () => sendJson(res, 200, ackOf(order)));
    }
    later(delayMs, () => {
      sendJson(res, 200, ackOf(order));
      os.acked++;
      venueOrders.activate(order);
    });
  }

  function cancelOrder(venue: Venue, venueOrders: VenueOrders, id: string, res: ServerResponse): void {
    const cs = stats.cancels[venue];
    cs.received++;
    const { fault, delayMs } = venueOrders.drawRequest();
    if (fault === 'rate_limited') {
      cs.rateLimited++;
      later(delayMs, () => sendJson(res, 429, { error: 'rate_limited' }));
      return;
    }
    if (fault === 'unavailable') {
      cs.unavailable++;
      later(delayMs, () => sendJson(res, 503, { error: 'unavailable' }));
      return;
    }
    const result = venueOrders.cancel(id);
    if (result === undefined) {
      cs.notFound++;
      later(delayMs, () => sendJson(res, 404, { error: 'not_found' }));
      return;
    }
    const { order, cancelled } = result;
    if (cancelled) cs.cancelled++;
    else cs.alreadyDone++;
    // The cancel takes effect now (no fill can slip in during the ack delay); its event goes with the ack.
    later(delayMs, () => {
      sendJson(res, 200, ackOf(order));
      if (cancelled) venueOrders.cancelEvent(order);
    });
  }

  function applyFaults(next: FaultConfig): void {
    const dropChanged = next.dropEveryMs !== faults.dropEveryMs;
    faults = next;
    if (dropChanged) scheduleDrops();
    log.info({ faults }, 'fault knobs changed');
  }

  function snapshot(): ExchangeStats {
    return structuredClone(stats);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    clearInterval(tickTimer);
    clearInterval(dropTimer);
    for (const venueOrders of orders.values()) venueOrders.close();
    journal?.close();
    throw error;
  });
  server.on('error', (error) => log.error({ err: error }, 'server error'));
  const port = (server.address() as AddressInfo).port;
  const host = config.host;

  return {
    host,
    port,
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}`,
    stats: snapshot,
    faults: () => ({ ...faults }),
    setFaults(update) {
      const next = mergeFaults(faults, update);
      if (typeof next === 'string') throw new RangeError(`exchange faults: ${next}`);
      applyFaults(next);
      return { ...faults };
    },
    dropFeeds,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(tickTimer);
      clearInterval(dropTimer);
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      for (const venueOrders of orders.values()) venueOrders.close();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      journal?.close();
    },
  };
}

const CLOSE: Readonly<Record<string, string>> = { connection: 'close' };
const PARSE_FAILED = Symbol('parse failed');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return PARSE_FAILED;
  }
}

/** The path of a request target, without the query; `'/'` when absent. Never uses `new URL` on it (`//host` tricks). */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function queryOf(url: string | undefined): string {
  const q = url?.indexOf('?') ?? -1;
  return q < 0 || url === undefined ? '' : url.slice(q + 1);
}
