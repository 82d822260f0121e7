// One rule places the per-venue services of the example pipeline on one host: binance keeps the
// original port, each next venue of the SDK's DEFAULT_VENUES is VENUE_PORT_STRIDE above.
// monitoring/src may not import examples/, so both sides state the rule; here they must agree, and
// the ports the demo uses must be the ones the local Prometheus scrapes, none of them shared.

import { DEFAULT_VENUES, SERVICE_PORTS } from '@ttquant/metrics';
import { describe, expect, it } from 'vitest';
import { defaultPipelinePorts } from '../../examples/pipeline/specs.js';
import {
  DEFAULTS,
  defaultVenuePorts,
  VENUE_PORT_STRIDE as EXAMPLES_STRIDE,
  venuePort as examplesVenuePort,
} from '../../examples/shared/ports.js';
import { VENUES } from '../../examples/shared/protocol.js';
import { COMPONENT_PORTS, monitoringConfig, PIPELINE_VENUES, VENUE_PORT_STRIDE, venuePort } from '../src/config.js';
import { DEFAULT_PORTS } from '../stack/layout.js';

describe('the per-venue port rule', () => {
  it('is the same on both sides, for every venue and base port', () => {
    expect(EXAMPLES_STRIDE).toBe(VENUE_PORT_STRIDE);
    expect([...PIPELINE_VENUES]).toEqual([...VENUES]);
    const bases = [
      SERVICE_PORTS['market-data'],
      SERVICE_PORTS.gateway,
      DEFAULTS.mdZmqPort,
      DEFAULTS.gatewayZmqPort,
      DEFAULTS.gatewayOrderPort,
    ];
    for (const venue of VENUES) {
      expect(DEFAULT_VENUES).toContain(venue);
      for (const base of bases) expect(examplesVenuePort(base, venue)).toBe(venuePort(base, venue));
    }
    // The first venue keeps the original ports.
    expect(venuePort(SERVICE_PORTS['market-data'], 'binance')).toBe(8080);
    expect(venuePort(SERVICE_PORTS.gateway, 'okx')).toBe(8091);
    expect(() => venuePort(8080, 'ftx')).toThrow('"ftx" is not one of binance, okx');
  });

  it('places the local scrape targets where the demo’s services listen, one per venue', () => {
    const { marketData, gateway } = monitoringConfig.jobs;
    expect(marketData.local).toEqual(VENUES.map((v) => `127.0.0.1:${defaultVenuePorts(v).marketData}`));
    expect(gateway.local).toEqual(VENUES.map((v) => `127.0.0.1:${defaultVenuePorts(v).gateway}`));
    expect(marketData.compose).toEqual(VENUES.map((v) => `md-${v}:${SERVICE_PORTS['market-data']}`));
    expect(gateway.compose).toEqual(VENUES.map((v) => `gateway-${v}:${SERVICE_PORTS.gateway}`));
  });

  it('gives every address of the demo and of the native stack its own port on one host', () => {
    const demo = defaultPipelinePorts();
    const ports = [
      demo.exchange,
      demo.strategyEngine,
      ...Object.values(demo.venues).flatMap((v) => Object.values(v)),
      ...Object.values(COMPONENT_PORTS),
      DEFAULT_PORTS.postgres,
      DEFAULT_PORTS.grafana,
    ];
    expect(ports).toHaveLength(new Set(ports).size);
    expect(demo.venues.binance).toEqual({
      marketData: 8080,
      mdZmq: 5555,
      gateway: 8081,
      gatewayOrders: 9201,
      gatewayZmq: 5556,
    });
  });
});
