import { ConfigError, envFraction, envNumber, envPort, envString } from '../shared/config.js';
import { DEFAULTS } from '../shared/ports.js';

// Configuration of the simulated exchange, from the environment. Fault knobs are all off by default;
// the same knobs can be changed while it runs with `POST /admin/faults` (see service.ts).

/** The fault knobs: all off by default, changeable at run time through `POST /admin/faults`. */
export interface FaultConfig {
  /** Close every market-data WebSocket (server side, abruptly) every this many ms; 0 = never. */
  dropEveryMs: number;
  /** Fraction of feed messages sent malformed (the reason is drawn evenly from {@link MALFORMED_REASONS}). */
  malformedFraction: number;
  /** Fraction of order and cancel requests answered 429 `{ error: 'rate_limited' }`. */
  rateLimitFraction: number;
  /** Fraction of order and cancel requests answered 503 `{ error: 'unavailable' }`. */
  errorFraction: number;
  /** Fraction of feed messages whose exchange timestamp `T` is back-dated by an extra `latencySpikeMs`. */
  latencySpikeFraction: number;
  /** Size of a latency spike in ms. */
  latencySpikeMs: number;
}

/** Everything `startExchange` needs. */
export interface ExchangeConfig {
  /** Interface to listen on (EXCHANGE_HOST). */
  host: string;
  /** TCP port (EXCHANGE_PORT); 0 picks a free port. */
  port: number;
  /** Seed of every random stream (EXCHANGE_SEED). */
  seed: number;
  /** One feed message per symbol and venue every this many ms (EXCHANGE_TICK_MS); fractions allowed. */
  tickMs: number;
  /** Base simulated network delay: `T` is set this many ms in the past (EXCHANGE_LATENCY_MS). */
  latencyMs: number;
  /** Extra uniform random delay in [0, this) ms on each message (EXCHANGE_LATENCY_JITTER_MS). */
  latencyJitterMs: number;
  /** Mean delay before an order or cancel request is answered, ±50 % (EXCHANGE_ACK_MS). */
  ackMs: number;
  /** Mean delay from a market order's ack to its fill, ±50 % (EXCHANGE_FILL_MS). */
  fillMs: number;
  /** Fee on each fill, in basis points of notional, charged in USD (EXCHANGE_FEE_BPS). */
  feeBps: number;
  /** Largest slippage of a market order from the touch, in basis points (EXCHANGE_SLIPPAGE_BPS). */
  slippageBps: number;
  /** Execution events kept per venue while no executions client is connected (EXCHANGE_EXEC_BUFFER). */
  executionBuffer: number;
  /** Largest number of resting (open) orders per venue; more are rejected (EXCHANGE_MAX_OPEN_ORDERS). */
  maxOpenOrders: number;
  /** The fault knobs. */
  faults: FaultConfig;
  /**
   * Append-only order journal (EXCHANGE_JOURNAL): read back at start, so a restarted exchange keeps
   * its clientOrderIds and open orders; unset: orders live in memory only.
   */
  journalFile?: string | undefined;
}

/** The reasons a malformed feed message is malformed, named as `message_parse_errors_total`'s `reason`. */
export const MALFORMED_REASONS = ['invalid_json', 'unknown_type', 'missing_field', 'invalid_value'] as const;
export type MalformedReason = (typeof MALFORMED_REASONS)[number];

/** The fault knobs with every fault off. */
export const NO_FAULTS: Readonly<FaultConfig> = Object.freeze({
  dropEveryMs: 0,
  malformedFraction: 0,
  rateLimitFraction: 0,
  errorFraction: 0,
  latencySpikeFraction: 0,
  latencySpikeMs: 250,
});

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the exchange's configuration from the environment; every variable has a default.
 *
 * @param env - the environment (default `process.env`)
 * @returns the typed configuration
 * @throws ConfigError for a value that does not parse or is out of range (the caller exits 2)
 * @example
 * const config = readExchangeConfig({ EXCHANGE_PORT: '0', EXCHANGE_MALFORMED_FRACTION: '0.01' });
 */
