// Default addresses of the example pipeline on one host. Each is overridable by the environment
// variable named beside it (see examples/README.md).

export const DEFAULTS = {
  /** EXCHANGE_PORT: the simulated exchange (HTTP order API and WebSocket feeds). */
  exchangePort: 9400,
  /** EXCHANGE_URL: where services find the exchange. */
  exchangeUrl: 'http://127.0.0.1:9400',
  /** MD_METRICS_PORT: market-data metrics (the original port, docs/origin.md). */
  mdMetricsPort: 8080,
  /** MD_ZMQ_ENDPOINT: market-data tick bus (PUB binds, SUB connects). */
  mdZmqEndpoint: 'tcp://127.0.0.1:5555',
  /** GATEWAY_METRICS_PORT: gateway metrics (the original port, docs/origin.md). */
  gatewayMetricsPort: 8081,
  /** GATEWAY_ORDER_PORT: the gateway's order entry for the strategy engine. */
  gatewayOrderPort: 9201,
  /** GATEWAY_URL: where the engine finds the gateway's order entry. */
  gatewayUrl: 'http://127.0.0.1:9201',
  /** GATEWAY_ZMQ_ENDPOINT: fills from the gateway to the engine. */
  gatewayZmqEndpoint: 'tcp://127.0.0.1:5556',
  /** ENGINE_METRICS_PORT: strategy-engine metrics (the original port, docs/origin.md). */
  engineMetricsPort: 8000,
  /** METRICS_HOST: interface the metrics servers listen on. */
  metricsHost: '127.0.0.1',
} as const;
