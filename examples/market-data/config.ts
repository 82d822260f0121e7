import { fileURLToPath } from 'node:url';
import { ConfigError, envInteger, envList, envNumber, envPort, envString } from '../shared/config.js';
import { type MetricsSecurity, readMetricsSecurity } from '../shared/metrics-security.js';
import { DEFAULTS } from '../shared/ports.js';
import { SYMBOLS, VENUES, type Venue } from '../shared/protocol.js';
import { DEFAULT_SHARED_BUFFERS_MB } from './database.js';

// The market-data service's environment. Every variable has a default; a value that does not parse
// throws ConfigError naming the variable (main.ts prints it and exits 2).

/** How the service connects to the venues' WebSocket feeds. */
export interface FeedConfig {
  /** One feed per venue: `${wsBaseUrl}/ws/{venue}`. */
  readonly exchanges: readonly Venue[];
  /** Base URL of the exchange's WebSocket server, without a trailing slash (`ws://127.0.0.1:9400`). */
  readonly wsBaseUrl: string;
  /** Base URL of the exchange's HTTP API, where missed messages are replayed (`http://127.0.0.1:9400`). */
  readonly replayBaseUrl: string;
  /** Accepted symbols; `'*'` accepts any well-formed symbol (up to {@link MAX_DYNAMIC_SYMBOLS} per venue). */
  readonly symbols: readonly string[] | '*';
  /** First reconnect delay; doubles per failed attempt up to `reconnectMaxMs`, with jitter. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** A connection with no message or pong for this long is dropped and reconnected; 0 turns it off. */
  readonly staleMs: number;
  /** Frames above this many bytes are counted as `invalid_json` without being parsed. */
  readonly maxFrameBytes: number;
  /**
   * Parse each venue's feed in a worker thread of its own, recording into the shared catalog, and
   * serve `/metrics` from a worker thread too (MD_FEED_THREADS=1, the default); 0 runs everything
   * on the service's thread.
   */
  readonly threads: boolean;
}

/** Where ticks are stored and how they are batched. */
export interface DatabaseConfig {
  /** A PostgreSQL server (`postgres://…`); when unset, an embedded PGlite. */
  readonly url: string | undefined;
  /**
   * PGlite data directory (DB_DATA_DIR, default {@link defaultTickDataDir}); undefined
   * (DB_DATA_DIR=memory) keeps the ticks in memory, gone with the process. Ignored when `url` is set.
   */
  readonly dataDir: string | undefined;
  /** PGlite's shared buffers, MB (DB_PGLITE_SHARED_BUFFERS_MB, default 16): most of its resident memory. */
  readonly sharedBuffersMb: number;
  /** What the store keeps: see tick-retention.ts. */
  readonly retention: RetentionConfig;
  readonly batchSize: number;
  readonly flushMs: number;
  /** Rows held in memory while the database is down; beyond this, new ticks are dropped and counted. */
  readonly bufferMax: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** Server-side statement timeout for a batch (PostgreSQL only). */
  readonly writeTimeoutMs: number;
  /** On shutdown, how long to keep trying to write what is buffered. */
  readonly shutdownFlushMs: number;
  /** Simulated outage: writes fail with a connection error from `faultAtMs` after start for `faultForMs`. */
  readonly faultAtMs: number;
  readonly faultForMs: number;
  /**
   * Write-ahead spool of buffered ticks and the feeds' checkpoints (MD_SPOOL_DIR); undefined
   * (MD_SPOOL_DIR='') keeps them in memory only, and a killed process then resumes from live data.
   */
  readonly spoolDir: string | undefined;
  /** How often each venue's resume point is written beside the spool, ms. */
  readonly checkpointMs: number;
}

/** How long and how much the tick store keeps (this process's venues). */
export interface RetentionConfig {
  /** Ticks older than this are deleted (DB_RETENTION_HOURS); 0 keeps any age. */
  readonly maxAgeMs: number;
  /** This process's share of the tick tables (DB_RETENTION_MAX_MB); past it the oldest go; 0: no bound. */
  readonly maxBytes: number;
  /** How often retention runs (DB_RETENTION_EVERY_MS). */
  readonly everyMs: number;
  /** Rows per DELETE statement (DB_RETENTION_BATCH). */
  readonly batchRows: number;
}

/**
 * Default DB_DATA_DIR: `.data/market-data/ticks-{venues}` at the repository's root (git-ignored), a
 * folder per set of venues, since a PGlite folder admits one process at a time.
 *
 * @param exchanges - the process's venues
 * @returns the folder
 */
export function defaultTickDataDir(exchanges: readonly Venue[]): string {
  return fileURLToPath(new URL(`../../.data/market-data/ticks-${exchanges.join('-')}`, import.meta.url));
}

