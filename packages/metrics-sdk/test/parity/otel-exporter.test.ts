// Parity: for the same recorded operations, our PrometheusWriter and OpenTelemetry's
// @opentelemetry/exporter-prometheus (fed by CatalogMetricProducer) expose the same series with the
// same values. Both bodies are parsed by a real parser (Debian's python3-prometheus-client), so the
// comparison is of what a scraper reads, not of spelling.
//
// The only additions allowed on the OTel side are stripped before comparing, and each is asserted
// to be present first (so stripping cannot hide anything else):
// - the `target_info` family (the SDK resource as a series);
// - the labels `otel_scope_name` / `otel_scope_version` on every sample.

import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { type CollectionResult, MeterProvider, type MetricProducer } from '@opentelemetry/sdk-metrics';
import { describeWithTools, pythonWithPrometheusClient } from '@ttquant/test-kit';
import { expect, it } from 'vitest';
import { networkLatencyMs } from '../../src/catalogs/domains.js';
import { EngineMetrics } from '../../src/catalogs/engine.js';
import { GatewayMetrics } from '../../src/catalogs/gateway.js';
import { MarketDataMetrics } from '../../src/catalogs/market-data.js';
import { StrategyMetrics } from '../../src/catalogs/strategy.js';
import type { MetricSource } from '../../src/exposition/prometheus-text.js';
import { PrometheusWriter } from '../../src/exposition/prometheus-text.js';
import {
  CatalogMetricProducer,
  type CatalogMetricProducerOptions,
  SCOPE_NAME,
  SCOPE_VERSION,
} from '../../src/otel/producer.js';
import { DROPPED_EXEMPLARS_METRIC, selfMetricsSource } from '../../src/self-metrics/self-metrics.js';
import { throwOnInvalidValue } from '../../src/storage/invalid.js';

// The interpreter the kit found able to import prometheus_client (Debian's python comes first).
const PYTHON = pythonWithPrometheusClient() ?? '/usr/bin/python3';

// Prints the families (name, type, help) and samples (name, labels, value) a body parses to. A
// value is printed as repr(v + 0.0): exact (shortest round-trip) and with -0.0 folded into 0.0,
// since the two spell zero differently (ours `-0`, OTel's `0`) and are the same number to PromQL.
const PARSE = `
import sys, json
from prometheus_client.parser import text_string_to_metric_families as parse
families, samples = [], []
for f in parse(sys.stdin.read()):
    families.append([f.name, f.type, f.documentation])
    for s in f.samples:
        v = s.value
        samples.append([s.name, s.labels, 'NaN' if v != v else repr(v + 0.0)])
print(json.dumps({'families': families, 'samples': samples}))
`;

interface Parsed {
  readonly families: [name: string, type: string, help: string][];
  readonly samples: [name: string, labels: Record<string, string>, value: string][];
}