export function readExchangeConfig(env: Env = process.env): ExchangeConfig {
  const seed = envNumber(env, 'EXCHANGE_SEED', 42, 0, 0xffff_ffff);
  if (!Number.isInteger(seed)) throw new ConfigError(`EXCHANGE_SEED=${env.EXCHANGE_SEED}: expected an integer`);
  const config: ExchangeConfig = {
    host: envString(env, 'EXCHANGE_HOST', '127.0.0.1'),
    port: envPort(env, 'EXCHANGE_PORT', DEFAULTS.exchangePort),
    seed,
    tickMs: envNumber(env, 'EXCHANGE_TICK_MS', 20, 0.05, 60_000),
    latencyMs: envNumber(env, 'EXCHANGE_LATENCY_MS', 1, 0, 60_000),
    latencyJitterMs: envNumber(env, 'EXCHANGE_LATENCY_JITTER_MS', 4, 0, 60_000),
    ackMs: envNumber(env, 'EXCHANGE_ACK_MS', 5, 0, 60_000),
    fillMs: envNumber(env, 'EXCHANGE_FILL_MS', 20, 0, 60_000),
    feeBps: envNumber(env, 'EXCHANGE_FEE_BPS', 4, 0, 1_000),
    slippageBps: envNumber(env, 'EXCHANGE_SLIPPAGE_BPS', 2, 0, 1_000),
    executionBuffer: envNumber(env, 'EXCHANGE_EXEC_BUFFER', 10_000, 0, 10_000_000),
    maxOpenOrders: envNumber(env, 'EXCHANGE_MAX_OPEN_ORDERS', 10_000, 1, 10_000_000),
    journalFile: env.EXCHANGE_JOURNAL === undefined || env.EXCHANGE_JOURNAL === '' ? undefined : env.EXCHANGE_JOURNAL,
    faults: {
      dropEveryMs: envNumber(env, 'EXCHANGE_DROP_EVERY_MS', 0, 0, 86_400_000),
      malformedFraction: envFraction(env, 'EXCHANGE_MALFORMED_FRACTION', 0),
      rateLimitFraction: envFraction(env, 'EXCHANGE_RATE_LIMIT_FRACTION', 0),
      errorFraction: envFraction(env, 'EXCHANGE_ERROR_FRACTION', 0),
      latencySpikeFraction: envFraction(env, 'EXCHANGE_LATENCY_SPIKE_FRACTION', 0),
      latencySpikeMs: envNumber(env, 'EXCHANGE_LATENCY_SPIKE_MS', NO_FAULTS.latencySpikeMs, 0, 600_000),
    },
  };
  const problem = faultProblem(config.faults);
  if (problem !== undefined) throw new ConfigError(problem);
  return config;
}

const FAULT_LIMITS: Readonly<Record<keyof FaultConfig, readonly [number, number]>> = {
  dropEveryMs: [0, 86_400_000],
  malformedFraction: [0, 1],
  rateLimitFraction: [0, 1],
  errorFraction: [0, 1],
  latencySpikeFraction: [0, 1],
  latencySpikeMs: [0, 600_000],
};

/**
 * Merges a partial fault update (the JSON body of `POST /admin/faults`) into the current knobs.
 *
 * @param current - the knobs now
 * @param update - untrusted input: an object with some of {@link FaultConfig}'s keys
 * @returns the new knobs, or a reason string when the update is invalid (nothing is changed then)
 */
export function mergeFaults(current: Readonly<FaultConfig>, update: unknown): FaultConfig | string {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) return 'body must be a JSON object';
  const next: FaultConfig = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (!Object.hasOwn(FAULT_LIMITS, key))
      return `unknown fault "${key}"; known: ${Object.keys(FAULT_LIMITS).join(', ')}`;
    const [min, max] = FAULT_LIMITS[key as keyof FaultConfig];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      return `${key}: expected a number from ${min} to ${max}`;
    }
    next[key as keyof FaultConfig] = value;
  }
  return faultProblem(next) ?? next;
}

/** 429 and 503 share one draw per request (see orders.ts), so together they cannot exceed 1. */
function faultProblem(faults: FaultConfig): string | undefined {
  const sum = faults.rateLimitFraction + faults.errorFraction;
  return sum > 1 ? `rate-limit fraction + error fraction = ${sum}: must not exceed 1` : undefined;
}
