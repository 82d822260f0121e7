import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { CounterHandle, GatewayMetrics, gatewayDefinitions, InferLabels } from '@ttquant/metrics';
import type { NewOrderRequest, OrderAck, Venue } from '../shared/protocol.js';

// The exchange's order API over HTTP (node:http with one keep-alive agent, which close() destroys so
// no socket outlives the service). Submissions retry transient failures with a bound and an
// exponential backoff, and send the SAME clientOrderId every time: the exchange is idempotent on it,
// so a retry after a lost response returns the first order's ack instead of creating a second order.

/** Why an exchange call may be retried: the `reason` label of `order_retries_total`. */
export type RetryCause = InferLabels<typeof gatewayDefinitions.orderRetries>['reason'];

/** How a submission or cancel ended. */
export type ExchangeOutcome =
  /** 200 with a well-formed ack. */
  | { readonly kind: 'ack'; readonly ack: OrderAck; readonly retries: number }
  /** A 4xx other than 429 (the exchange refused the order: never retried). */
  | { readonly kind: 'rejected'; readonly status: number; readonly reason: string; readonly retries: number }
  /** Every attempt failed transiently; `cause` is the last attempt's. */
  | { readonly kind: 'failed'; readonly cause: RetryCause; readonly retries: number }
  /** The caller's signal aborted it (shutdown). */
  | { readonly kind: 'aborted'; readonly retries: number };

/** Options of an {@link ExchangeClient}. */
export interface ExchangeClientOptions {
  /** Base URL of the exchange, e.g. `http://127.0.0.1:9400`. */
  readonly baseUrl: string;
  /** Venues whose metric series are bound up front. */
  readonly venues: readonly Venue[];
  readonly metrics: GatewayMetrics;
  /** Per-request timeout, ms. */
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** First backoff delay, ms; doubles on every retry. */
  readonly retryBaseMs: number;
  /** Cap of one delay, ms (also caps a 429's Retry-After). */
  readonly retryMaxMs: number;
}

/** Per-venue bound handles. @internal */
interface VenueHandles {
  readonly rateLimitOrder: CounterHandle;
  readonly rateLimitCancel: CounterHandle;
  readonly retries: Record<RetryCause, CounterHandle>;
}

/** A response, or the transient cause of not getting one. @internal */
type Attempt =
  | { readonly status: number; readonly body: unknown; readonly retryAfterMs: number }
  | RetryCause
  | 'aborted';

const MAX_RESPONSE_BYTES = 1 << 20;
const ACK_STATUSES = new Set(['open', 'filled', 'cancelled']);

/**
 * A client of the simulated exchange's order API, with bounded retries.
 *
 * @example
 * ```ts
 * const client = new ExchangeClient({ baseUrl, venues: ['binance'], metrics: gw, timeoutMs: 2000, maxRetries: 3, retryBaseMs: 50, retryMaxMs: 2000 });
 * const outcome = await client.submit('binance', { clientOrderId: 'c1', symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01 });
 * ```
 */
export class ExchangeClient {
  readonly #options: ExchangeClientOptions;
  readonly #handles = new Map<Venue, VenueHandles>();
  readonly #agent: Agent;
  readonly #https: boolean;

