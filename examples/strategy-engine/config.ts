import { ConfigError, envInteger, envNumber, envPort, envString } from '../shared/config.js';
import { type MetricsSecurity, readMetricsSecurity } from '../shared/metrics-security.js';
import { DEFAULTS } from '../shared/ports.js';
import { VENUES, type Venue } from '../shared/protocol.js';
import { STRATEGY_KINDS, type StrategyKind, type StrategyParams } from './strategies.js';

// The strategy engine's configuration, read once from the environment. Every variable has a default
// (examples/README.md lists them); a value that does not parse is a ConfigError (main exits 2).

/** One configured strategy instance: what it runs, and where it trades. */
export interface StrategySpec {
  /** The `strategy` label, and the topic suffix of its fills (`fill.{name}`). */
  readonly name: string;
  readonly kind: StrategyKind;
  readonly exchange: Venue;
  readonly symbol: string;
  /** Order size in base units (one lot). */
  readonly lot: number;
}

/** The engine's configuration. */
export interface EngineConfig {
  /** Market-data bus to subscribe to (topic prefix `tick.`). */
  readonly mdZmqEndpoint: string;
  /** The gateway's fill publisher (topic prefix `fill.`). */
  readonly gatewayZmqEndpoint: string;
  /** Base URL of the gateway's order entry; orders go to `${gatewayUrl}/orders`. */
  readonly gatewayUrl: string;
  readonly metricsHost: string;
  /** 0 picks a free port. */
  readonly metricsPort: number;
  /** Auth and TLS of `/metrics` (METRICS_BEARER_TOKEN_FILE, METRICS_BASIC_*, METRICS_TLS_*); `{}`: open, plain HTTP. */
  readonly metricsSecurity: MetricsSecurity;
  readonly strategies: readonly StrategySpec[];
  readonly params: StrategyParams;
  /** Largest position a strategy may hold, in lots, long or short. */
  readonly maxPositionLots: number;
  /** Capital base of each strategy for Sharpe returns, USD. */
  readonly capitalUsd: number;
  /** Sharpe return period, ms. */
  readonly sharpePeriodMs: number;
  /** Annualisation factor of the Sharpe ratio; undefined: `365 days / sharpePeriodMs` (the ledger's default). */
  readonly sharpePeriodsPerYear: number | undefined;
  /** Least time between two orders of one strategy, ms. */
  readonly orderCooldownMs: number;
  /** Cool-down after a risk reject or a failed order, ms (longer: retrying at once would be refused again). */
  readonly rejectCooldownMs: number;
  /** HTTP timeout of one order request, ms. */
  readonly orderTimeoutMs: number;
  /** How long an accepted order waits for its fills before the strategy may trade again, ms. */
  readonly fillTimeoutMs: number;
  /** Bound on the wait for in-flight orders at shutdown, ms. */
  readonly shutdownTimeoutMs: number;
  /** Least time between two warnings about bad bus messages, ms. */
  readonly warnIntervalMs: number;
}

/** Default `ENGINE_STRATEGIES`: a moving-average cross on Binance BTC and a z-score mean reversion on OKX ETH. */
export const DEFAULT_STRATEGIES = 'ma_cross:binance:BTCUSDT,mean_revert:okx:ETHUSDT';

/** Lot sizes of the simulated venues' symbols, base units; any other symbol trades 1 unit. */
export const DEFAULT_LOTS: Readonly<Record<string, number>> = { BTCUSDT: 0.01, ETHUSDT: 0.2, SOLUSDT: 5 };

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the engine's configuration from the environment.
 *
 * @param env - the environment (default `process.env`)
 * @returns the typed configuration
 * @throws ConfigError naming the first bad variable
 * @example
 * ```ts
 * const config = readEngineConfig({ ENGINE_METRICS_PORT: '0', ENGINE_STRATEGIES: 'ma_cross:binance:BTCUSDT' });
 * ```
 */
