// Conformance of the text exposition with the real consumers: promtool's linter (Go parser), Debian's
// python3-prometheus-client classic parser, and a real Prometheus 2.42 scrape. One body holds all four
// catalogs with every metric recorded; an independent model of what was recorded gives the expected
// samples, so the parsers are checked against the recording, not against the writer.

import {
  describeWithTools,
  type PrometheusServer,
  parseWithPython,
  pollQuery,
  promtoolCheckMetrics,
  pyFloat,
  scrapedTargets,
  startPrometheus,
} from '@ttquant/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineMetrics } from '../../src/catalogs/engine.js';
import { GatewayMetrics } from '../../src/catalogs/gateway.js';
import { MarketDataMetrics } from '../../src/catalogs/market-data.js';
import { StrategyMetrics } from '../../src/catalogs/strategy.js';
import { PROMETHEUS_CONTENT_TYPE, PrometheusWriter } from '../../src/exposition/prometheus-text.js';
import { OMITTED_RUNTIME_METRICS } from '../../src/runtime/omitted.js';
import { runtimeDefinitions } from '../../src/runtime/runtime-metrics.js';
import {
  DROPPED_EXEMPLARS_METRIC,
  DROPPED_VALUES_METRIC,
  OVERFLOW_RECORDS_METRIC,
} from '../../src/self-metrics/self-metrics.js';
import { createMetricsServer, type MetricsServer } from '../../src/server/metrics-server.js';
import type { BindArgs, CounterFamily, GaugeFamily, HistogramFamily } from '../../src/storage/families.js';
import { throwOnInvalidValue } from '../../src/storage/invalid.js';
import { CONTRACT_METRICS } from '../contract.js';

// Every declared family of the four catalogs: the contract's, and any metric added since.
const DECLARED: readonly (readonly [string, string])[] = [
  MarketDataMetrics,
  GatewayMetrics,
  StrategyMetrics,
  EngineMetrics,
].flatMap((c) => Object.values(c.definitions).map((d) => [d.name, d.kind] as const));

// The original names kept on purpose (docs/origin.md): existing
// dashboards and alerts use them. Any other finding, or one of these vanishing, fails the test.
const KNOWN_FINDINGS = [
  'engine_strategy_latency_ms metric names should not contain abbreviated units',
  'market_data_latency_ms metric names should not contain abbreviated units',
  'order_processing_latency_ms metric names should not contain abbreviated units',
  'strategy_pnl_total non-counter metrics should not have "_total" suffix',
];

// A symbol with every character the text format must escape, plus multi-byte UTF-8: it proves
// escaping through the Go parser of a real Prometheus, not only through the linters.
const HOSTILE_SYMBOL = 'BTC"USD\\T\n€✓ 💹';

type Labels = Readonly<Record<string, string>>;

interface ExpectedSample {
  readonly name: string;
  readonly labels: Labels;
  value: number;
}

