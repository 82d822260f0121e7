import type { MetricDef } from '../define/metric.js';
import { engineDefinitions } from './engine.js';
import { gatewayDefinitions } from './gateway.js';
import { marketDataDefinitions } from './market-data.js';
import { SERVICE_PORTS, type ServiceName } from './service-ports.js';
import { strategyDefinitions } from './strategy.js';

// Which service exposes which catalog: the one statement of it. The metric reference, the
// monitoring config's vocabulary and the dashboard read it from here; the ports come from
// SERVICE_PORTS.

/** One of the four trading catalogs, with the service that exposes it. */
export interface TradingCatalogInfo {
  /** The catalog class's exported name, e.g. `MarketDataMetrics`. */
  readonly className: string;
  /** What the catalog measures, as a heading: `Market data`. */
  readonly title: string;
  /** The service whose `/metrics` serves it. */
  readonly service: ServiceName;
  /** The service's default metrics port, `SERVICE_PORTS[service]`. */
  readonly port: number;
  /** The catalog's declarations, keyed as the catalog's properties. */
  readonly definitions: Readonly<Record<string, MetricDef>>;
}

const info = (
  className: string,
  title: string,
  service: ServiceName,
  definitions: Readonly<Record<string, MetricDef>>,
): TradingCatalogInfo => Object.freeze({ className, title, service, port: SERVICE_PORTS[service], definitions });

/**
 * The four trading catalogs in the order they are documented and monitored: market data, order
 * gateway, strategy performance, strategy engine. The strategy engine serves the last two.
 *
 * @example
 * ```ts
 * import { TRADING_CATALOGS } from '@ttquant/metrics';
 * for (const c of TRADING_CATALOGS) console.log(c.className, c.service, c.port);
 * ```
 */
export const TRADING_CATALOGS: readonly TradingCatalogInfo[] = Object.freeze([
  info('MarketDataMetrics', 'Market data', 'market-data', marketDataDefinitions),
  info('GatewayMetrics', 'Order gateway', 'gateway', gatewayDefinitions),
  info('StrategyMetrics', 'Strategy performance', 'strategy-engine', strategyDefinitions),
  info('EngineMetrics', 'Strategy engine', 'strategy-engine', engineDefinitions),
]);