export function readEngineConfig(env: Env = process.env): EngineConfig {
  const params: StrategyParams = {
    maFast: envInteger(env, 'ENGINE_MA_FAST', 5, 1, 10_000),
    maSlow: envInteger(env, 'ENGINE_MA_SLOW', 20, 2, 10_000),
    maBand: envNumber(env, 'ENGINE_MA_BAND', 0.0002, 0, 1),
    mrWindow: envInteger(env, 'ENGINE_MR_WINDOW', 30, 2, 10_000),
    mrEntryZ: envNumber(env, 'ENGINE_MR_ENTRY_Z', 1.5, 0, 100),
    mrExitZ: envNumber(env, 'ENGINE_MR_EXIT_Z', 0.3, 0, 100),
  };
  if (params.maFast >= params.maSlow) {
    throw new ConfigError(`ENGINE_MA_FAST=${params.maFast}: must be below ENGINE_MA_SLOW=${params.maSlow}`);
  }
  if (params.mrExitZ >= params.mrEntryZ) {
    throw new ConfigError(`ENGINE_MR_EXIT_Z=${params.mrExitZ}: must be below ENGINE_MR_ENTRY_Z=${params.mrEntryZ}`);
  }
  return {
    mdZmqEndpoint: envString(env, 'MD_ZMQ_ENDPOINT', DEFAULTS.mdZmqEndpoint),
    gatewayZmqEndpoint: envString(env, 'GATEWAY_ZMQ_ENDPOINT', DEFAULTS.gatewayZmqEndpoint),
    gatewayUrl: envUrl(env, 'GATEWAY_URL', DEFAULTS.gatewayUrl),
    metricsHost: envString(env, 'METRICS_HOST', DEFAULTS.metricsHost),
    metricsPort: envPort(env, 'ENGINE_METRICS_PORT', DEFAULTS.engineMetricsPort),
    metricsSecurity: readMetricsSecurity(env),
    strategies: parseStrategies(envString(env, 'ENGINE_STRATEGIES', DEFAULT_STRATEGIES)),
    params,
    maxPositionLots: envInteger(env, 'ENGINE_MAX_POSITION_LOTS', 3, 1, 1_000_000),
    capitalUsd: envNumber(env, 'ENGINE_CAPITAL_USD', 100_000, Number.MIN_VALUE),
    sharpePeriodMs: envNumber(env, 'ENGINE_SHARPE_PERIOD_MS', 60_000, 10),
    sharpePeriodsPerYear:
      envString(env, 'ENGINE_SHARPE_PERIODS_PER_YEAR', '') === ''
        ? undefined
        : envNumber(env, 'ENGINE_SHARPE_PERIODS_PER_YEAR', 0, Number.MIN_VALUE),
    orderCooldownMs: envNumber(env, 'ENGINE_ORDER_COOLDOWN_MS', 1_000),
    rejectCooldownMs: envNumber(env, 'ENGINE_REJECT_COOLDOWN_MS', 5_000),
    orderTimeoutMs: envNumber(env, 'ENGINE_ORDER_TIMEOUT_MS', 5_000, 1),
    fillTimeoutMs: envNumber(env, 'ENGINE_FILL_TIMEOUT_MS', 10_000, 1),
    shutdownTimeoutMs: envNumber(env, 'ENGINE_SHUTDOWN_TIMEOUT_MS', 5_000),
    warnIntervalMs: envNumber(env, 'ENGINE_WARN_INTERVAL_MS', 10_000),
  };
}

const NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const SYMBOL = /^[A-Z0-9]{2,20}$/;

/**
 * Parses `ENGINE_STRATEGIES`: comma-separated `kind:exchange:symbol`, each optionally named as
 * `name=kind:exchange:symbol`. The name defaults to the kind; two instances of one kind need names.
 *
 * @param raw - the variable's value
 * @returns the strategy instances, in order
 * @throws ConfigError for an unknown kind or venue, a bad symbol or name, a duplicate name, or an empty list
 */
export function parseStrategies(raw: string): StrategySpec[] {
  const specs: StrategySpec[] = [];
  const bad = (item: string, why: string) => new ConfigError(`ENGINE_STRATEGIES=${raw}: "${item}" ${why}`);
  for (const item of raw.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const named = eq >= 0 ? item.slice(0, eq) : undefined;
    const parts = (eq >= 0 ? item.slice(eq + 1) : item).split(':');
    if (parts.length !== 3) throw bad(item, 'is not [name=]kind:exchange:symbol');
    const [kind, exchange, symbol] = parts as [string, string, string];
    if (!(STRATEGY_KINDS as readonly string[]).includes(kind)) {
      throw bad(item, `has kind "${kind}"; expected one of ${STRATEGY_KINDS.join(', ')}`);
    }
    if (!(VENUES as readonly string[]).includes(exchange)) {
      throw bad(item, `has exchange "${exchange}"; expected one of ${VENUES.join(', ')}`);
    }
    if (!SYMBOL.test(symbol)) throw bad(item, `has symbol "${symbol}"; expected e.g. BTCUSDT`);
    const name = named ?? kind;
    if (!NAME.test(name)) throw bad(item, `has name "${name}"; expected letters, digits and _`);
    if (specs.some((s) => s.name === name)) {
      throw bad(item, `repeats the name "${name}"; name each instance, e.g. ${kind}_2=${kind}:${exchange}:${symbol}`);
    }
    specs.push({
      name,
      kind: kind as StrategyKind,
      exchange: exchange as Venue,
      symbol,
      lot: DEFAULT_LOTS[symbol] ?? 1,
    });
  }
  if (specs.length === 0) throw new ConfigError(`ENGINE_STRATEGIES=${raw}: no strategy configured`);
  return specs;
}

function envUrl(env: Env, name: string, fallback: string): string {
  const raw = envString(env, name, fallback);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name}=${raw}: expected an http:// URL`);
  }
  if (url.protocol !== 'http:') throw new ConfigError(`${name}=${raw}: expected an http:// URL`);
  return raw.replace(/\/+$/, '');
}