function sampleKey(name: string, labels: Labels): string {
  const sorted = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${name}${JSON.stringify(sorted)}`;
}

/**
 * Records into the catalogs and, independently, into a plain model of the expected samples. Calls
 * alternate between a bound handle and the unbound labelled call, so both paths are exposed.
 */
class Recording {
  readonly #samples = new Map<string, ExpectedSample>();
  readonly #histograms = new Map<string, { name: string; labels: Labels; bounds: readonly number[]; obs: number[] }>();
  #flip = false;

  #viaHandle(): boolean {
    this.#flip = !this.#flip;
    return this.#flip;
  }

  #sample(name: string, labels: Labels): ExpectedSample {
    const key = sampleKey(name, labels);
    let sample = this.#samples.get(key);
    if (sample === undefined) {
      sample = { name, labels, value: 0 };
      this.#samples.set(key, sample);
    }
    return sample;
  }

  add<L extends Labels>(family: CounterFamily<L>, labels: NoInfer<L>, by: number): void {
    if (this.#viaHandle()) family.bind(...([labels] as BindArgs<L>)).add(by);
    else family.add(labels, by);
    this.#sample(family.name, labels).value += by;
  }

  set<L extends Labels>(family: GaugeFamily<L>, labels: NoInfer<L>, value: number): void {
    if (this.#viaHandle()) family.bind(...([labels] as BindArgs<L>)).set(value);
    else family.set(labels, value);
    this.#sample(family.name, labels).value = value;
  }

  observe<L extends Labels>(family: HistogramFamily<L>, labels: NoInfer<L>, values: readonly number[]): void {
    const handle = this.#viaHandle() ? family.bind(...([labels] as BindArgs<L>)) : undefined;
    for (const value of values) {
      if (handle === undefined) family.observe(labels, value);
      else handle.observe(value);
    }
    const key = sampleKey(family.name, labels);
    let series = this.#histograms.get(key);
    if (series === undefined) {
      series = { name: family.name, labels, bounds: family.buckets, obs: [] };
      this.#histograms.set(key, series);
    }
    series.obs.push(...values);
  }

  /** Every sample the body must contain: histograms expanded to cumulative buckets, sum and count. */
  expected(): Map<string, ExpectedSample> {
    const out = new Map(this.#samples);
    const put = (name: string, labels: Labels, value: number): void => {
      out.set(sampleKey(name, labels), { name, labels, value });
    };
    for (const { name, labels, bounds, obs } of this.#histograms.values()) {
      for (const bound of bounds)
        put(`${name}_bucket`, { ...labels, le: String(bound) }, obs.filter((v) => v <= bound).length);
      put(`${name}_bucket`, { ...labels, le: '+Inf' }, obs.length);
      put(
        `${name}_sum`,
        labels,
        obs.reduce((sum, v) => sum + v, 0),
      );
      put(`${name}_count`, labels, obs.length);
    }
    return out;
  }
}

function recordEverything(): { writer: PrometheusWriter; expected: Map<string, ExpectedSample> } {
  const options = { onInvalidValue: throwOnInvalidValue, now: () => 1_700_000_000_000 };
  const md = new MarketDataMetrics(options);
  const gw = new GatewayMetrics(options);
  const sm = new StrategyMetrics(options);
  const engine = new EngineMetrics(options);
  const r = new Recording();

  r.add(md.received, { exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' }, 3);
  r.add(md.received, { exchange: 'okx', symbol: 'ETHUSDT', type: 'book' }, 1);
  r.observe(md.latency, { exchange: 'binance', type: 'trade' }, [0.5, 3, 7, 700, 6000]);
  r.observe(md.latency, { exchange: 'okx', type: 'book' }, [12]);
  r.set(md.connectionStatus, { exchange: 'binance' }, 1);
  r.set(md.connectionStatus, { exchange: 'okx' }, 0);
  r.add(md.reconnects, { exchange: 'okx' }, 2);
  r.add(md.parseErrors, { exchange: 'binance', reason: 'invalid_json' }, 1);
  r.add(md.dbWrites, { exchange: 'binance', table: 'trades' }, 1500);
  r.add(md.dbWriteErrors, { exchange: 'okx', reason: 'timeout' }, 1);
  r.add(md.dbWriteErrors, { exchange: 'okx', reason: 'dropped' }, 25);
  r.add(md.zmqPublished, { exchange: 'binance', type: 'trade' }, 3);
  r.set(md.lastPrice, { exchange: 'binance', symbol: 'BTCUSDT' }, 67321.5);
  r.set(md.lastPrice, { exchange: 'okx', symbol: 'ETHUSDT' }, 3456.78);
  r.set(md.lastPrice, { exchange: 'okx', symbol: HOSTILE_SYMBOL }, 0.000123);
  r.set(md.volume24h, { exchange: 'binance', symbol: 'BTCUSDT' }, 12345.678);

  r.add(gw.orders, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy', type: 'limit' }, 5);
  r.add(gw.orders, { exchange: 'okx', symbol: 'ETHUSDT', side: 'sell', type: 'market' }, 2);
  r.add(gw.ordersSuccess, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' }, 4);
  r.add(gw.ordersFailed, { exchange: 'binance', reason: 'timeout' }, 1);
  r.add(gw.ordersRiskRejected, { exchange: 'okx', rule: 'max_notional' }, 1);
  r.observe(gw.orderLatency, { exchange: 'binance', operation: 'new' }, [3.2, 48]);
  r.observe(gw.orderLatency, { exchange: 'okx', operation: 'cancel' }, [1200]);
  r.add(gw.trades, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' }, 3);
  r.add(gw.tradeVolume, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' }, 201964.5);
  r.add(gw.commission, { exchange: 'binance', symbol: 'BTCUSDT' }, 20.19645);
  r.set(gw.position, { exchange: 'binance', symbol: 'BTCUSDT' }, 0.75);
  r.set(gw.position, { exchange: 'okx', symbol: 'ETHUSDT' }, -2.5);
  r.add(gw.rateLimitHits, { exchange: 'bybit', endpoint: 'order' }, 1);
  r.add(gw.orderRetries, { exchange: 'coinbase', reason: 'network' }, 2);
  r.set(gw.activeOrders, { exchange: 'binance', symbol: 'BTCUSDT' }, 2);
  r.set(gw.riskExposure, { exchange: 'binance' }, 50491.125);
  r.set(gw.maxDrawdown, { exchange: 'binance' }, 1234.5);

  r.set(sm.pnl, { strategy: 'ma_cross' }, 1250.5);
  r.set(sm.pnl, { strategy: 'mean_rev' }, -310.25);
  r.set(sm.realizedPnl, { strategy: 'ma_cross' }, 1000.25);
  r.set(sm.unrealizedPnl, { strategy: 'ma_cross' }, 250.25);
  r.set(sm.positionSize, { strategy: 'ma_cross', symbol: 'BTCUSDT' }, 0.75);
  r.set(sm.positionValue, { strategy: 'ma_cross', symbol: 'BTCUSDT' }, 50491.125);
  r.add(sm.trades, { strategy: 'ma_cross', side: 'buy' }, 3);
  r.add(sm.trades, { strategy: 'ma_cross', side: 'sell' }, 2);
  r.set(sm.winRate, { strategy: 'ma_cross' }, 0.6);
  r.add(sm.winningTrades, { strategy: 'ma_cross' }, 3);
  r.add(sm.losingTrades, { strategy: 'ma_cross' }, 2);
  r.set(sm.avgProfit, { strategy: 'ma_cross' }, 450.5);
  r.set(sm.avgLoss, { strategy: 'ma_cross' }, 175.125);
  r.set(sm.maxDrawdown, { strategy: 'ma_cross' }, 400);
  r.set(sm.sharpe, { strategy: 'ma_cross' }, 1.85);
  // Declared nonFinite: 'emit': NaN until enough samples.
  r.set(sm.sharpe, { strategy: 'mean_rev' }, Number.NaN);

  r.add(engine.marketDataReceived, { exchange: 'binance', type: 'trade' }, 1000);
  r.add(engine.ordersSent, { strategy: 'ma_cross', exchange: 'binance', side: 'buy' }, 5);
  r.add(engine.tradesReceived, { strategy: 'ma_cross', exchange: 'binance' }, 3);
  r.observe(engine.strategyLatency, { strategy: 'ma_cross' }, [0.07, 0.3, 300]);
  r.set(engine.activeStrategies, {}, 2);
  r.set(engine.uptime, {}, 3600.5);

  // The contract's catalog families alone; the self-metrics appended by default have their own tests
  // (src/self-metrics) and appear in the served body below.
  return { writer: new PrometheusWriter([md, gw, sm, engine], { selfMetrics: false }), expected: r.expected() };
}

const { writer, expected } = recordEverything();
const body = writer.renderText();

describe('the four-catalog body', () => {
  it('declares every family once, with its kind, the contract names among them', () => {
    const types = [...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect([...types].sort()).toEqual(DECLARED.map(([name, kind]) => `${name} ${kind}`).sort());
    expect(new Set(types).size).toBe(types.length);
    const missing = CONTRACT_METRICS.filter(([name, kind]) => !types.includes(`${name} ${kind}`));
    expect(missing).toEqual([]);
  });

  it('is served as text format 0.0.4', () => {
    expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});

describeWithTools('promtool check metrics on the four-catalog body', ['promtool'], () => {
  it('reports exactly the known findings of the original names', async () => {
    const { code, findings } = await promtoolCheckMetrics(body);
    expect([...findings].sort()).toEqual(KNOWN_FINDINGS);
    // 3 = lint findings only; 1 would be a parse error.
    expect(code).toBe(3);
  });
});

describeWithTools('python3-prometheus-client parses the four-catalog body', ['python-prometheus-client'], () => {
  it('finds exactly the declared families, with their kinds, help and recorded values', async () => {
    const families = await parseWithPython(body);
    // The classic parser strips `_total` from a counter family's name (its samples keep it).
    const parsed = families.map((f) => [f.type === 'counter' ? `${f.name}_total` : f.name, f.type]);
    const byName = (a: readonly string[], b: readonly string[]): number => (a[0]! < b[0]! ? -1 : 1);
    expect(parsed.sort(byName)).toEqual(DECLARED.map(([n, k]) => [n, k]).sort(byName));

    const help = new Map(writer.sources.flatMap((s) => s['~families'].map((f) => [f.name, f.help] as const)));
    for (const family of families) {
      expect(family.help).toBe(help.get(family.type === 'counter' ? `${family.name}_total` : family.name));
    }

    const samples = families.flatMap((f) => f.samples);
    const keys = samples.map((s) => sampleKey(s.name, s.labels));
    expect(new Set(keys).size, 'duplicate series').toBe(keys.length);
    expect(keys.sort()).toEqual([...expected.keys()].sort());
    for (const sample of samples) {
      const want = expected.get(sampleKey(sample.name, sample.labels));
      expect(want, `unexpected sample ${sample.name} ${JSON.stringify(sample.labels)}`).toBeDefined();
      // Object.is: NaN equals NaN, and -0 would not pass for 0.
      expect(Object.is(pyFloat(sample.value), want?.value), `${sample.name} ${sample.value} vs ${want?.value}`).toBe(
        true,
      );
    }
    expect(samples.some((s) => s.labels['symbol'] === HOSTILE_SYMBOL)).toBe(true);
  });
});

describeWithTools(
  'a real Prometheus 2.42 scrapes createMetricsServer serving the four catalogs',
  ['prometheus', 'promtool'],
  () => {
    let server: MetricsServer | undefined;
    let prometheus: PrometheusServer | undefined;
    let scrapeUrl = '';

    beforeAll(async () => {
      // The server the services run, with its default Node.js runtime metrics beside the catalogs.
      server = createMetricsServer({ service: 'conformance', sources: writer.sources, port: 0 });
      const { url, port } = await server.listen();
      scrapeUrl = `${url}/metrics`;
      prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`], scrapeInterval: '1s' });
    });

    afterAll(async () => {
      await prometheus?.stop();
      await server?.close();
    });

    it('serves a body whose only promtool findings are the known original names, with the runtime metrics beside the catalogs', async () => {
      const response = await fetch(scrapeUrl);
      expect(response.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
      const served = await response.text();
      const { findings } = await promtoolCheckMetrics(served);
      expect([...findings].sort()).toEqual(KNOWN_FINDINGS);
      const names = new Set([...served.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string));
      const catalogNames = new Set(DECLARED.map(([name]) => name));
      const others = [...names].filter((n) => !catalogNames.has(n));
      // Nothing unnamed besides the SDK's self-metrics and every runtime metric
      // (docs/metrics.md, "Self-metrics" and "Runtime metrics").
      const runtimeNames = Object.values(runtimeDefinitions).map((d) => d.name);
      expect(others.sort()).toEqual(
        [DROPPED_EXEMPLARS_METRIC, DROPPED_VALUES_METRIC, OVERFLOW_RECORDS_METRIC, ...runtimeNames].sort(),
      );
      expect(others.filter((n) => (OMITTED_RUNTIME_METRICS as readonly string[]).includes(n))).toEqual([]);
      expect(DECLARED.filter(([n]) => !names.has(n))).toEqual([]);
    });

    it('finds the target up with no scrape error, and stores its values', async () => {
      const prom = prometheus!;
      const [target] = await scrapedTargets(prom.api, { timeoutMs: 15_000 });
      expect(target.scrapeUrl).toBe(scrapeUrl);
      expect(target.lastError).toBe('');
      expect(target.health).toBe('up');

      const active = await pollQuery(prom.api, 'engine_active_strategies', { timeoutMs: 5_000 });
      expect(active.map((r) => r.value[1])).toEqual(['2']);
      const hostile = await pollQuery(prom.api, 'market_last_price{exchange="okx"}', { timeoutMs: 5_000 });
      const bySymbol = Object.fromEntries(hostile.map((r) => [r.metric['symbol'], r.value[1]]));
      expect(bySymbol).toEqual({ ETHUSDT: '3456.78', [HOSTILE_SYMBOL]: '0.000123' });
    });
  },
);
