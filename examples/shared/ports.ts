import { DEFAULT_VENUES, SERVICE_PORTS } from '@ttquant/metrics';
import type { Venue } from './protocol.js';

// Default addresses of the example pipeline on one host. The metrics ports are the SDK's
// SERVICE_PORTS (the original system's, docs/origin.md). Each is overridable by the environment
// variable named beside it (see examples/README.md). With a market-data service and a gateway per
// venue on one host, each venue's instance takes the same ports moved by {@link venuePort}.

export const DEFAULTS = {
  /** EXCHANGE_PORT: the simulated exchange (HTTP order API and WebSocket feeds). */
  exchangePort: 9400,
  /** EXCHANGE_URL: where services find the exchange. */
  exchangeUrl: 'http://127.0.0.1:9400',
  /** MD_METRICS_PORT: market-data metrics (the original port, docs/origin.md). */
  mdMetricsPort: SERVICE_PORTS['market-data'],
  /** MD_ZMQ_ENDPOINT: market-data tick bus (PUB binds, SUB connects). */
  mdZmqEndpoint: 'tcp://127.0.0.1:5555',
  /** The port of {@link DEFAULTS.mdZmqEndpoint}. */
  mdZmqPort: 5555,
  /** GATEWAY_METRICS_PORT: gateway metrics (the original port, docs/origin.md). */
  gatewayMetricsPort: SERVICE_PORTS.gateway,
  /** GATEWAY_ORDER_PORT: the gateway's order entry for the strategy engine. */
  gatewayOrderPort: 9201,
  /** GATEWAY_URL: where the engine finds the gateway's order entry. */
  gatewayUrl: 'http://127.0.0.1:9201',
  /** GATEWAY_ZMQ_ENDPOINT: fills from the gateway to the engine. */
  gatewayZmqEndpoint: 'tcp://127.0.0.1:5556',
  /** The port of {@link DEFAULTS.gatewayZmqEndpoint}. */
  gatewayZmqPort: 5556,
  /** ENGINE_METRICS_PORT: strategy-engine metrics (the original port, docs/origin.md). */
  engineMetricsPort: SERVICE_PORTS['strategy-engine'],
  /** METRICS_HOST: interface the metrics servers listen on. */
  metricsHost: '127.0.0.1',
} as const;

/**
 * Port distance between two venues' instances of one service on one host. monitoring/src/config.ts
 * applies the same rule to its local scrape targets (monitoring/ may not import examples/);
 * monitoring/test/venue-ports.test.ts checks that the two agree.
 */
export const VENUE_PORT_STRIDE = 10;

/**
 * One venue's port of a per-venue service on one host: the base port (the first venue, binance,
 * keeps it) plus {@link VENUE_PORT_STRIDE} times the venue's place in the SDK's DEFAULT_VENUES.
 *
 * @param base - the first venue's port, e.g. `DEFAULTS.mdMetricsPort`
 * @param venue - the venue
 * @returns the venue's port, e.g. 8090 for OKX's market data
 */
export function venuePort(base: number, venue: Venue): number {
  return base + VENUE_PORT_STRIDE * (DEFAULT_VENUES as readonly string[]).indexOf(venue);
}

/** The ports of one venue's market-data service and gateway. */
export interface VenuePorts {
  /** MD_METRICS_PORT of the venue's market data. */
  readonly marketData: number;
  /** Port of its tick bus (MD_ZMQ_ENDPOINT). */
  readonly mdZmq: number;
  /** GATEWAY_METRICS_PORT of the venue's gateway. */
  readonly gateway: number;
  /** GATEWAY_ORDER_PORT: its order entry. */
  readonly gatewayOrders: number;
  /** Port of its fill bus (GATEWAY_ZMQ_ENDPOINT). */
  readonly gatewayZmq: number;
}

/**
 * The default ports of one venue's market-data service and gateway on one host.
 *
 * @param venue - the venue
 * @returns its ports: the defaults for binance, each moved by {@link venuePort} for the others
 */
export function defaultVenuePorts(venue: Venue): VenuePorts {
  return {
    marketData: venuePort(DEFAULTS.mdMetricsPort, venue),
    mdZmq: venuePort(DEFAULTS.mdZmqPort, venue),
    gateway: venuePort(DEFAULTS.gatewayMetricsPort, venue),
    gatewayOrders: venuePort(DEFAULTS.gatewayOrderPort, venue),
    gatewayZmq: venuePort(DEFAULTS.gatewayZmqPort, venue),
  };
}
