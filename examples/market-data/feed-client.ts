import type { CounterHandle, GaugeHandle } from '@ttquant/metrics';
import WebSocket, { type RawData } from 'ws';
import type { Logger } from '../shared/logger.js';
import { backoffDelay } from '../shared/retry-pause.js';

// One venue's WebSocket feed: connect, hand every frame to the service, and after a close or an
// error reconnect with exponential backoff and jitter. ws_connection_status follows the socket;
// ws_reconnect_total counts each reconnection attempt.

/** Options of {@link FeedClient}. */
export interface FeedClientOptions {
  /** `ws://host:port/ws/{venue}`. */
  readonly url: string;
  /** Called for every frame; exceptions are caught and logged, never thrown into `ws`. */
  readonly onFrame: (data: RawData, isBinary: boolean) => void;
  /** Called when `ws` rejects a frame over `maxPayload` (it then closes the connection). */
  readonly onOversizedFrame: () => void;
  /** ws_connection_status for this venue. */
  readonly status: GaugeHandle;
  /** ws_reconnect_total for this venue. */
  readonly reconnects: CounterHandle;
  readonly logger: Logger;
  /** First reconnect delay (default 100 ms); doubles per failed attempt up to `reconnectMaxMs` (5 s). */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** Drop a connection silent (no frame, no pong) for this long; 0 = never (default 15 s). */
  readonly staleMs?: number;
  /** Largest frame `ws` accepts; a larger one closes the connection (default 4 MiB). */
  readonly maxPayload?: number;
  /** Random in [0, 1) for the jitter (default `Math.random`). */
  readonly random?: () => number;
  /** Called when the socket opens (`true`) and when it is lost or closed (`false`). */
  readonly onStatus?: (connected: boolean) => void;
}

/**
 * A self-healing WebSocket client for one market-data feed.
 *
 * @example
 * ```ts
 * const feed = new FeedClient({ url, onFrame, onOversizedFrame, status, reconnects, logger });
 * feed.start();
 * await feed.close();
 * ```
 */
export class FeedClient {
  readonly #o: FeedClientOptions;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #staleMs: number;
  readonly #random: () => number;
  #ws: WebSocket | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #staleTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #openedAt = 0;
  #lastActivity = 0;
  #stopped = false;
  #connections = 0;

  /**
   * Creates the client, disconnected; call {@link FeedClient.start}.
   *
   * @param options - URL, frame callback, metric handles and backoff settings
   */
  constructor(options: FeedClientOptions) {
    this.#o = options;
    this.#minMs = options.reconnectMinMs ?? 100;
    this.#maxMs = options.reconnectMaxMs ?? 5_000;
    this.#staleMs = options.staleMs ?? 15_000;
    this.#random = options.random ?? Math.random;
    options.status.set(0);
  }

  /** Whether the socket is open now. */
  get connected(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  /** Connections opened so far (the first one included). */
  get connections(): number {
    return this.#connections;
  }

  /** Opens the first connection. */
  start(): void {
    if (this.#stopped || this.#ws !== undefined) return;
    this.#connect();
    if (this.#staleMs > 0) {
      this.#staleTimer = setInterval(this.#checkStale, Math.max(50, this.#staleMs / 3));
      this.#staleTimer.unref();
    }
  }

  /**
   * Stops reading: no more frames reach `onFrame` and no reconnect is scheduled.
   *
   * @returns resolves once the socket is closed (at most ~1 s: then it is terminated)
   */
  async close(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#staleTimer);
    const ws = this.#ws;
    this.#ws = undefined;
    this.#o.status.set(0);
    this.#o.onStatus?.(false);
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return;
    ws.removeAllListeners('message');
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    if (ws.readyState === WebSocket.OPEN) {
      ws.close(1000, 'shutting down');
      const force = setTimeout(() => ws.terminate(), 1_000);
      await closed;
      clearTimeout(force);
    } else {
      ws.terminate();
      await closed;
    }
  }

  #connect(): void {
    const { url, logger } = this.#o;
    const ws = new WebSocket(url, { maxPayload: this.#o.maxPayload ?? 4 * 1024 * 1024, handshakeTimeout: 5_000 });
    this.#ws = ws;
    ws.on('open', () => {
      if (this.#ws !== ws) return;
      this.#connections++;
      this.#openedAt = Date.now();
      this.#lastActivity = this.#openedAt;
      this.#o.status.set(1);
      this.#o.onStatus?.(true);
      logger.info({ url, connections: this.#connections }, 'feed: connected');
    });
    ws.on('message', (data, isBinary) => {
      this.#lastActivity = Date.now();
      try {
        this.#o.onFrame(data, isBinary);
      } catch (error) {
        // onFrame is written not to throw; a bug there must still not take the feed down.
        logger.error({ err: error, url }, 'feed: frame handler failed');
      }
    });
    ws.on('pong', () => {
      this.#lastActivity = Date.now();
    });
    ws.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.#o.onOversizedFrame();
      logger.warn({ url, error: error.message, code: error.code }, 'feed: socket error');
    });
    ws.on('close', (code, reason) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      this.#o.status.set(0);
      this.#o.onStatus?.(false);
      if (this.#stopped) return;
      // A connection that stayed up resets the backoff; one that flaps keeps growing it.
      if (this.#openedAt > 0 && Date.now() - this.#openedAt >= this.#maxMs) this.#failures = 0;
      this.#openedAt = 0;
      this.#failures++;
      const delay = this.#backoff(this.#failures);
      logger.warn(
        { url, code, reason: reason.toString(), attempt: this.#failures, retryInMs: Math.round(delay) },
        'feed: disconnected; reconnecting',
      );
      this.#retryTimer = setTimeout(this.#reconnect, delay);
    });
  }

  readonly #reconnect = (): void => {
    this.#retryTimer = undefined;
    if (this.#stopped) return;
    this.#o.reconnects.inc();
    this.#connect();
  };

  readonly #checkStale = (): void => {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.#lastActivity > this.#staleMs) {
      this.#o.logger.warn({ url: this.#o.url, staleMs: this.#staleMs }, 'feed: no data; dropping the connection');
      ws.terminate();
      return;
    }
    ws.ping();
  };

  #backoff(failures: number): number {
    // Equal jitter: venues and replicas do not reconnect in lockstep.
    return backoffDelay(failures, this.#minMs, this.#maxMs, this.#random);
  }
}
