import { SERVICE_PORTS } from '@ttquant/metrics';

// Default addresses of the example pipeline on one host. The metrics ports are the SDK's
// SERVICE_PORTS (the original system's, docs/origin.md). Each is overridable by the environment
// variable named beside it (see examples/README.md).

export const DEFAULTS = {
  /** EXCHANGE_PORT: the simulated exchange (HTTP order API and WebSocket feeds). */
  exchangePort: 9400,
  /** EXCHANGE_URL: where services find the exchange. */
  exchangeUrl: 'http://127.0.0.1:9400',
  /** MD_METRICS_PORT: market-data metrics (the original port, docs/origin.md). */
  mdMetricsPort: SERVICE_PORTS['market-data'],
  /** MD_ZMQ_ENDPOINT: market-data tick bus (PUB binds, SUB connects). */
  mdZmqEndpoint: 'tcp://127.0.0.1:5555',
  /** GATEWAY_METRICS_PORT: gateway metrics (the original port, docs/origin.md). */
  gatewayMetricsPort: SERVICE_PORTS.gateway,
  /** GATEWAY_ORDER_PORT: the gateway's order entry for the strategy engine. */
  gatewayOrderPort: 9201,
  /** GATEWAY_URL: where the engine finds the gateway's order entry. */
  gatewayUrl: 'http://127.0.0.1:9201',
  /** GATEWAY_ZMQ_ENDPOINT: fills from the gateway to the engine. */
  gatewayZmqEndpoint: 'tcp://127.0.0.1:5556',
  /** ENGINE_METRICS_PORT: strategy-engine metrics (the original port, docs/origin.md). */
  engineMetricsPort: SERVICE_PORTS['strategy-engine'],
  /** METRICS_HOST: interface the metrics servers listen on. */
  metricsHost: '127.0.0.1',
} as const;
