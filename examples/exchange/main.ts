import { ConfigError } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { readExchangeConfig } from './config.js';
import { startExchange } from './service.js';

// `npx tsx examples/exchange/main.ts`: the simulated exchange alone (binance and okx on one port).
// Prints `exchange: listening at http://HOST:PORT` once it listens; SIGINT/SIGTERM close it, exit 0.

const log = createLogger('exchange');

let config: ReturnType<typeof readExchangeConfig>;
try {
  config = readExchangeConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`exchange: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

// A bug in a handler must not take the venue down mid-run: log it and keep serving.
process.on('uncaughtException', (error) => log.error({ err: error }, 'uncaught exception'));
process.on('unhandledRejection', (error) => log.error({ err: error }, 'unhandled rejection'));

try {
  const exchange = await startExchange(config, { logger: log });
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await exchange.close();
    log.info({ signal }, 'stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  log.info({ url: exchange.url, tickMs: config.tickMs, faults: config.faults }, 'listening');
  console.log(`exchange: listening at ${exchange.url}`);
} catch (error) {
  log.error({ err: error }, 'could not start');
  console.error(`exchange: could not start: ${(error as Error).message}`);
  process.exit(1);
}
