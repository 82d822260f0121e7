import { ConfigError, envInteger, envList, envNumber, envPort, envString } from '../shared/config.js';
import { type MetricsSecurity, readMetricsSecurity } from '../shared/metrics-security.js';
import { DEFAULTS } from '../shared/ports.js';
import { SYMBOLS, VENUES, type Venue } from '../shared/protocol.js';

// The gateway's configuration, read from the environment once at start-up. Every variable has a
// default; a bad value is a ConfigError (main.ts prints it and exits 2).

/** Risk limits applied to every order before it reaches the exchange. */
export interface RiskConfig {
  /**
   * Largest |net position| per venue and symbol, as notional in USD (quantity × reference price),
   * counting the worst case of the orders still open on the same side. One USD figure fits BTC and
   * SOL alike, which a base-unit limit does not.
   */
  readonly maxPositionUsd: number;
  /** Largest notional of one order, in USD (quantity × reference price). */
  readonly maxNotionalUsd: number;
  /** Orders per second per venue (token-bucket refill rate). */
  readonly maxOrdersPerSec: number;
  /** Token-bucket capacity: how many orders may arrive at once after a quiet spell. */
  readonly orderBurst: number;
}

/** Everything {@link startGateway} needs. */
export interface GatewayConfig {
  /** Base URL of the exchange's order API; the executions WebSocket is derived from it. */
  readonly exchangeUrl: string;
  /** Venues this gateway routes to (one executions stream and one ledger each). */
  readonly venues: readonly Venue[];
  /** Symbols accepted at order entry (keeps the `symbol` label's cardinality bounded). */
  readonly symbols: readonly string[];
  /** Interface of the order-entry HTTP server. */
  readonly orderHost: string;
  /** Port of the order-entry HTTP server (0: any free port). */
  readonly orderPort: number;
  readonly metricsHost: string;
  readonly metricsPort: number;
  /** Auth and TLS of `/metrics` (METRICS_BEARER_TOKEN_FILE, METRICS_BASIC_*, METRICS_TLS_*); `{}`: open, plain HTTP. */
  readonly metricsSecurity: MetricsSecurity;
  /** ZeroMQ endpoint the fills publisher binds (`tcp://127.0.0.1:*` picks a free port). */
  readonly zmqEndpoint: string;
  /** Market-data bus the gateway subscribes to for mark prices; `''` turns marks off. */
  readonly mdZmqEndpoint: string;
  /** Retries after the first attempt, per order. */
  readonly maxRetries: number;
  /** First backoff delay; doubles on every retry. */
  readonly retryBaseMs: number;
  /** Cap of one backoff delay (also caps a server's Retry-After). */
  readonly retryMaxMs: number;
  /** Per-request timeout of a call to the exchange. */
  readonly exchangeTimeoutMs: number;
  /** Open orders older than this (since their ack) are cancelled. */
  readonly orderTtlMs: number;
  /** First reconnect delay of the executions WebSocket; doubles up to 30× this. */
  readonly wsReconnectMs: number;
  /** How long close() waits for in-flight submissions before aborting them. */
  readonly drainTimeoutMs: number;
  /**
   * Finished orders remembered (oldest forgotten first), so a repeated request gets its first result
   * and a late execution is booked to its order (GATEWAY_REMEMBERED_ORDERS).
   */
  readonly rememberedOrders: number;
  /** Orders in flight or open at once; more are refused with 503 (GATEWAY_MAX_LIVE_ORDERS). */
  readonly maxLiveOrders: number;
  /**
   * Distinct strategy names accepted; an order from one more is refused with 400, since the ledger
   * keeps every strategy's account for the life of the process (GATEWAY_MAX_STRATEGIES).
   */
  readonly maxStrategies: number;
  readonly risk: RiskConfig;
}

const SYMBOL_RE = /^[A-Z0-9]{2,20}$/;

/**
 * Reads the gateway's configuration from environment variables.
 *
 * @param env - the environment (default `process.env`)
 * @returns the typed configuration
 * @throws ConfigError naming the first variable with a bad value
 * @example
 * ```ts
 * const config = readGatewayConfig({ GATEWAY_ORDER_PORT: '0', RISK_MAX_NOTIONAL_USD: '5000' });
 * ```
 */