function parse(body: string): Parsed {
  const run = spawnSync(PYTHON, ['-c', PARSE], { input: body, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0)
    throw new Error(`prometheus_client could not parse the body:\n${run.stderr}\n--- body ---\n${body}`);
  return JSON.parse(run.stdout) as Parsed;
}

/** `name{a="x",b="y"}` with labels sorted: one key per series. */
function seriesKey(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${parts.join(',')}}`;
}

/** Series key → value; fails on a series that appears twice. */
function toMap(samples: Parsed['samples']): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, labels, value] of samples) {
    const key = seriesKey(name, labels);
    expect(out.has(key), `series twice in one body: ${key}`).toBe(false);
    out.set(key, value);
  }
  return out;
}

const HOSTILE = [
  'quote"d',
  'back\\slash',
  'new\nline',
  'uni €·日本語·🚀',
  'all of "\\\n" at once \\n',
  '',
  '{curly="braces",}',
];

/** Records the same operations into the four catalogs: every metric, every kind, hostile labels. */
function recordEverything(md: MarketDataMetrics, gw: GatewayMetrics, sm: StrategyMetrics, en: EngineMetrics): void {
  // --- market data: counters, a histogram with a sample on every bound, gauges; symbol overflow.
  for (const [i, symbol] of HOSTILE.entries()) {
    md.received.add({ exchange: 'binance', symbol, type: 'trade' }, i + 1);
    md.lastPrice.set({ exchange: 'okx', symbol }, 100.5 * (i + 1));
  }
  md.received.add({ exchange: 'okx', symbol: 'BTCUSDT', type: 'book' }, 1e21);
  md.received.bind({ exchange: 'bybit', symbol: 'ETHUSDT', type: 'ticker' }); // bound, never recorded: 0
  for (const bound of networkLatencyMs) md.latency.observe({ exchange: 'binance', type: 'trade' }, bound);
  for (const v of [0, 0.5, 4999.999, 5000.0001, 123456]) md.latency.observe({ exchange: 'okx', type: 'book' }, v);
  md.latency.bind({ exchange: 'coinbase', type: 'ticker' }); // an empty histogram series
  md.connectionStatus.set({ exchange: 'binance' }, 1);
  md.connectionStatus.set({ exchange: 'okx' }, 0);
  md.reconnects.inc({ exchange: 'okx' });
  md.parseErrors.add({ exchange: 'binance', reason: 'invalid_json' }, 2);
  md.dbWrites.add({ exchange: 'binance', table: 'trades' }, 0.1 + 0.2);
  md.dbWriteErrors.inc({ exchange: 'coinbase', reason: 'dropped' });
  md.zmqPublished.add({ exchange: 'bybit', type: 'ticker' }, 42);
  md.volume24h.set({ exchange: 'binance', symbol: 'BTCUSDT' }, 1.5e-7);
  md.volume24h.set({ exchange: 'bybit', symbol: 'SOLUSDT' }, -0);

  // --- gateway
  gw.orders.inc({ exchange: 'okx', symbol: 'ETH"USDT', side: 'buy', type: 'limit' });
  gw.orders.add({ exchange: 'okx', symbol: 'ETH"USDT', side: 'sell', type: 'market' }, 5);
  gw.ordersSuccess.inc({ exchange: 'binance', symbol: 'new\nline', side: 'sell' });
  gw.ordersFailed.inc({ exchange: 'binance', reason: 'retries_exhausted' });
  gw.ordersRiskRejected.add({ exchange: 'bybit', rule: 'max_notional' }, 3);
  for (const bound of networkLatencyMs) gw.orderLatency.observe({ exchange: 'okx', operation: 'new' }, bound);
  gw.orderLatency.observe({ exchange: 'okx', operation: 'cancel' }, 7.25);
  gw.trades.inc({ exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' });
  gw.tradeVolume.add({ exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' }, 65_432.123456789);
  gw.commission.add({ exchange: 'binance', symbol: 'BTCUSDT' }, 0.065432);
  gw.position.set({ exchange: 'binance', symbol: 'BTCUSDT' }, -0.75);
  gw.rateLimitHits.inc({ exchange: 'okx', endpoint: 'cancel' });
  gw.orderRetries.add({ exchange: 'okx', reason: 'server_error' }, 4);
  gw.activeOrders.set({ exchange: 'okx', symbol: 'uni €·日本語·🚀' }, 12);
  gw.riskExposure.set({ exchange: 'binance' }, 1_234_567.89);
  gw.maxDrawdown.set({ exchange: 'binance' }, 0);

  // --- strategy: strategy_pnl_total is a gauge (no _total suffix may be added or removed);
  // strategy_sharpe_ratio emits NaN and infinities.
  for (const strategy of HOSTILE) {
    sm.pnl.set({ strategy }, -1250.5);
    sm.trades.inc({ strategy, side: 'buy' });
  }
  sm.realizedPnl.set({ strategy: 'ma_cross' }, 800.25);
  sm.unrealizedPnl.set({ strategy: 'ma_cross' }, -2050.75);
  sm.positionSize.set({ strategy: 'ma_cross', symbol: 'BTCUSDT' }, 0.5);
  sm.positionValue.set({ strategy: 'ma_cross', symbol: 'BTCUSDT' }, 32_716.06);
  sm.winRate.set({ strategy: 'ma_cross' }, 2 / 3);
  sm.winningTrades.add({ strategy: 'ma_cross' }, 2);
  sm.losingTrades.inc({ strategy: 'ma_cross' });
  sm.avgProfit.set({ strategy: 'ma_cross' }, 512.5);
  sm.avgLoss.set({ strategy: 'ma_cross' }, 224.75);
  sm.maxDrawdown.set({ strategy: 'ma_cross' }, 3_000);
  sm.sharpe.set({ strategy: 'ma_cross' }, Number.NaN);
  sm.sharpe.set({ strategy: 'grid' }, 1.7320508075688772);
  sm.sharpe.set({ strategy: 'flat' }, Number.POSITIVE_INFINITY);
  sm.sharpe.set({ strategy: 'short_only' }, Number.NEGATIVE_INFINITY);

  // --- engine: unlabelled gauges, fractional bucket bounds.
  en.marketDataReceived.add({ exchange: 'binance', type: 'trade' }, 10);
  en.ordersSent.inc({ strategy: 'back\\slash', exchange: 'okx', side: 'sell' });
  en.tradesReceived.inc({ strategy: 'ma_cross', exchange: 'okx' });
  for (const bound of en.strategyLatency.buckets) en.strategyLatency.observe({ strategy: 'ma_cross' }, bound);
  en.strategyLatency.observe({ strategy: 'grid' }, 0.0001);
  en.strategyLatency.observe({ strategy: 'grid' }, 250.0000001);
  en.activeStrategies.bind().set(2);
  en.uptime.bind().set(3600.5);
}

function newCatalogs(): [MarketDataMetrics, GatewayMetrics, StrategyMetrics, EngineMetrics] {
  const options = { onInvalidValue: throwOnInvalidValue, now: () => 1_700_000_000_000 };
  return [
    // A tiny symbol budget, so the overflow series (otel_metric_overflow="true") is part of the parity.
    new MarketDataMetrics({ ...options, budgets: { received: { symbol: 4 } } }),
    new GatewayMetrics(options),
    new StrategyMetrics(options),
    new EngineMetrics(options),
  ];
}

/** Wraps a producer to keep the errors of each collect (the exporter only logs them). */
class ErrorRecordingProducer implements MetricProducer {
  readonly errors: unknown[] = [];
  readonly #inner: MetricProducer;
  constructor(inner: MetricProducer) {
    this.#inner = inner;
  }
  async collect(): Promise<CollectionResult> {
    const result = await this.#inner.collect();
    this.errors.push(...result.errors);
    return result;
  }
}

/**
 * Serves the catalogs through @opentelemetry/exporter-prometheus on 127.0.0.1 and returns one
 * scrape. The exporter's own server cannot take port 0 (`config.port || 9464`), so it is kept from
 * starting and its request handler is mounted on our own ephemeral server.
 */
async function scrapeOtel(sources: readonly MetricSource[], options?: CatalogMetricProducerOptions): Promise<string> {
  const producer = new ErrorRecordingProducer(
    new CatalogMetricProducer(sources, { ...options, now: () => 1_700_000_060_000 }),
  );
  const exporter = new PrometheusExporter({ preventServerStart: true, metricProducers: [producer] });
  const provider = new MeterProvider({ readers: [exporter] });
  const server = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(producer.errors).toEqual([]);
    return body;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await provider.shutdown();
  }
}

/** Removes the OTel additions after checking they are there, and returns what is left. */
function stripOtelAdditions(parsed: Parsed): Parsed {
  const targetInfo = parsed.samples.filter(([name]) => name === 'target_info');
  expect(targetInfo, 'target_info is expected once').toHaveLength(1);
  const samples: Parsed['samples'] = [];
  for (const [name, labels, value] of parsed.samples) {
    if (name === 'target_info') continue;
    const { otel_scope_name, otel_scope_version, ...rest } = labels;
    expect([name, otel_scope_name, otel_scope_version]).toEqual([name, SCOPE_NAME, SCOPE_VERSION]);
    samples.push([name, rest, value]);
  }
  return { families: parsed.families.filter(([name]) => name !== 'target_info'), samples };
}

function sortFamilies(families: Parsed['families']): Parsed['families'] {
  return [...families].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

// Without the parser the parity cannot be shown: in CI that is a failure, elsewhere a named skip.
describeWithTools(
  'parity: PrometheusWriter vs @opentelemetry/exporter-prometheus',
  ['python-prometheus-client'],
  () => {
    it('exposes the same series and values for all four catalogs (OTel adds only target_info and otel_scope_*)', async () => {
      const catalogs = newCatalogs();
      recordEverything(...catalogs);
      // Every declared metric has series, so the comparison covers every name and all three kinds.
      for (const source of catalogs) {
        for (const family of source['~families']) expect(family.seriesCount, family.name).toBeGreaterThan(0);
      }
      const ours = parse(new PrometheusWriter(catalogs).renderText());
      const otel = stripOtelAdditions(parse(await scrapeOtel(catalogs)));

      expect(ours.samples.some(([, labels]) => 'otel_scope_name' in labels)).toBe(false);
      expect(toMap(otel.samples)).toEqual(toMap(ours.samples));
      expect(sortFamilies(otel.families)).toEqual(sortFamilies(ours.families));

      // Guard against a comparison of two empty or trivial bodies.
      const names = new Set(ours.families.map(([name]) => name));
      // The catalog metrics and the self-metrics, every one.
      const declared = catalogs.flatMap((source) => source['~families'].map((family) => family.name));
      const selfMetrics = selfMetricsSource(catalogs)?.['~families'].map((family) => family['~reader'].name) ?? [];
      expect(selfMetrics).toContain(DROPPED_EXEMPLARS_METRIC);
      // (The classic parser names a counter's family without `_total`, so the names are counted.)
      expect(names.size).toBe(declared.length + selfMetrics.length);
      const byKey = toMap(ours.samples);
      expect(byKey.size).toBeGreaterThan(150);
      expect(byKey.get(seriesKey('strategy_sharpe_ratio', { strategy: 'ma_cross' }))).toBe('NaN');
      expect(byKey.get(seriesKey('strategy_pnl_total', { strategy: 'quote"d' }))).toBe('-1250.5');
      expect(byKey.get(seriesKey('market_data_received_total', { otel_metric_overflow: 'true' }))).toBe('1e+21'); // past a symbol budget of 4: HOSTILE[4..6] added 5 + 6 + 7, okx BTCUSDT 1e21
      // Those four records and the bind of a sixth symbol (ETHUSDT) were folded.
      expect(
        byKey.get(seriesKey('ttquant_metrics_overflow_records_total', { metric: 'market_data_received_total' })),
      ).toBe('5.0');
      // Hostile values came back through both parsers unchanged.
      for (const [i, symbol] of HOSTILE.slice(0, 4).entries()) {
        const key = seriesKey('market_data_received_total', { exchange: 'binance', symbol, type: 'trade' });
        expect(byKey.get(key), key).toBe(`${i + 1}.0`);
      }
      expect(
        byKey.get(seriesKey('strategy_trades_total', { strategy: 'all of "\\\n" at once \\n', side: 'buy' })),
      ).toBe('1.0');
      // -0 is spelled `-0` by us and `0` by OTel: the same number, folded by the parse script.
      expect(byKey.get(seriesKey('market_volume_24h', { exchange: 'bybit', symbol: 'SOLUSDT' }))).toBe('0.0');
      expect(
        byKey.get(seriesKey('market_data_latency_ms_bucket', { exchange: 'binance', type: 'trade', le: '5' })),
      ).toBe('3.0');
      expect(byKey.get(seriesKey('engine_uptime_seconds', {}))).toBe('3600.5');
    });

    it('keeps the exact wire names even with declared units in the descriptors (a # UNIT line only)', async () => {
      const catalogs = newCatalogs();
      recordEverything(...catalogs);
      const body = await scrapeOtel(catalogs, { units: 'declared' });
      expect(body).toContain('# UNIT market_data_latency_ms ms\n');
      const ours = parse(new PrometheusWriter(catalogs).renderText());
      const otel = stripOtelAdditions(parse(body));
      expect(toMap(otel.samples)).toEqual(toMap(ours.samples));
    });
  },
);
