import type { Server } from 'node:http';
import { expectKeys, expectObject, expectPositiveInteger, optionProblem } from '../define/option-checks.js';
import { serverOptionError } from './config-error.js';

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
 * @param timeouts - what the caller gave (untyped JavaScript may pass anything)
 * @returns every limit
 * @throws MetricsServerConfigError naming the limit: not an object, an unknown key, a value that is
 *   not a positive integer, or `requestMs < headersMs`
 * @internal
 */
export function resolveTimeouts(timeouts: unknown = {}): ResolvedTimeouts {
  const given = expectObject(timeouts, 'timeouts', serverOptionError);
  const keys = Object.keys(DEFAULT_TIMEOUTS) as (keyof MetricsServerTimeouts)[];
  expectKeys(given, 'timeouts', keys, serverOptionError);
  const resolved = { ...DEFAULT_TIMEOUTS };
  for (const key of keys) {
    const value = given[key];
    if (value === undefined) continue;
    resolved[key] = expectPositiveInteger(value, `timeouts.${key}`, serverOptionError, 'a positive integer (ms)');
  }
  if (resolved.requestMs < resolved.headersMs) {
    // Blame the limit the caller set: with only headersMs given, it is over the default request limit.
    const problem =
      given['requestMs'] === undefined
        ? optionProblem('timeouts.headersMs', `at most timeouts.requestMs (${resolved.requestMs})`, resolved.headersMs)
        : optionProblem(
            'timeouts.requestMs',
            `at least timeouts.headersMs (${resolved.headersMs})`,
            resolved.requestMs,
          );
    throw serverOptionError(problem);
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
