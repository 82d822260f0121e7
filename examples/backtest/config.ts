import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultTickDataDir } from '../market-data/config.js';
import { ConfigError, envInteger, envNumber, envString } from '../shared/config.js';
import { VENUES } from '../shared/protocol.js';
import type { StrategySpec } from '../strategy-engine/config.js';
import { DEFAULT_STRATEGIES, type EngineConfig, parseStrategies, readEngineConfig } from '../strategy-engine/config.js';

// The backtest's environment. Every variable has a default (examples/README.md lists them); a value
// that does not parse is a ConfigError naming it (main exits 2). The strategy tunables are the live
// engine's own ENGINE_* variables, read by the engine's reader, so a backtest runs the strategies
// exactly as configured for live trading.

/** The engine settings a replay uses: signal tunables, position limit, pacing and Sharpe sampling. */
export type ReplayEngineSettings = Pick<
  EngineConfig,
  'params' | 'maxPositionLots' | 'capitalUsd' | 'sharpePeriodMs' | 'sharpePeriodsPerYear' | 'orderCooldownMs'
>;

/** The backtest's configuration. */
export interface BacktestConfig {
  /** Base URL of the Pushgateway (PUSHGATEWAY_URL). */
  readonly pushgatewayUrl: string;
  /** A PostgreSQL server holding the ticks (DATABASE_URL); unset: the PGlite data directory. */
  readonly databaseUrl: string | undefined;
  /**
   * PGlite data directories, read as one store (BACKTEST_DATA_DIR, comma-separated; default
   * {@link defaultDataDirs}); the first is where a session is recorded when they hold no tick.
   * Ignored when `databaseUrl` is set.
   */
  readonly dataDirs: readonly string[];
  /** The strategy instances (BACKTEST_STRATEGIES, the ENGINE_STRATEGIES format). */
  readonly strategies: readonly StrategySpec[];
  /** Tunables and limits from the engine's ENGINE_* variables. */
  readonly engine: ReplayEngineSettings;
  /** The `run_id` grouping label of the pushed metrics (BACKTEST_RUN_ID). */
  readonly runId: string;
  /** How long to record from the simulated exchange when the store holds no tick (BACKTEST_RECORD_SECONDS). */
  readonly recordSeconds: number;
  /** Push a checkpoint every this many ticks (BACKTEST_CHECKPOINT_TICKS). */
  readonly checkpointTicks: number;
  /** Ticks read per query (BACKTEST_PAGE_SIZE). */
  readonly pageSize: number;
  /** Fee of a simulated fill, basis points of notional (BACKTEST_FEE_BPS). */
  readonly feeBps: number;
  /** HTTP timeout of one push, ms (BACKTEST_PUSH_TIMEOUT_MS). */
  readonly pushTimeoutMs: number;
  /** Replay with a no-op StrategyMetrics and push nothing (BACKTEST_NOOP=1). */
  readonly noop: boolean;
}

/** Where the backtest records a session of its own when no market data has stored ticks (git-ignored). */
export const RECORDING_DATA_DIR = fileURLToPath(new URL('../../.data/backtest/ticks', import.meta.url));

/**
 * Default BACKTEST_DATA_DIR: the tick stores market data keeps by default (a folder per process:
 * per venue in the demo, or all venues in one) that exist; none: {@link RECORDING_DATA_DIR}.
 *
 * @returns the folders
 */
export function defaultDataDirs(): string[] {
  const candidates = [...VENUES.map((venue) => defaultTickDataDir([venue])), defaultTickDataDir(VENUES)];
  const found = candidates.filter((dir) => existsSync(dir));
  return found.length > 0 ? found : [RECORDING_DATA_DIR];
}

/** Default Pushgateway: Debian's prometheus-pushgateway on its upstream port. */
export const DEFAULT_PUSHGATEWAY_URL = 'http://127.0.0.1:9091';

