import WebSocket from 'ws';
import type { Logger } from '../shared/logger.js';
import type { CancelEvent, ExecutionEvent, FillEvent } from '../shared/protocol.js';

// The exchange's executions stream for one venue: a WebSocket client that reconnects with an
// exponential backoff, and turns each frame into an ExecutionEvent or a counted, logged reject.
// A frame never throws out of here: a hostile or broken peer costs a log line, not the process.

/** Options of an {@link ExecutionStream}. */
export interface ExecutionStreamOptions {
  /** `ws://HOST:PORT/ws/{venue}/executions`. */
  readonly url: string;
  /** First reconnect delay, ms; doubles per failed attempt up to `maxReconnectMs`. */
  readonly reconnectMs: number;
  readonly maxReconnectMs: number;
  readonly logger: Logger;
  /** Called for each well-formed event. May throw: the error is logged and the stream goes on. */
  readonly onEvent: (event: ExecutionEvent) => void;
  /** Called for a frame that is not an ExecutionEvent. */
  readonly onMalformed: (reason: string) => void;
}

const MAX_FRAME_BYTES = 64 * 1024;

/**
 * A reconnecting WebSocket client of one venue's executions stream.
 *
 * @example
 * ```ts
 * const stream = new ExecutionStream({ url: 'ws://127.0.0.1:9400/ws/binance/executions', reconnectMs: 250, maxReconnectMs: 7500, logger, onEvent, onMalformed });
 * stream.start();
 * await stream.close();
 * ```
 */
export class ExecutionStream {
  readonly #options: ExecutionStreamOptions;
  #socket: WebSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closing = false;
  #connections = 0;

  /** @param options - where to connect and what to call */
  constructor(options: ExecutionStreamOptions) {
    this.#options = options;
  }

  /** Whether the socket is open now. */
  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Successful connections so far (the first one included). */
  get connections(): number {
    return this.#connections;
  }

  /** Connects; reconnects on every close until {@link close}. */
  start(): void {
    if (this.#closing || this.#socket !== undefined) return;
    this.#connect();
  }

  /**
   * Closes the socket and stops reconnecting.
   *
   * @returns resolves once the socket is closed (at most ~1 s: then it is terminated)
   */
  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1_000);
      socket.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1001, 'gateway shutting down');
    });
  }

  #connect(): void {
    const { url, logger } = this.#options;
    const socket = new WebSocket(url, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: 5_000 });
    this.#socket = socket;
    socket.on('open', () => {
      this.#failures = 0;
      this.#connections++;
      logger.info({ url, connections: this.#connections }, 'executions stream connected');
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.#options.onMalformed('binary_frame');
        return;
      }
      const event = parseExecution(data.toString());
      if (typeof event === 'string') {
        this.#options.onMalformed(event);
        return;
      }
      try {
        this.#options.onEvent(event);
      } catch (error) {
        logger.error({ err: error, event }, 'execution handler failed');
      }
    });
    // 'error' precedes 'close'; without a listener ws would throw it.
    socket.on('error', (error) => logger.warn({ url, err: error.message }, 'executions stream error'));
    socket.on('close', (code) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      if (this.#closing) return;
      const delay = Math.min(this.#options.maxReconnectMs, this.#options.reconnectMs * 2 ** this.#failures);
      this.#failures++;
      logger.warn({ url, code, retryInMs: delay }, 'executions stream closed; reconnecting');
      this.#timer = setTimeout(() => {
        if (!this.#closing) this.#connect();
      }, delay);
    });
  }
}

/**
 * Parses one executions frame.
 *
 * @param text - the frame's text
 * @returns the event, or the reason it is not one (`invalid_json`, `unknown_event`, `missing_field`)
 */
export function parseExecution(text: string): ExecutionEvent | 'invalid_json' | 'unknown_event' | 'missing_field' {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return 'invalid_json';
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'unknown_event';
  const r = raw as Record<string, unknown>;
  if (!isId(r.clientOrderId) || !isId(r.orderId) || !isFiniteNumber(r.time)) return 'missing_field';
  if (r.e === 'cancelled') {
    const event: CancelEvent = { e: 'cancelled', clientOrderId: r.clientOrderId, orderId: r.orderId, time: r.time };
    return event;
  }
  if (r.e !== 'fill') return 'unknown_event';
  if (typeof r.symbol !== 'string' || (r.side !== 'buy' && r.side !== 'sell')) return 'missing_field';
  if (!isPositive(r.price) || !isPositive(r.quantity)) return 'missing_field';
  if (!(isFiniteNumber(r.fee) && r.fee >= 0)) return 'missing_field';
  const fill: FillEvent = {
    e: 'fill',
    clientOrderId: r.clientOrderId,
    orderId: r.orderId,
    symbol: r.symbol,
    side: r.side,
    price: r.price,
    quantity: r.quantity,
    fee: r.fee,
    time: r.time,
  };
  return fill;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 128;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value < Number.POSITIVE_INFINITY;
}