export function readGatewayConfig(env: Readonly<Record<string, string | undefined>> = process.env): GatewayConfig {
  const exchangeUrl = envString(env, 'EXCHANGE_URL', DEFAULTS.exchangeUrl);
  if (!/^https?:\/\/[^/]+/.test(exchangeUrl)) {
    throw new ConfigError(`EXCHANGE_URL=${exchangeUrl}: expected an http:// or https:// URL`);
  }
  const symbols = envString(env, 'GATEWAY_SYMBOLS', SYMBOLS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const s of symbols) {
    if (!SYMBOL_RE.test(s)) throw new ConfigError(`GATEWAY_SYMBOLS: "${s}" is not a symbol like BTCUSDT`);
  }
  if (symbols.length === 0) throw new ConfigError('GATEWAY_SYMBOLS: expected at least one symbol');
  const maxOrdersPerSec = envNumber(env, 'RISK_MAX_ORDERS_PER_SEC', 20, 0.001);
  const retryBaseMs = envNumber(env, 'GATEWAY_RETRY_BASE_MS', 50, 0, 60_000);
  const venues = envList(env, 'GATEWAY_VENUES', VENUES, VENUES);
  if (venues.length === 0) throw new ConfigError('GATEWAY_VENUES: expected at least one venue');
  return {
    exchangeUrl: exchangeUrl.replace(/\/+$/, ''),
    venues,
    symbols,
    orderHost: envString(env, 'GATEWAY_ORDER_HOST', '127.0.0.1'),
    orderPort: envPort(env, 'GATEWAY_ORDER_PORT', DEFAULTS.gatewayOrderPort),
    metricsHost: envString(env, 'METRICS_HOST', DEFAULTS.metricsHost),
    metricsPort: envPort(env, 'GATEWAY_METRICS_PORT', DEFAULTS.gatewayMetricsPort),
    metricsSecurity: readMetricsSecurity(env),
    zmqEndpoint: envString(env, 'GATEWAY_ZMQ_ENDPOINT', DEFAULTS.gatewayZmqEndpoint),
    mdZmqEndpoint: env.MD_ZMQ_ENDPOINT ?? DEFAULTS.mdZmqEndpoint,
    maxRetries: envInteger(env, 'GATEWAY_MAX_RETRIES', 3, 0, 20),
    retryBaseMs,
    retryMaxMs: envNumber(env, 'GATEWAY_RETRY_MAX_MS', 2_000, retryBaseMs, 600_000),
    exchangeTimeoutMs: envNumber(env, 'GATEWAY_EXCHANGE_TIMEOUT_MS', 2_000, 1, 600_000),
    orderTtlMs: envNumber(env, 'GATEWAY_ORDER_TTL_MS', 10_000, 1, 86_400_000),
    wsReconnectMs: envNumber(env, 'GATEWAY_WS_RECONNECT_MS', 250, 1, 60_000),
    drainTimeoutMs: envNumber(env, 'GATEWAY_DRAIN_TIMEOUT_MS', 5_000, 0, 600_000),
    rememberedOrders: envInteger(env, 'GATEWAY_REMEMBERED_ORDERS', 10_000, 1, 10_000_000),
    maxLiveOrders: envInteger(env, 'GATEWAY_MAX_LIVE_ORDERS', 10_000, 1, 10_000_000),
    maxStrategies: envInteger(env, 'GATEWAY_MAX_STRATEGIES', 100, 1, 100_000),
    risk: {
      maxPositionUsd: envNumber(env, 'RISK_MAX_POSITION_USD', 50_000, 0),
      maxNotionalUsd: envNumber(env, 'RISK_MAX_NOTIONAL_USD', 10_000, 0),
      maxOrdersPerSec,
      orderBurst: envNumber(env, 'RISK_ORDER_BURST', Math.max(1, maxOrdersPerSec), 1),
    },
  };
}
