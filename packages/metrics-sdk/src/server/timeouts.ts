import type { Server } from 'node:http';

/**
 * Time limits of a metrics server, in milliseconds, so a slow or stalled client cannot hold a
 * connection (and the response bytes queued for it) forever. Every value must be a positive integer.
 */
export interface MetricsServerTimeouts {
  /**
   * From connect (or the end of the previous request on a keep-alive connection) until the request
   * head has fully arrived; over TLS the handshake must finish within it too. A client that sends
   * half a request line, or nothing, is answered 408 (when HTTP was reached) and disconnected.
   * Default 10 000.
   */
  readonly headersMs?: number;
  /** Until the whole request (head and any body) has arrived; at least `headersMs`. Default 30 000. */
  readonly requestMs?: number;
  /** How long an idle keep-alive connection is kept open between requests. Default 5 000. */
  readonly idleMs?: number;
  /**
   * A connection with no bytes read or written for this long is destroyed: a client that stops
   * reading a response is dropped, and the queued bytes with it. Default 30 000.
   */
  readonly inactivityMs?: number;
}

/** {@link MetricsServerTimeouts} with every default filled in. @internal */
export type ResolvedTimeouts = Readonly<Required<MetricsServerTimeouts>>;

/** The defaults of {@link MetricsServerTimeouts}. */
export const DEFAULT_TIMEOUTS: Readonly<Required<MetricsServerTimeouts>> = Object.freeze({
  headersMs: 10_000,
  requestMs: 30_000,
  idleMs: 5_000,
  inactivityMs: 30_000,
});

/**
 * Fills in defaults and checks the values.
 *
 * @param timeouts - what the caller gave
 * @returns every limit
 * @throws RangeError for a value that is not a positive integer, or `requestMs < headersMs`
 * @internal
 */
export function resolveTimeouts(timeouts: MetricsServerTimeouts = {}): ResolvedTimeouts {
  const resolved = { ...DEFAULT_TIMEOUTS };
  for (const key of Object.keys(DEFAULT_TIMEOUTS) as (keyof MetricsServerTimeouts)[]) {
    const value = timeouts[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`metrics server: timeouts.${key} must be a positive integer (ms); got ${String(value)}`);
    }
    resolved[key] = value;
  }
  if (resolved.requestMs < resolved.headersMs) {
    throw new RangeError(
      `metrics server: timeouts.requestMs (${resolved.requestMs}) must be at least timeouts.headersMs (${resolved.headersMs})`,
    );
  }
  return Object.freeze(resolved);
}

/**
 * The `http.createServer` options that carry the limits. Node checks the head and request deadlines
 * on a timer (`connectionsCheckingInterval`, 30 s by default, which would let a 10 s limit run to
 * 40 s); it runs here at a quarter of the shorter limit, at most once a second.
 *
 * @param t - the limits
 * @returns options for `http.createServer` / `https.createServer`
 * @internal
 */
export function httpTimeoutOptions(t: ResolvedTimeouts): {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: t.headersMs,
    requestTimeout: t.requestMs,
    keepAliveTimeout: t.idleMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(Math.min(t.headersMs, t.requestMs) / 4))),
  };
}

/**
 * Sets the socket inactivity limit on a created server. A timed-out socket is destroyed explicitly,
 * whatever other 'timeout' listeners exist, so its queued response bytes are freed.
 *
 * @param server - the http or https server
 * @param t - the limits
 * @param onTimeout - counts the socket
 * @internal
 */
export function applySocketTimeouts(server: Server, t: ResolvedTimeouts, onTimeout: () => void): void {
  server.setTimeout(t.inactivityMs, (socket) => {
    onTimeout();
    socket.destroy();
  });
}