/** Default MD_SPOOL_DIR: `.data/market-data/spool` at the repository's root (git-ignored). */
export const DEFAULT_SPOOL_DIR = fileURLToPath(new URL('../../.data/market-data/spool', import.meta.url));

/** The market-data service's configuration. */
export interface MarketDataConfig {
  readonly feed: FeedConfig;
  readonly db: DatabaseConfig;
  /** ZeroMQ PUB endpoint the service binds (`tcp://127.0.0.1:*` picks a free port). */
  readonly zmqEndpoint: string;
  /** ZeroMQ send high-water mark per subscriber; past it, PUB drops for that subscriber. */
  readonly zmqSendHighWaterMark: number;
  readonly metricsHost: string;
  /** Metrics port; 0 picks a free port. */
  readonly metricsPort: number;
  /** Auth and TLS of `/metrics` (METRICS_BEARER_TOKEN_FILE, METRICS_BASIC_*, METRICS_TLS_*); `{}`: open, plain HTTP. */
  readonly metricsSecurity: MetricsSecurity;
}

/** Cap on symbols learnt at run time per venue when `MD_SYMBOLS=*`, so a hostile feed cannot grow memory. */
export const MAX_DYNAMIC_SYMBOLS = 1_000;

/** Largest frame parsed by default (a real tick is ~150 bytes). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

/**
 * Reads the market-data configuration from the environment.
 *
 * @param env - the environment (default `process.env`)
 * @returns the typed configuration
 * @throws ConfigError naming the first variable that does not parse
 * @example
 * ```ts
 * const config = readMarketDataConfig({ EXCHANGES: 'binance', MD_METRICS_PORT: '0' });
 * ```
 */
export function readMarketDataConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): MarketDataConfig {
  const exchanges = envList(env, 'EXCHANGES', VENUES, VENUES);
  if (exchanges.length === 0) throw new ConfigError('EXCHANGES: name at least one venue');
  const reconnectMinMs = envNumber(env, 'MD_RECONNECT_MIN_MS', 100, 1, 600_000);
  const reconnectMaxMs = envNumber(env, 'MD_RECONNECT_MAX_MS', 5_000, 1, 600_000);
  if (reconnectMaxMs < reconnectMinMs) {
    throw new ConfigError(`MD_RECONNECT_MAX_MS=${reconnectMaxMs}: must be >= MD_RECONNECT_MIN_MS (${reconnectMinMs})`);
  }
  const retryMinMs = envNumber(env, 'DB_RETRY_MIN_MS', 100, 1, 600_000);
  const retryMaxMs = envNumber(env, 'DB_RETRY_MAX_MS', 5_000, 1, 600_000);
  if (retryMaxMs < retryMinMs) {
    throw new ConfigError(`DB_RETRY_MAX_MS=${retryMaxMs}: must be >= DB_RETRY_MIN_MS (${retryMinMs})`);
  }
  return {
    feed: {
      exchanges,
      wsBaseUrl: wsBaseUrl(env),
      replayBaseUrl: replayBaseUrl(env),
      symbols: symbolList(env),
      reconnectMinMs,
      reconnectMaxMs,
      staleMs: envNumber(env, 'MD_STALE_MS', 15_000, 0, 3_600_000),
      maxFrameBytes: envInteger(env, 'MD_MAX_FRAME_BYTES', DEFAULT_MAX_FRAME_BYTES, 256, 16 * 1024 * 1024),
      threads: envInteger(env, 'MD_FEED_THREADS', 1, 0, 1) === 1,
    },
    db: {
      url: databaseUrl(env),
      dataDir:
        env.DB_DATA_DIR === undefined
          ? defaultTickDataDir(exchanges)
          : env.DB_DATA_DIR === '' || env.DB_DATA_DIR === 'memory'
            ? undefined
            : env.DB_DATA_DIR,
      sharedBuffersMb: envInteger(env, 'DB_PGLITE_SHARED_BUFFERS_MB', DEFAULT_SHARED_BUFFERS_MB, 1, 1_024),
      // A week of the demo's 150 ticks/s per venue would be ~2.5 GB a day per process: a day, and at
      // most 1 GiB per process, keeps a demo left running for a week inside a laptop's disk.
      retention: {
        maxAgeMs: envNumber(env, 'DB_RETENTION_HOURS', 24, 0, 24 * 365 * 10) * 3_600_000,
        maxBytes: envNumber(env, 'DB_RETENTION_MAX_MB', 1_024, 0, 16 * 1024 * 1024) * 1024 * 1024,
        everyMs: envNumber(env, 'DB_RETENTION_EVERY_MS', 60_000, 100, 86_400_000),
        batchRows: envInteger(env, 'DB_RETENTION_BATCH', 20_000, 1, 10_000_000),
      },
      batchSize: envInteger(env, 'DB_BATCH_SIZE', 500, 1, 100_000),
      flushMs: envNumber(env, 'DB_FLUSH_MS', 250, 1, 600_000),
      bufferMax: envInteger(env, 'DB_BUFFER_MAX', 50_000, 1, 10_000_000),
      retryMinMs,
      retryMaxMs,
      writeTimeoutMs: envNumber(env, 'DB_WRITE_TIMEOUT_MS', 5_000, 1, 600_000),
      shutdownFlushMs: envNumber(env, 'DB_SHUTDOWN_FLUSH_MS', 5_000, 0, 600_000),
      faultAtMs: envNumber(env, 'DB_FAULT_AT_MS', 0, 0),
      faultForMs: envNumber(env, 'DB_FAULT_FOR_MS', 0, 0),
      spoolDir:
        env.MD_SPOOL_DIR === undefined ? DEFAULT_SPOOL_DIR : env.MD_SPOOL_DIR === '' ? undefined : env.MD_SPOOL_DIR,
      checkpointMs: envNumber(env, 'MD_CHECKPOINT_MS', 1_000, 10, 600_000),
    },
    zmqEndpoint: zmqEndpoint(env),
    zmqSendHighWaterMark: envInteger(env, 'MD_ZMQ_SNDHWM', 10_000, 1, 10_000_000),
    metricsHost: envString(env, 'METRICS_HOST', DEFAULTS.metricsHost),
    metricsPort: envPort(env, 'MD_METRICS_PORT', DEFAULTS.mdMetricsPort),
    metricsSecurity: readMetricsSecurity(env),
  };
}

