import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The kit's net module alone: `npm run demo` loads this file, and it must not pull in vitest.
import { freePort } from '@ttquant/test-kit/net';
import { DEFAULTS, defaultVenuePorts, type VenuePorts } from '../shared/ports.js';
import { VENUES, type Venue } from '../shared/protocol.js';
import type { ServiceSpec } from './process-tree.js';

// The processes of the pipeline, in start order, and the settings the end-to-end tests run them
// with: the exchange, a market-data service and a gateway per venue (each venue's own tick bus,
// fill bus and order entry), and one strategy engine wired to every venue. `main.ts` (npm run demo)
// and the tests in examples/ and monitoring/ all start them from here, so an entry point, a ready
// line or an address is written once.

/** The kinds of process (roles); `extra` environment and {@link ALL_FAULTS} are given per role. */
export const SERVICE_NAMES = ['exchange', 'market-data', 'gateway', 'strategy-engine'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** A role that runs once per venue. */
export type VenueRole = 'market-data' | 'gateway';

/** A process of the pipeline: `exchange`, `market-data-<venue>`, `gateway-<venue>`, `strategy-engine`. */
export type ProcessName = 'exchange' | `${VenueRole}-${Venue}` | 'strategy-engine';

/**
 * The name of one venue's process of a per-venue role.
 *
 * @param role - `market-data` or `gateway`
 * @param venue - the venue
 * @returns e.g. `market-data-okx`
 */
export function processName(role: VenueRole, venue: Venue): ProcessName {
  return `${role}-${venue}`;
}

/** Every process, in the order they start (each consumer after what it consumes). */
export const PROCESS_NAMES: readonly ProcessName[] = [
  'exchange',
  ...VENUES.map((venue) => processName('market-data', venue)),
  ...VENUES.map((venue) => processName('gateway', venue)),
  'strategy-engine',
];

const entry = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

const BASE: Readonly<Record<ServiceName, Omit<ServiceSpec, 'env' | 'name'>>> = {
  exchange: { entry: entry('../fixtures/exchange/main.ts'), ready: /exchange: listening at (\S+)/ },
  'market-data': { entry: entry('../market-data/main.ts'), ready: /market-data: metrics at (\S+)\/metrics/ },
  gateway: { entry: entry('../gateway/main.ts'), ready: /gateway: metrics at (\S+)\/metrics/ },
  'strategy-engine': {
    entry: entry('../strategy-engine/main.ts'),
    ready: /strategy-engine: metrics at (\S+)\/metrics/,
  },
};

/** Every port the pipeline listens on or binds. */
export interface PipelinePorts {
  readonly exchange: number;
  readonly strategyEngine: number;
  /** Each venue's market-data service and gateway. */
  readonly venues: Readonly<Record<Venue, VenuePorts>>;
}

/**
 * The pipeline's ports on one host by default (examples/shared/ports.ts): the original ports for
 * binance's services, moved by `venuePort` for the other venues.
 *
 * @returns the ports `npm run demo` uses
 */
export function defaultPipelinePorts(): PipelinePorts {
  return {
    exchange: DEFAULTS.exchangePort,
    strategyEngine: DEFAULTS.engineMetricsPort,
    venues: Object.fromEntries(VENUES.map((venue) => [venue, defaultVenuePorts(venue)])) as Record<Venue, VenuePorts>,
  };
}

/** Free ports for one pipeline on 127.0.0.1 (tests). */
export async function freePipelinePorts(): Promise<PipelinePorts> {
  const [exchange, strategyEngine] = (await Promise.all([freePort(), freePort()])) as [number, number];
  const venues = {} as Record<Venue, VenuePorts>;
  for (const venue of VENUES) {
    const [marketData, mdZmq, gateway, gatewayOrders, gatewayZmq] = (await Promise.all(
      Array.from({ length: 5 }, freePort),
    )) as [number, number, number, number, number];
    venues[venue] = { marketData, mdZmq, gateway, gatewayOrders, gatewayZmq };
  }
  return { exchange, strategyEngine, venues };
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

/** More environment: per role (every process of it), then per process, which wins. */
export type ExtraEnv = Partial<Record<ServiceName | ProcessName, Readonly<Record<string, string>>>>;

/**
 * The pipeline's process specs, in start order, every address set explicitly: each venue's
 * market data (`EXCHANGES=<venue>`) publishes on its own tick bus, each venue's gateway
 * (`GATEWAY_VENUES=<venue>`) takes marks from that bus and publishes fills on its own, and the
 * engine subscribes to every bus and sends each strategy's orders to its venue's gateway
 * (`MD_ZMQ_ENDPOINTS`, `GATEWAY_ZMQ_ENDPOINTS`, `GATEWAY_URLS`).
 *
 * @param ports - where everything listens; default {@link defaultPipelinePorts}
 * @param extra - more environment per role or per process (e.g. {@link ALL_FAULTS})
 * @returns one spec per process, named as in {@link PROCESS_NAMES}
 */
export function pipelineSpecs(ports: PipelinePorts = defaultPipelinePorts(), extra: ExtraEnv = {}): ServiceSpec[] {
  const host = '127.0.0.1';
  const exchangeUrl = `http://${host}:${ports.exchange}`;
  const mdBus = (venue: Venue) => `tcp://${host}:${ports.venues[venue].mdZmq}`;
  const fillBus = (venue: Venue) => `tcp://${host}:${ports.venues[venue].gatewayZmq}`;
  const orders = (venue: Venue) => `http://${host}:${ports.venues[venue].gatewayOrders}`;
  const perVenue = (address: (venue: Venue) => string) => VENUES.map((v) => `${v}=${address(v)}`).join(',');
  // The demo's market data keeps its ticks and spool where the service puts them by default (.data/
  // at the repository's root); a pipeline on other ports (tests) keeps its ticks in memory and its
  // spool in a temporary folder of its own, so runs never share one.
  const ownPorts = JSON.stringify(ports) !== JSON.stringify(defaultPipelinePorts());
  const spool = (venue: Venue): Record<string, string> =>
    ownPorts
      ? { MD_SPOOL_DIR: join(tmpdir(), `ttquant-md-spool-${ports.venues[venue].marketData}`), DB_DATA_DIR: 'memory' }
      : {};
  const spec = (role: ServiceName, name: ProcessName, env: Record<string, string>): ServiceSpec => ({
    ...BASE[role],
    name,
    env: { METRICS_HOST: host, ...env, ...extra[role], ...extra[name] },
  });
  return [
    spec('exchange', 'exchange', { EXCHANGE_PORT: String(ports.exchange) }),
    ...VENUES.map((venue) =>
      spec('market-data', processName('market-data', venue), {
        EXCHANGES: venue,
        EXCHANGE_URL: exchangeUrl,
        MD_METRICS_PORT: String(ports.venues[venue].marketData),
        MD_ZMQ_ENDPOINT: mdBus(venue),
        ...spool(venue),
      }),
    ),
    ...VENUES.map((venue) =>
      spec('gateway', processName('gateway', venue), {
        GATEWAY_VENUES: venue,
        EXCHANGE_URL: exchangeUrl,
        GATEWAY_METRICS_PORT: String(ports.venues[venue].gateway),
        GATEWAY_ORDER_PORT: String(ports.venues[venue].gatewayOrders),
        GATEWAY_ZMQ_ENDPOINT: fillBus(venue),
        MD_ZMQ_ENDPOINT: mdBus(venue),
      }),
    ),
    spec('strategy-engine', 'strategy-engine', {
      ENGINE_METRICS_PORT: String(ports.strategyEngine),
      MD_ZMQ_ENDPOINTS: perVenue(mdBus),
      GATEWAY_ZMQ_ENDPOINTS: perVenue(fillBus),
      GATEWAY_URLS: perVenue(orders),
    }),
  ];
}
