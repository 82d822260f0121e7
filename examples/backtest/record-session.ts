import { setTimeout as sleep } from 'node:timers/promises';
import { readExchangeConfig } from '../fixtures/exchange/config.js';
import { startExchange } from '../fixtures/exchange/service.js';
import { readMarketDataConfig } from '../market-data/config.js';
import type { SqlClient } from '../market-data/database.js';
import { startMarketData } from '../market-data/service.js';
import type { TickCounts } from '../market-data/tick-store.js';
import type { Logger } from '../shared/logger.js';

// A fresh machine has no ticks: record a short session first. The simulated exchange and the
// market-data service run in this process, on ephemeral ports on 127.0.0.1, market-data writing
// into the backtest's own database client (a PGlite data directory admits one process, and one
// client, at a time); then both stop, market-data flushing what it buffered.

/** Options of {@link recordSession}. */
export interface RecordOptions {
  /** The store to write into; left open (the backtest reads it next). */
  readonly database: SqlClient;
  /** How long to record, seconds. */
  readonly seconds: number;
  /** The environment, for the services' own variables (EXCHANGE_TICK_MS, EXCHANGE_SEED, MD_SYMBOLS…). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
}

/**
 * Records ticks from the simulated exchange into the store for `seconds`, then stops both services.
 *
 * @param options - the store, the duration, the environment and a logger
 * @returns where the ticks market-data received went (`written` is what the store gained)
 * @throws ConfigError for a service variable that does not parse; the start error of either service
 * @example
 * ```ts
 * const counts = await recordSession({ database: db, seconds: 5, env: process.env, logger });
 * ```
 */
export async function recordSession(options: RecordOptions): Promise<TickCounts> {
  const { env, logger } = options;
  const exchange = await startExchange({ ...readExchangeConfig(env), host: '127.0.0.1', port: 0 }, { logger });
  try {
    const config = readMarketDataConfig({
      ...env,
      // The feeds and the replay of missed messages from this exchange, whatever the environment says.
      EXCHANGE_URL: exchange.url,
      EXCHANGE_WS_URL: exchange.wsUrl,
      // Written straight into the backtest's store: no spool (nor a running market data's).
      MD_SPOOL_DIR: '',
      MD_ZMQ_ENDPOINT: 'tcp://127.0.0.1:*',
      METRICS_HOST: '127.0.0.1',
      MD_METRICS_PORT: '0',
      // On this thread: a few seconds of recording need no feed threads, and the logger stays here.
      MD_FEED_THREADS: '0',
    });
    // market-data closes its database on close(); this one is the backtest's, so it stays open.
    const database: SqlClient = { ...options.database, close: async () => {} };
    const md = await startMarketData(config, { database, logger });
    await sleep(options.seconds * 1000);
    // Resolves once the buffer is flushed (bounded by DB_SHUTDOWN_FLUSH_MS).
    return await md.close();
  } finally {
    await exchange.close();
  }
}