/** EXCHANGE_URL (http or https), else EXCHANGE_WS_URL with ws(s) turned into http(s). */
function replayBaseUrl(env: Readonly<Record<string, string | undefined>>): string {
  const explicit = env.EXCHANGE_URL;
  const name = explicit !== undefined && explicit !== '' ? 'EXCHANGE_URL' : 'EXCHANGE_WS_URL';
  const raw = name === 'EXCHANGE_URL' ? (explicit as string) : envString(env, 'EXCHANGE_WS_URL', DEFAULTS.exchangeUrl);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name}=${raw}: not a URL`);
  }
  const scheme = { 'ws:': 'http:', 'wss:': 'https:', 'http:': 'http:', 'https:': 'https:' }[url.protocol];
  if (scheme === undefined) throw new ConfigError(`${name}=${raw}: expected ws://, wss://, http:// or https://`);
  url.protocol = scheme;
  return url.toString().replace(/\/+$/, '');
}

/** EXCHANGE_WS_URL, else EXCHANGE_URL with http(s) turned into ws(s). */
function wsBaseUrl(env: Readonly<Record<string, string | undefined>>): string {
  const explicit = env.EXCHANGE_WS_URL;
  const name = explicit !== undefined && explicit !== '' ? 'EXCHANGE_WS_URL' : 'EXCHANGE_URL';
  const raw = name === 'EXCHANGE_WS_URL' ? (explicit as string) : envString(env, 'EXCHANGE_URL', DEFAULTS.exchangeUrl);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name}=${raw}: not a URL`);
  }
  const scheme = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' }[url.protocol];
  if (scheme === undefined) throw new ConfigError(`${name}=${raw}: expected ws://, wss://, http:// or https://`);
  url.protocol = scheme;
  return url.toString().replace(/\/+$/, '');
}

function symbolList(env: Readonly<Record<string, string | undefined>>): readonly string[] | '*' {
  const raw = envString(env, 'MD_SYMBOLS', SYMBOLS.join(','));
  if (raw.trim() === '*') return '*';
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) {
    if (!SYMBOL_PATTERN.test(item)) throw new ConfigError(`MD_SYMBOLS=${raw}: "${item}" is not a symbol`);
  }
  if (items.length === 0) throw new ConfigError(`MD_SYMBOLS=${raw}: name at least one symbol, or *`);
  return items;
}

function databaseUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const raw = env.DATABASE_URL;
  if (raw === undefined || raw === '') return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw))
    throw new ConfigError('DATABASE_URL: expected postgres://user:pass@host:port/db');
  return raw;
}

function zmqEndpoint(env: Readonly<Record<string, string | undefined>>): string {
  const raw = envString(env, 'MD_ZMQ_ENDPOINT', DEFAULTS.mdZmqEndpoint);
  if (!/^(tcp|ipc|inproc):\/\/\S+$/.test(raw))
    throw new ConfigError(`MD_ZMQ_ENDPOINT=${raw}: expected tcp://host:port`);
  return raw;
}

/** A venue symbol as the parser accepts it: letters, digits, `-`, `_`, `/`; at most 32 characters. */
export const SYMBOL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_/-]{0,31}$/;
