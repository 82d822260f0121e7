// A real Prometheus (Debian's 2.42) scrapes the protobuf exposition: it picks its parser from the
// response's Content-Type, so the body goes through Prometheus' own ProtobufParser, the +Inf bucket
// it adds from sample_count included.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  describeWithTools,
  type PrometheusServer,
  pollQuery,
  scrapedTargets,
  startPrometheus,
} from '@ttquant/test-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { catalog } from '../../src/define/catalog.js';
import { closed, open } from '../../src/define/labels.js';
import { counter, gauge, histogram } from '../../src/define/metric.js';
import { ProtobufWriter } from '../../src/exposition/prometheus-protobuf.js';
import { throwOnInvalidValue } from '../../src/storage/invalid.js';

const HOSTILE = 'BTC"USD\\T\n€✓ 💹';

class Scraped extends catalog({
  fills: counter('pb_fills_total', 'Fills.', { exchange: closed('binance', 'okx'), symbol: open({ budget: 1 }) }),
  price: gauge('pb_price', 'Price.', { symbol: open({ budget: 4 }) }, { nonFinite: 'emit' }),
  latency: histogram('pb_latency_ms', 'Latency.', { exchange: closed('binance', 'okx') }, { buckets: [1, 10] }),
  idle: counter('pb_idle_total', 'Never recorded.', {}),
}) {}

describeWithTools('Prometheus scrapes the protobuf exposition', ['prometheus'], () => {
  let server: Server | undefined;
  let prometheus: PrometheusServer | undefined;

  beforeAll(async () => {
    const m = new Scraped({ onInvalidValue: throwOnInvalidValue, onOverflow: () => {} });
    m.fills.add({ exchange: 'okx', symbol: HOSTILE }, 3);
    m.fills.add({ exchange: 'binance', symbol: 'ETHUSDT' }, 4); // past the budget of 1: overflow
    m.price.set({ symbol: HOSTILE }, 67321.5);
    m.price.set({ symbol: 'NAN' }, Number.NaN);
    m.price.set({ symbol: 'INF' }, Number.NEGATIVE_INFINITY);
    for (const v of [0.5, 5, 50]) m.latency.observe({ exchange: 'binance' }, v);
    const writer = new ProtobufWriter([m]);
    server = createServer((_request, response) => {
      response.setHeader('Content-Type', writer.contentType);
      response.end(writer.render());
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`] });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('finds the target up and stores every value, labels unescaped', async () => {
    const prom = prometheus as PrometheusServer;
    const [target] = await scrapedTargets(prom.api, { timeoutMs: 15_000 });
    expect(target.lastError).toBe('');
    expect(target.health).toBe('up');

    // Each series keyed by its name and its labels other than job and instance, sorted.
    const query = async (q: string): Promise<Record<string, string>> =>
      Object.fromEntries(
        (await pollQuery(prom.api, q, { timeoutMs: 5_000 })).map((r) => {
          const { __name__: name, job: _job, instance: _instance, ...labels } = r.metric;
          return [`${name}${JSON.stringify(Object.entries(labels).sort())}`, r.value[1]];
        }),
      );
    expect(await query('pb_fills_total')).toEqual({
      [`pb_fills_total${JSON.stringify([
        ['exchange', 'okx'],
        ['symbol', HOSTILE],
      ])}`]: '3',
      [`pb_fills_total${JSON.stringify([['otel_metric_overflow', 'true']])}`]: '4',
    });
    expect(await query('pb_price')).toEqual({
      [`pb_price${JSON.stringify([['symbol', HOSTILE]])}`]: '67321.5',
      [`pb_price${JSON.stringify([['symbol', 'NAN']])}`]: 'NaN',
      [`pb_price${JSON.stringify([['symbol', 'INF']])}`]: '-Inf',
    });
    // The +Inf bucket is not in the body: Prometheus adds it from sample_count. A bound is a double
    // in protobuf, and Prometheus spells it as OpenMetrics does (`1.0`), where the text body says
    // `le="1"`: Prometheus 2.x stores the two formats' buckets as different series (3.x normalizes
    // `le` in the text parsers too: prometheus/prometheus#15164, 3.0.0).
    expect(await query('{__name__=~"pb_latency_ms_.*"}')).toEqual({
      [`pb_latency_ms_bucket${JSON.stringify([
        ['exchange', 'binance'],
        ['le', '1.0'],
      ])}`]: '1',
      [`pb_latency_ms_bucket${JSON.stringify([
        ['exchange', 'binance'],
        ['le', '10.0'],
      ])}`]: '2',
      [`pb_latency_ms_bucket${JSON.stringify([
        ['exchange', 'binance'],
        ['le', '+Inf'],
      ])}`]: '3',
      [`pb_latency_ms_sum${JSON.stringify([['exchange', 'binance']])}`]: '55.5',
      [`pb_latency_ms_count${JSON.stringify([['exchange', 'binance']])}`]: '3',
    });
  });
});
