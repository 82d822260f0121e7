import { describe, expect, it } from 'vitest';
import { CONTRACT, CONTRACT_METRICS, CONTRACT_SERVICES } from '../../test/contract.js';
import { EngineMetrics } from './engine.js';
import { GatewayMetrics } from './gateway.js';
import { MarketDataMetrics } from './market-data.js';
import { SERVICE_PORTS } from './service-ports.js';
import { TRADING_CATALOGS } from './services.js';
import { StrategyMetrics } from './strategy.js';

describe('TRADING_CATALOGS', () => {
  it("names each catalog's service and port as the contract does, and holds the contract's metrics in order", () => {
    const contractNames = new Set(CONTRACT_METRICS.map(([name]) => name));
    expect(
      TRADING_CATALOGS.map((c) => ({
        className: c.className,
        service: c.service,
        port: c.port,
        // Metrics added since the original system are allowed; the contract's must all be there.
        names: Object.values(c.definitions)
          .map((d) => d.name)
          .filter((name) => contractNames.has(name)),
      })),
    ).toEqual(
      Object.entries(CONTRACT).map(([key, metrics]) => ({
        ...CONTRACT_SERVICES[key as keyof typeof CONTRACT],
        names: metrics.map(([name]) => name),
      })),
    );
  });

  it('holds the declarations the exported catalog classes are built from', () => {
    const classes = { MarketDataMetrics, GatewayMetrics, StrategyMetrics, EngineMetrics };
    for (const info of TRADING_CATALOGS) {
      const cls = classes[info.className as keyof typeof classes];
      expect(Object.keys(cls.definitions)).toEqual(Object.keys(info.definitions));
      expect(Object.values(cls.definitions).map((d) => d.name)).toEqual(
        Object.values(info.definitions).map((d) => d.name),
      );
    }
  });

  it('takes every port from SERVICE_PORTS, which lists exactly the services that serve a catalog', () => {
    for (const info of TRADING_CATALOGS) expect(info.port).toBe(SERVICE_PORTS[info.service]);
    expect(new Set(TRADING_CATALOGS.map((c) => c.service))).toEqual(new Set(Object.keys(SERVICE_PORTS)));
  });
});
