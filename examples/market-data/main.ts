import { ConfigError } from '../shared/config.js';
import { exitOnCrash } from '../shared/crash-policy.js';
import { createLogger } from '../shared/logger.js';
import { describeMetricsSecurity } from '../shared/metrics-security.js';
import { readMarketDataConfig } from './config.js';
import { type MarketDataHandle, startMarketData } from './service.js';

// `tsx examples/market-data/main.ts`: the market-data service alone. Configuration from the
// environment (see config.ts and examples/README.md); SIGTERM or SIGINT flushes the tick buffer,
// closes everything and exits 0.

const logger = createLogger('market-data');

let config: ReturnType<typeof readMarketDataConfig>;
try {
  config = readMarketDataConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`market-data: ${error.message}`);
  process.exit(2);
}

let service: MarketDataHandle | undefined;
let stopping = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  // The flush is bounded by DB_SHUTDOWN_FLUSH_MS; this guard covers anything else that hangs.
  const guard = setTimeout(() => {
    logger.error({ signal }, 'market-data: shutdown timed out; exiting');
    process.exit(1);
  }, config.db.shutdownFlushMs + 5_000);
  guard.unref();
  const final = await service?.close();
  logger.info({ signal, ...final }, 'market-data: stopped');
  console.log(
    `market-data: stopped on ${signal} (received ${final?.received ?? 0}, written ${final?.written ?? 0}, ` +
      `dropped ${final?.dropped ?? 0}, buffered ${final?.buffered ?? 0}, deleted by retention ${final?.retentionDeleted ?? 0})`,
  );
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
exitOnCrash({ logger, close: () => service?.close() });

try {
  service = await startMarketData(config, { logger });
  console.log(
    `market-data: metrics at ${service.metricsUrl}/metrics${describeMetricsSecurity(config.metricsSecurity)}`,
  );
  console.log(`market-data: ticks on ${service.zmqEndpoint} (topics tick.{exchange}.{symbol})`);
} catch (error) {
  logger.error({ err: error }, 'market-data: could not start');
  process.exit(1);
}
