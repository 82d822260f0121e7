import { ConfigError } from '../shared/config.js';
import { exitOnCrash } from '../shared/crash-policy.js';
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

let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
exitOnCrash({ logger: log, close: () => gateway?.close() });

try {
  const running = await startGateway(config, { logger: log });
  gateway = running;
  console.log(`gateway: metrics at ${running.metricsUrl}/metrics${describeMetricsSecurity(config.metricsSecurity)}`);
  console.log(`gateway: orders at ${running.orderUrl}/orders`);
  console.log(`gateway: fills on ${running.zmqEndpoint}`);
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    try {
      await running.close();
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