// A run id is a label value and part of the gateway's URL: kept to characters that need no escaping
// anywhere (PromQL, URLs, file names), so a query can be typed as the CLI prints it.
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the backtest's configuration from the environment.
 *
 * @param env - the environment (default `process.env`)
 * @returns the typed configuration
 * @throws ConfigError naming the first variable that does not parse
 * @example
 * ```ts
 * const config = readBacktestConfig({ PUSHGATEWAY_URL: 'http://127.0.0.1:9091', BACKTEST_RUN_ID: 'nightly-1' });
 * ```
 */
export function readBacktestConfig(env: Env = process.env): BacktestConfig {
  const engine = readEngineConfig(env);
  const runId = envString(env, 'BACKTEST_RUN_ID', '') || defaultRunId();
  if (!RUN_ID.test(runId)) {
    throw new ConfigError(
      `BACKTEST_RUN_ID=${runId}: expected 1 to 128 letters, digits, '_', '.', ':' or '-', starting with a letter or digit`,
    );
  }
  const noop = envString(env, 'BACKTEST_NOOP', '0');
  if (noop !== '0' && noop !== '1') throw new ConfigError(`BACKTEST_NOOP=${noop}: expected 0 or 1`);
  return {
    pushgatewayUrl: httpUrl(env, 'PUSHGATEWAY_URL', DEFAULT_PUSHGATEWAY_URL),
    databaseUrl: databaseUrl(env),
    dataDirs: dataDirList(env),
    strategies: parseBacktestStrategies(envString(env, 'BACKTEST_STRATEGIES', DEFAULT_STRATEGIES)),
    engine: {
      params: engine.params,
      maxPositionLots: engine.maxPositionLots,
      capitalUsd: engine.capitalUsd,
      sharpePeriodMs: engine.sharpePeriodMs,
      sharpePeriodsPerYear: engine.sharpePeriodsPerYear,
      orderCooldownMs: engine.orderCooldownMs,
    },
    runId,
    recordSeconds: envNumber(env, 'BACKTEST_RECORD_SECONDS', 5, 0.5, 3_600),
    checkpointTicks: envInteger(env, 'BACKTEST_CHECKPOINT_TICKS', 10_000, 1, 1_000_000_000),
    // Each query scans every stored row to find its page: fewer, larger pages read faster.
    pageSize: envInteger(env, 'BACKTEST_PAGE_SIZE', 50_000, 1, 1_000_000),
    feeBps: envNumber(env, 'BACKTEST_FEE_BPS', 4, 0, 1_000),
    pushTimeoutMs: envInteger(env, 'BACKTEST_PUSH_TIMEOUT_MS', 5_000, 1, 600_000),
    noop: noop === '1',
  };
}

// parseStrategies names ENGINE_STRATEGIES in its errors; here the variable is BACKTEST_STRATEGIES.
function parseBacktestStrategies(raw: string): StrategySpec[] {
  try {
    return parseStrategies(raw);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new ConfigError(error.message.replace(/^ENGINE_STRATEGIES=/, 'BACKTEST_STRATEGIES='));
    }
    throw error;
  }
}

/** `bt-<UTC time>-<4 hex>`: sorts by start time, and two runs started in the same second differ. */
function defaultRunId(): string {
  const time = new Date()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `bt-${time}-${randomBytes(2).toString('hex')}`;
}

function httpUrl(env: Env, name: string, fallback: string): string {
  const raw = envString(env, name, fallback);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name}=${raw}: not a URL; expected e.g. ${fallback}`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new ConfigError(`${name}=${raw}: expected an http:// or https:// URL without a query, e.g. ${fallback}`);
  }
  return raw.replace(/\/+$/, '');
}

function databaseUrl(env: Env): string | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw))
    throw new ConfigError('DATABASE_URL: expected postgres://user:pass@host:port/db');
  return raw;
}

function dataDirList(env: Env): string[] {
  const raw = envString(env, 'BACKTEST_DATA_DIR', '');
  if (raw === '') return defaultDataDirs();
  const dirs = raw.split(',').map((d) => d.trim());
  if (dirs.some((d) => d === '')) throw new ConfigError(`BACKTEST_DATA_DIR=${raw}: an empty folder in the list`);
  if (new Set(dirs).size !== dirs.length) throw new ConfigError(`BACKTEST_DATA_DIR=${raw}: a folder named twice`);
  return dirs;
}