  /** @param options - where the exchange is, the retry policy and the metrics to count in */
  constructor(options: ExchangeClientOptions) {
    this.#options = options;
    this.#https = options.baseUrl.startsWith('https:');
    this.#agent = this.#https ? new HttpsAgent({ keepAlive: true }) : new Agent({ keepAlive: true });
    for (const exchange of options.venues) {
      const m = options.metrics;
      this.#handles.set(exchange, {
        rateLimitOrder: m.rateLimitHits.bind({ exchange, endpoint: 'order' }),
        rateLimitCancel: m.rateLimitHits.bind({ exchange, endpoint: 'cancel' }),
        retries: m.orderRetries.bindEach('reason', { exchange }),
      });
    }
  }

  /**
   * Submits a new order, retrying 429, 5xx, timeouts and network errors up to `maxRetries` times
   * with the same clientOrderId. Counts `api_rate_limit_hit_total{endpoint="order"}` on every 429
   * and `order_retries_total{reason}` on every retry.
   *
   * @param venue - the venue
   * @param order - the order, sent as is on every attempt
   * @param signal - aborts waiting and the request in flight (shutdown)
   * @returns how it ended; never rejects
   */
  submit(venue: Venue, order: NewOrderRequest, signal?: AbortSignal): Promise<ExchangeOutcome> {
    const handles = this.#venue(venue);
    return this.#withRetries(
      'POST',
      `/api/${venue}/orders`,
      JSON.stringify(order),
      signal,
      handles.rateLimitOrder,
      handles.retries,
    );
  }

  /**
   * Cancels an order, with the same retry policy (a 429 counts `api_rate_limit_hit_total{endpoint="cancel"}`;
   * cancel retries are not order submissions, so they do not count in `order_retries_total`).
   *
   * @param venue - the venue
   * @param clientOrderId - the order
   * @param signal - aborts it
   * @returns how it ended (`rejected` with status 404 when the exchange does not know the order)
   */
  cancel(venue: Venue, clientOrderId: string, signal?: AbortSignal): Promise<ExchangeOutcome> {
    const handles = this.#venue(venue);
    const path = `/api/${venue}/orders/${encodeURIComponent(clientOrderId)}`;
    return this.#withRetries('DELETE', path, undefined, signal, handles.rateLimitCancel, undefined);
  }

  /** Destroys the keep-alive sockets. */
  close(): void {
    this.#agent.destroy();
  }

  #venue(venue: Venue): VenueHandles {
    const handles = this.#handles.get(venue);
    if (handles === undefined) throw new Error(`exchange client: venue ${venue} is not configured`);
    return handles;
  }

  async #withRetries(
    method: string,
    path: string,
    body: string | undefined,
    signal: AbortSignal | undefined,
    rateLimit: CounterHandle,
    retries: Record<RetryCause, CounterHandle> | undefined,
  ): Promise<ExchangeOutcome> {
    const { maxRetries, retryBaseMs, retryMaxMs } = this.#options;
    let cause: RetryCause = 'network';
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        retries?.[cause].inc();
      }
      const result = await this.#call(method, path, body, signal);
      if (result === 'aborted') return { kind: 'aborted', retries: attempt };
      let retryAfterMs = 0;
      if (typeof result === 'string') {
        cause = result;
      } else if (result.status === 200) {
        const ack = parseAck(result.body);
        if (ack !== undefined) return { kind: 'ack', ack, retries: attempt };
        // A 200 we cannot read: the order may exist; asking again is safe (idempotent) and
        // returns the same ack, so treat it like a server error.
        cause = 'server_error';
      } else if (result.status === 429) {
        rateLimit.inc();
        cause = 'rate_limited';
        retryAfterMs = result.retryAfterMs;
      } else if (result.status >= 500) {
        cause = 'server_error';
      } else {
        return { kind: 'rejected', status: result.status, reason: errorReason(result.body), retries: attempt };
      }
      if (attempt >= maxRetries) return { kind: 'failed', cause, retries: attempt };
      const delay = Math.min(retryMaxMs, Math.max(retryBaseMs * 2 ** attempt, retryAfterMs));
      if (!(await sleep(delay, signal))) return { kind: 'aborted', retries: attempt };
    }
  }

  // One HTTP exchange. Never rejects: a transport failure comes back as its retry cause.
  #call(method: string, path: string, body: string | undefined, signal: AbortSignal | undefined): Promise<Attempt> {
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise<Attempt>((resolve) => {
      let settled = false;
      const finish = (value: Attempt): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const url = new URL(path, this.#options.baseUrl);
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = (this.#https ? httpsRequest : request)(url, { method, agent: this.#agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy();
            finish('network');
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = chunks.length === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            parsed = undefined;
          }
          finish({ status: res.statusCode ?? 0, body: parsed, retryAfterMs: retryAfter(res.headers['retry-after']) });
        });
        res.on('error', () => finish('network'));
        res.on('aborted', () => finish('network'));
      });
      const timer = setTimeout(() => {
        finish('timeout');
        req.destroy();
      }, this.#options.timeoutMs);
      const onAbort = (): void => {
        finish('aborted');
        req.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', () => finish('network'));
      req.end(body);
    });
  }
}

/**
 * Reads an OrderAck from a response body, or `undefined` when it is not one.
 *
 * @param body - the parsed JSON
 * @returns the ack
 */
export function parseAck(body: unknown): OrderAck | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.clientOrderId !== 'string' || typeof b.orderId !== 'string') return undefined;
  if (typeof b.status !== 'string' || !ACK_STATUSES.has(b.status)) return undefined;
  return { clientOrderId: b.clientOrderId, orderId: b.orderId, status: b.status as OrderAck['status'] };
}

function errorReason(body: unknown): string {
  if (body !== null && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.reason === 'string') return b.reason.slice(0, 200);
    if (typeof b.error === 'string') return b.error.slice(0, 200);
  }
  return 'rejected';
}

function retryAfter(header: string | undefined): number {
  if (header === undefined) return 0;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

/** Waits `ms`; resolves `false` early when the signal aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
