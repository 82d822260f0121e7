// The TTQuant services and their default metrics ports: the original system's (docs/origin.md).
// Kept apart from the catalog list so the server can read its defaults without importing a catalog.

/**
 * Default metrics port of each TTQuant service, as existing Prometheus scrape configs expect them:
 * market data 8080, gateway 8081, strategy engine 8000.
 */
export const SERVICE_PORTS = Object.freeze({ 'market-data': 8080, gateway: 8081, 'strategy-engine': 8000 } as const);

/** Name of a TTQuant service: a key of {@link SERVICE_PORTS}. */
export type ServiceName = keyof typeof SERVICE_PORTS;
