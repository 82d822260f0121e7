import {
  createMetricsServer,
  EngineMetrics,
  GatewayMetrics,
  MarketDataMetrics,
  type MetricsServer,
  StrategyMetrics,
} from '@ttquant/metrics';
import { startSimulation } from './services.js';

// `npm run demo`: the three TTQuant services' metrics on the seed's ports, with synthetic activity.
// Ports and host come from the environment; port 0 picks a free port (tests use that).

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    console.error(`demo: ${name}=${raw} is not a port number (0-65535)`);
    process.exit(2);
  }
  return value;
}

const host = process.env.METRICS_HOST || '127.0.0.1';
const md = new MarketDataMetrics();
const gw = new GatewayMetrics();
const strategy = new StrategyMetrics();
const engine = new EngineMetrics();

const servers: MetricsServer[] = [
  createMetricsServer({ service: 'market-data', sources: [md], host, port: port('MD_METRICS_PORT', 8080) }),
  createMetricsServer({ service: 'gateway', sources: [gw], host, port: port('GATEWAY_METRICS_PORT', 8081) }),
  createMetricsServer({
    service: 'strategy-engine',
    sources: [strategy, engine],
    host,
    port: port('ENGINE_METRICS_PORT', 8000),
  }),
];

const stop = startSimulation({ md, gw, strategy, engine }, Number(process.env.DEMO_SEED ?? 42));
let stopping = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  stop();
  await Promise.all(servers.map((s) => s.close()));
  console.log(`demo: stopped on ${signal}`);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  const names = ['market-data', 'gateway', 'strategy-engine'];
  const addresses = await Promise.all(servers.map((s) => s.listen()));
  for (const [i, a] of addresses.entries()) {
    console.log(`demo: ${names[i]} metrics at ${a.url}/metrics (health: ${a.url}/health)`);
  }
  console.log('demo: press Ctrl-C to stop');
} catch (error) {
  console.error(`demo: could not start: ${(error as Error).message}`);
  stop();
  await Promise.all(servers.map((s) => s.close()));
  process.exit(1);
}
