import { ConfigError } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { describeMetricsSecurity } from '../shared/metrics-security.js';
import { readGatewayConfig } from './config.js';
import { startGateway } from './service.js';

// `npx tsx examples/gateway/main.ts`: the order gateway alone. Configuration from the environment
// (see config.ts); SIGTERM or SIGINT drains in-flight orders, closes every socket and exits 0.

const log = createLogger('gateway');

let config: ReturnType<typeof readGatewayConfig>;
try {
  config = readGatewayConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`gateway: ${error.message}`);
  process.exit(2);
}

// A bug in a handler must not take the process down silently, nor leave it running half-broken
// without a trace: log it; peers' bad input never gets this far (it is counted where it arrives).
process.on('uncaughtException', (error) => log.error({ err: error }, 'uncaught exception'));
process.on('unhandledRejection', (error) => log.error({ err: error }, 'unhandled rejection'));

try {
  const gateway = await startGateway(config, { logger: log });
  console.log(`gateway: metrics at ${gateway.metricsUrl}/metrics${describeMetricsSecurity(config.metricsSecurity)}`);
  console.log(`gateway: orders at ${gateway.orderUrl}/orders`);
  console.log(`gateway: fills on ${gateway.zmqEndpoint}`);
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    try {
      await gateway.close();
    } catch (error) {
      log.error({ err: error }, 'error while stopping');
    }
    console.log(`gateway: stopped on ${signal}`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
} catch (error) {
  log.error({ err: error }, 'could not start');
  console.error(`gateway: could not start: ${(error as Error).message}`);
  process.exit(1);
}
