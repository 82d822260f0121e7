// A real Prometheus (Debian's 2.42) scrapes createMetricsServer, once with its classic scrape
// protocols and once with `--enable-feature=native-histograms` (which asks for protobuf first). A
// second target of the same job records the request headers Prometheus sends, so the Accept strings
// the negotiation tests use are checked against the binary; the server's own counters tell which
// format and encoding it answered with.

import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  type ActiveTarget,
  describeWithTools,
  instantQuery,
  type PrometheusApi,
  pollQuery,
  prometheusApi,
  scrapedTargets,
  startServer,
  type Server as ToolServer,
} from '@ttquant/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketDataMetrics } from '../../src/catalogs/market-data.js';
import type { ExpositionFormat } from '../../src/exposition/formats.js';
import { createMetricsServer, type MetricsServer } from '../../src/server/metrics-server.js';
import { throwOnInvalidValue } from '../../src/storage/invalid.js';

// Prometheus 2.42, scrape/scrape.go: `scrapeAcceptHeader` and `scrapeAcceptHeaderWithProtobuf`.
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const PROMETHEUS_ACCEPT_PROTOBUF =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

interface Scenario {
  readonly server: MetricsServer;
  readonly recorder: Server;
  /** The headers of every request the recorder got. */
  readonly seen: IncomingHttpHeaders[];
  readonly prometheus: ToolServer;
  readonly api: PrometheusApi;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Our server, a header recorder and a Prometheus scraping both every second, with the given flags. */
async function scenario(flags: readonly string[]): Promise<Scenario> {
  const md = new MarketDataMetrics({ onInvalidValue: throwOnInvalidValue });
  md.received.add({ exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' }, 3);
  for (const v of [0.5, 7, 700]) md.latency.observe({ exchange: 'binance', type: 'trade' }, v);
  const server = createMetricsServer({ sources: [md], service: 'negotiation', port: 0 });
  const { port } = await server.listen();
  const seen: IncomingHttpHeaders[] = [];
  const recorder = createServer((request, response) => {
    seen.push(request.headers);
    response.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    response.end('recorder_up 1\n');
  });
  const recorderPort = await listen(recorder);
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    'scrape_configs:',
    '  - job_name: test',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${port}', '127.0.0.1:${recorderPort}']`,
    '',
  ].join('\n');
  const prometheus = await startServer('prometheus', (promPort, dir) => {
    const file = join(dir, 'prometheus.yml');
    writeFileSync(file, config);
    return [
      `--config.file=${file}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      ...flags,
    ];
  });
  return { server, recorder, seen, prometheus, api: prometheusApi(prometheus.url) };
}

async function stop(s: Scenario | undefined): Promise<void> {
  if (s === undefined) return;
  await s.prometheus.stop();
  await s.server.close();
  await new Promise((resolve) => s.recorder.close(resolve));
}

/** Waits until both targets were scraped, and returns ours. */
async function ourTarget(s: Scenario): Promise<ActiveTarget> {
  const scraped = await scrapedTargets(s.api, { count: 2, timeoutMs: 20_000 });
  const recorderPort = (s.recorder.address() as AddressInfo).port;
  const ours = scraped.find((t) => !t.scrapeUrl.includes(`:${recorderPort}/`));
  if (ours === undefined) throw new Error(`only the recorder among ${scraped.map((t) => t.scrapeUrl).join(', ')}`);
  return ours;
}

/** The value of each series, by metric name, once the query matches. */
async function query(s: Scenario, q: string): Promise<Record<string, string>> {
  const vector = await pollQuery(s.api, q, { timeoutMs: 5_000 });
  return Object.fromEntries(vector.map((r) => [r.metric['__name__'] ?? '', r.value[1]]));
}

const cases: readonly (readonly [string, readonly string[], string, ExpositionFormat])[] = [
  ['classic scrape protocols', [], PROMETHEUS_ACCEPT, 'openmetrics-text'],
  [
    '--enable-feature=native-histograms',
    ['--enable-feature=native-histograms'],
    PROMETHEUS_ACCEPT_PROTOBUF,
    'prometheus-protobuf',
  ],
];

describeWithTools('a real Prometheus 2.42 negotiates format and gzip with createMetricsServer', ['prometheus'], () => {
  describe.each(cases)('%s', (_title, flags, accept, format) => {
    let s: Scenario | undefined;
    beforeAll(async () => {
      s = await scenario(flags);
    });
    afterAll(async () => {
      await stop(s);
    });

    it(`sends the Accept string of scrape.go, gets ${format} gzipped, and stores the samples`, async () => {
      const sc = s as Scenario;
      const target = await ourTarget(sc);
      expect(target.lastError).toBe('');
      expect(target.health).toBe('up');
      // The recorder answered its scrape, so it holds the headers Prometheus sent.
      expect(sc.seen.length).toBeGreaterThan(0);
      const headers = sc.seen[0] as IncomingHttpHeaders;
      expect(headers.accept).toBe(accept);
      expect(headers['accept-encoding']).toBe('gzip');

      const stats = sc.server['~stats']();
      expect(stats.scrapes).toBeGreaterThan(0);
      expect(stats.formats[format]).toBe(stats.scrapes);
      expect(stats.gzipped).toBe(stats.scrapes);

      expect(await query(sc, 'market_data_received_total{exchange="binance",symbol="BTCUSDT"}')).toEqual({
        market_data_received_total: '3',
      });
      // The catalog's latency histogram has classic buckets and native resolution. With native
      // histograms on, 2.42 stores only the native form: no _count, _sum or _bucket series, the
      // count and sum read through histogram_count and histogram_sum.
      const native = format === 'prometheus-protobuf';
      const series = 'market_data_latency_ms{exchange="binance",type="trade"}';
      const count = native ? `histogram_count(${series})` : series.replace('{', '_count{');
      const sum = native ? `histogram_sum(${series})` : series.replace('{', '_sum{');
      expect(Object.values(await query(sc, count))).toEqual(['3']);
      expect(Object.values(await query(sc, sum))).toEqual(['707.5']);
      const classic = await instantQuery(sc.api, '{__name__=~"market_data_latency_ms_(count|sum|bucket)"}');
      expect(classic.length > 0).toBe(!native);
      // The Node.js runtime metrics come through the same negotiated format.
      expect(Object.keys(await query(sc, 'process_cpu_seconds_total'))).toEqual(['process_cpu_seconds_total']);
      // What the format changes in what 2.42 stores: OpenMetrics' `_created` samples become series of
      // their own, and a bucket bound is spelled as a float (`le="1.0"`) by both OpenMetrics and
      // protobuf, where text 0.0.4 writes `le="1"` (Prometheus 3 normalizes `le`; 2.x does not).
      const created = await instantQuery(sc.api, 'market_data_received_created');
      expect(created.length).toBe(format === 'openmetrics-text' ? 1 : 0);
      if (!native) {
        expect(await query(sc, 'market_data_latency_ms_bucket{exchange="binance",type="trade",le="1.0"}')).toEqual({
          market_data_latency_ms_bucket: '1',
        });
      }
    });
  });
});
