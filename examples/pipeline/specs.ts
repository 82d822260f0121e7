import { fileURLToPath } from 'node:url';
// The kit's net module alone: `npm run demo` loads this file, and it must not pull in vitest.
import { freePort } from '@ttquant/test-kit/net';
import type { ServiceSpec } from './process-tree.js';

// The four processes of the pipeline, in start order, and the settings the end-to-end tests run
// them with. `main.ts` (npm run demo) and the tests in examples/ and monitoring/ all start them from
// here, so an entry point or a ready line is written once.

/** The processes, in the order they start (each consumer after what it consumes). */
export const SERVICE_NAMES = ['exchange', 'market-data', 'gateway', 'strategy-engine'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const entry = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

const BASE: Readonly<Record<ServiceName, Omit<ServiceSpec, 'env'>>> = {
  exchange: { name: 'exchange', entry: entry('../fixtures/exchange/main.ts'), ready: /exchange: listening at (\S+)/ },
  'market-data': {
    name: 'market-data',
    entry: entry('../market-data/main.ts'),
    ready: /market-data: metrics at (\S+)\/metrics/,
  },
  gateway: { name: 'gateway', entry: entry('../gateway/main.ts'), ready: /gateway: metrics at (\S+)\/metrics/ },
  'strategy-engine': {
    name: 'strategy-engine',
    entry: entry('../strategy-engine/main.ts'),
    ready: /strategy-engine: metrics at (\S+)\/metrics/,
  },
};

/** Every port the pipeline listens on or binds. */
export interface PipelinePorts {
  readonly exchange: number;
  readonly marketData: number;
  readonly gateway: number;
  readonly gatewayOrders: number;
  readonly strategyEngine: number;
  readonly mdZmq: number;
  readonly gatewayZmq: number;
}

/** Free ports for one pipeline on 127.0.0.1 (tests). */
export async function freePipelinePorts(): Promise<PipelinePorts> {
  const [exchange, marketData, gateway, gatewayOrders, strategyEngine, mdZmq, gatewayZmq] = (await Promise.all(
    Array.from({ length: 7 }, freePort),
  )) as [number, number, number, number, number, number, number];
  return { exchange, marketData, gateway, gatewayOrders, strategyEngine, mdZmq, gatewayZmq };
}

/**
 * Fault knobs and fast settings under which every catalog metric moves within seconds:
 * forced feed drops, malformed messages, 429/503 answers and latency spikes at the exchange, a
 * database outage 2 s in, tight risk limits, few retries, and quick strategies with 1-second Sharpe
 * periods. Used by the end-to-end tests.
 */
export const ALL_FAULTS: Readonly<Record<ServiceName, Readonly<Record<string, string>>>> = {
  exchange: {
    EXCHANGE_DROP_EVERY_MS: '3000',
    EXCHANGE_MALFORMED_FRACTION: '0.03',
    EXCHANGE_RATE_LIMIT_FRACTION: '0.15',
    EXCHANGE_ERROR_FRACTION: '0.35',
    EXCHANGE_LATENCY_SPIKE_FRACTION: '0.01',
  },
  'market-data': { DB_FAULT_AT_MS: '2000', DB_FAULT_FOR_MS: '2500', DB_FLUSH_MS: '100' },
  gateway: {
    RISK_MAX_ORDERS_PER_SEC: '3',
    RISK_ORDER_BURST: '2',
    RISK_MAX_POSITION_USD: '1500',
    GATEWAY_MAX_RETRIES: '2',
    GATEWAY_RETRY_BASE_MS: '10',
  },
  'strategy-engine': {
    ENGINE_ORDER_COOLDOWN_MS: '100',
    ENGINE_REJECT_COOLDOWN_MS: '200',
    ENGINE_SHARPE_PERIOD_MS: '1000',
    ENGINE_SHARPE_PERIODS_PER_YEAR: '252',
    ENGINE_MA_FAST: '3',
    ENGINE_MA_SLOW: '8',
    ENGINE_MR_WINDOW: '10',
    ENGINE_MR_ENTRY_Z: '1',
  },
};

/**
 * The four service specs. Without `ports`, each service reads its addresses from the inherited
 * environment (the demo); with them, every address is set explicitly (tests on free ports).
 *
 * @param ports - where everything listens, or undefined for the services' own defaults
 * @param extra - more environment per service (e.g. {@link ALL_FAULTS})
 */
export function pipelineSpecs(
  ports?: PipelinePorts,
  extra: Partial<Record<ServiceName, Readonly<Record<string, string>>>> = {},
): ServiceSpec[] {
  const common: Record<string, string> =
    ports === undefined
      ? {}
      : {
          METRICS_HOST: '127.0.0.1',
          EXCHANGE_URL: `http://127.0.0.1:${ports.exchange}`,
          MD_ZMQ_ENDPOINT: `tcp://127.0.0.1:${ports.mdZmq}`,
          GATEWAY_ZMQ_ENDPOINT: `tcp://127.0.0.1:${ports.gatewayZmq}`,
          GATEWAY_URL: `http://127.0.0.1:${ports.gatewayOrders}`,
        };
  const own: Record<ServiceName, Record<string, string>> = ports === undefined
    ? { exchange: {}, 'market-data': {}, gateway: {}, 'strategy-engine': {} }
    : {
        exchange: { EXCHANGE_PORT: String(ports.exchange) },
        'market-data': { MD_METRICS_PORT: String(ports.marketData) },
        gateway: { GATEWAY_METRICS_PORT: String(ports.gateway), GATEWAY_ORDER_PORT: String(ports.gatewayOrders) },
        'strategy-engine': { ENGINE_METRICS_PORT: String(ports.strategyEngine) },
      };
  return SERVICE_NAMES.map((name) => ({ ...BASE[name], env: { ...common, ...own[name], ...extra[name] } }));
}
