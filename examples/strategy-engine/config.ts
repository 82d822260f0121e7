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

/** Where the engine reaches one venue: its market-data bus and its gateway. */
export interface VenueEndpoints {
  /** Market-data bus carrying this venue's ticks (topic prefix `tick.`). */
  readonly mdZmqEndpoint: string;
  /** The fill publisher of the gateway routing this venue (topic prefix `fill.`). */
  readonly gatewayZmqEndpoint: string;
  /** Base URL of that gateway's order entry; this venue's orders go to `${gatewayUrl}/orders`. */
  readonly gatewayUrl: string;
}

/** The engine's configuration. */
export interface EngineConfig {
  /**
   * Endpoints of each venue a strategy trades (and of no other). Several venues may share one
   * market-data bus or one gateway: the engine connects once per distinct endpoint.
   */
  readonly venues: ReadonlyMap<Venue, VenueEndpoints>;
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
  const strategies = parseStrategies(envString(env, 'ENGINE_STRATEGIES', DEFAULT_STRATEGIES));
  return {
    venues: readVenueEndpoints(env, strategies),
    metricsHost: envString(env, 'METRICS_HOST', DEFAULTS.metricsHost),
    metricsPort: envPort(env, 'ENGINE_METRICS_PORT', DEFAULTS.engineMetricsPort),
    metricsSecurity: readMetricsSecurity(env),
    strategies,
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

/** One per-venue endpoint setting: the map variable, its single-endpoint fallback, and the default. */
interface EndpointSetting {
  readonly field: keyof VenueEndpoints;
  readonly perVenue: string;
  readonly single: string;
  readonly fallback: string;
  /** Checks one value, returns it normalised; `what` names the variable (and entry) in errors. */
  readonly check: (raw: string, what: string) => string;
}

const ENDPOINT_SETTINGS: readonly EndpointSetting[] = [
  {
    field: 'mdZmqEndpoint',
    perVenue: 'MD_ZMQ_ENDPOINTS',
    single: 'MD_ZMQ_ENDPOINT',
    fallback: DEFAULTS.mdZmqEndpoint,
    check: checkZmq,
  },
  {
    field: 'gatewayZmqEndpoint',
    perVenue: 'GATEWAY_ZMQ_ENDPOINTS',
    single: 'GATEWAY_ZMQ_ENDPOINT',
    fallback: DEFAULTS.gatewayZmqEndpoint,
    check: checkZmq,
  },
  {
    field: 'gatewayUrl',
    perVenue: 'GATEWAY_URLS',
    single: 'GATEWAY_URL',
    fallback: DEFAULTS.gatewayUrl,
    check: checkUrl,
  },
];

/**
 * The endpoints of each venue the strategies trade. A venue's endpoint comes from the per-venue
 * variable (`MD_ZMQ_ENDPOINTS=binance=tcp://…,okx=tcp://…`), else from the single variable
 * (`MD_ZMQ_ENDPOINT`, one service for every venue). The single variable's default applies only when
 * the per-venue one is unset: once venues are listed, a traded venue left out is a mistake, not a
 * reason to guess an address.
 *
 * @param env - the environment
 * @param strategies - the configured strategies (their venues are the ones needed)
 * @returns endpoints per traded venue, in the order the strategies name them
 * @throws ConfigError for a malformed entry, an unknown or repeated venue, or a traded venue without an endpoint
 */
export function readVenueEndpoints(env: Env, strategies: readonly StrategySpec[]): Map<Venue, VenueEndpoints> {
  const resolved = ENDPOINT_SETTINGS.map((setting) => {
    const perVenue = parseVenueMap(env, setting);
    const rawSingle = env[setting.single];
    const singleSet = rawSingle !== undefined && rawSingle !== '';
    const single =
      singleSet || perVenue.size === 0
        ? checkSingle(setting, envString(env, setting.single, setting.fallback))
        : undefined;
    return { setting, perVenue, single };
  });
  const venues = new Map<Venue, VenueEndpoints>();
  for (const spec of strategies) {
    if (venues.has(spec.exchange)) continue;
    const endpoints: Partial<Record<keyof VenueEndpoints, string>> = {};
    for (const { setting, perVenue, single } of resolved) {
      const value = perVenue.get(spec.exchange) ?? single;
      if (value === undefined) {
        throw new ConfigError(
          `${setting.perVenue}=${env[setting.perVenue]}: strategy "${spec.name}" trades ${spec.exchange}, which has no entry (add ${spec.exchange}=…, or set ${setting.single} for every venue)`,
        );
      }
      endpoints[setting.field] = value;
    }
    venues.set(spec.exchange, endpoints as VenueEndpoints);
  }
  return venues;
}

function checkSingle(setting: EndpointSetting, raw: string): string {
  return setting.check(raw, `${setting.single}=${raw}`);
}

/** Parses one `venue=value,venue=value` variable; empty or unset is an empty map. */
function parseVenueMap(env: Env, setting: EndpointSetting): Map<Venue, string> {
  const raw = envString(env, setting.perVenue, '');
  const out = new Map<Venue, string>();
  for (const item of raw.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const bad = (why: string) => new ConfigError(`${setting.perVenue}=${raw}: "${item}" ${why}`);
    if (eq <= 0) throw bad('is not venue=endpoint');
    const venue = item.slice(0, eq).trim();
    if (!(VENUES as readonly string[]).includes(venue)) {
      throw bad(`names venue "${venue}"; expected one of ${VENUES.join(', ')}`);
    }
    if (out.has(venue as Venue)) throw bad(`repeats venue "${venue}"`);
    out.set(venue as Venue, setting.check(item.slice(eq + 1).trim(), `${setting.perVenue}=${raw}: "${item}"`));
  }
  return out;
}

// ZeroMQ parses an endpoint fully at connect (a failure there is a ConfigError naming the variable
// too); this only catches what is plainly not an endpoint, e.g. a URL pasted into the wrong variable.
const ZMQ_ENDPOINT = /^(tcp|ipc|inproc):\/\/\S+$/;

/** `what` names the value in errors, e.g. `MD_ZMQ_ENDPOINT=x` or `MD_ZMQ_ENDPOINTS=…: "okx=x"`. */
function checkZmq(raw: string, what: string): string {
  if (!ZMQ_ENDPOINT.test(raw)) throw new ConfigError(`${what}: expected a ZeroMQ endpoint like tcp://host:5555`);
  return raw;
}

function checkUrl(raw: string, what: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${what}: expected an http:// URL`);
  }
  if (url.protocol !== 'http:') throw new ConfigError(`${what}: expected an http:// URL`);
  return raw.replace(/\/+$/, '');
}
