import { ConfigError } from '../shared/config.js';
import { exitOnCrash } from '../shared/crash-policy.js';
import { createLogger } from '../shared/logger.js';
import { describeMetricsSecurity } from '../shared/metrics-security.js';
import { readEngineConfig } from './config.js';
import { type StrategyEngine, startStrategyEngine } from './service.js';

// `npx tsx examples/strategy-engine/main.ts`: the strategy engine alone. Configuration from the
// environment (examples/README.md); a bad value exits 2, SIGTERM or SIGINT closes everything and
// exits 0.

const log = createLogger('strategy-engine');

let config: ReturnType<typeof readEngineConfig>;
try {
  config = readEngineConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`strategy-engine: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

let engine: StrategyEngine | undefined;
let stopping = false;

async function shutdown(signal: string, code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  try {
    await engine?.close();
  } catch (error) {
    log.error({ err: error }, 'error while closing');
    code = code === 0 ? 1 : code;
  }
  process.exit(code);
}

process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
process.on('SIGINT', () => void shutdown('SIGINT', 0));
exitOnCrash({ logger: log, close: () => engine?.close() });

try {
  engine = await startStrategyEngine(config, { logger: log });
  console.log(
    `strategy-engine: metrics at ${engine.metrics.url}/metrics${describeMetricsSecurity(config.metricsSecurity)}`,
  );
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`strategy-engine: ${error.message}`);
    process.exit(2);
  }
  log.error({ err: error }, 'could not start');
  process.exit(1);
}
