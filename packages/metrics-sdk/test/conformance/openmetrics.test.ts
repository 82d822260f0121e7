// Conformance of the OpenMetrics 1.0.0 exposition with Debian's strict OpenMetrics parser
// (python3-prometheus-client, prometheus_client.openmetrics.parser) and with a real Prometheus 2.42
// scraping it (Go's OpenMetrics parser). One body holds all four catalogs with every metric recorded,
// hostile label values included; an independent model of what was recorded gives the expected
// families and samples, and the same catalogs' 0.0.4 body, read by the classic parser, must hold the
// same values.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  describeWithTools,
  type PrometheusServer,
  parseOpenMetricsWithPython,
  parseWithPython,
  pollQuery,
  pyFloat,
  scrapedTargets,
  startPrometheus,
  type VectorSample,
} from '@ttquant/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineMetrics } from '../../src/catalogs/engine.js';
import { GatewayMetrics } from '../../src/catalogs/gateway.js';
import { MarketDataMetrics } from '../../src/catalogs/market-data.js';
import { StrategyMetrics } from '../../src/catalogs/strategy.js';
import type { Catalog } from '../../src/define/catalog.js';
import type { MetricDef } from '../../src/define/metric.js';
import { OPENMETRICS_CONTENT_TYPE, OpenMetricsWriter } from '../../src/exposition/openmetrics-text.js';
import { PrometheusWriter } from '../../src/exposition/prometheus-text.js';
import type { CounterFamily, GaugeFamily, HistogramFamily } from '../../src/storage/families.js';
import { throwOnInvalidValue } from '../../src/storage/invalid.js';
import { CONTRACT_METRICS } from '../contract.js';

// Every character OpenMetrics escapes, plus multi-byte UTF-8.
const HOSTILE_SYMBOL = 'BTC"USD\\T\n€✓ 💹';
const NOW_MS = 1_700_000_000_250;
const CATALOGS = [MarketDataMetrics, GatewayMetrics, StrategyMetrics, EngineMetrics] as const;

type Labels = Readonly<Record<string, string>>;

function sampleKey(name: string, labels: Labels): string {
  // `le` compared as a number: the OpenMetrics body spells bounds canonically (`1.0`), 0.0.4 does not.
  const entries = Object.entries(labels).map(([k, v]) => [
    k,
    k === 'le' ? String(v === '+Inf' ? Infinity : Number(v)) : v,
  ]);
  entries.sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1));
  return `${name}${JSON.stringify(entries)}`;
}

interface ExpectedFamily {
  readonly name: string;
  readonly type: string;
  readonly unit: string;
  readonly help: string;
}

/**
 * Two label sets per metric from its declaration: the first closed value and `BTCUSDT` for open
 * labels, then the last closed value and the hostile symbol (one set when there is no choice).
 */
function labelSets(def: MetricDef): Labels[] {
  const entries = Object.entries(def.labels);
  const pick = (last: boolean): Labels =>
    Object.fromEntries(
      entries.map(([name, d]) => [
        name,
        d.kind === 'closed' ? (d.values[last ? d.values.length - 1 : 0] as string) : last ? HOSTILE_SYMBOL : 'BTCUSDT',
      ]),
    );
  const sets = [pick(false), pick(true)];
  return sampleKey('', sets[0] as Labels) === sampleKey('', sets[1] as Labels) ? [sets[0] as Labels] : sets;
}

/** The unit OpenMetrics requires as the family name's suffix, spelled as our names spell it. */
function expectedUnit(family: string, unit: string): string {
  const spelling = ({ ms: 'ms', s: 'seconds', usd: 'usd' } as Record<string, string>)[unit];
  return spelling !== undefined && family.endsWith(`_${spelling}`) ? spelling : '';
}

function recordEverything() {
  const options = { onInvalidValue: throwOnInvalidValue, now: () => NOW_MS };
  const instances: Catalog[] = CATALOGS.map((C) => new C(options) as Catalog);
  const families: ExpectedFamily[] = [];
  const samples = new Map<string, number>();
  const put = (name: string, labels: Labels, value: number): void => {
    samples.set(sampleKey(name, labels), value);
  };
  let k = 0;
  CATALOGS.forEach((C, c) => {
    const instance = instances[c] as unknown as Record<string, unknown>;
    for (const [key, def] of Object.entries(C.definitions as Record<string, MetricDef>)) {
      const family = def.kind === 'counter' ? def.name.replace(/_total$/, '') : def.name;
      families.push({ name: family, type: def.kind, unit: expectedUnit(family, def.unit), help: def.help });
      labelSets(def).forEach((labels, i) => {
        k++;
        if (def.kind === 'counter') {
          const by = k + 0.5;
          (instance[key] as CounterFamily<Labels>).add(labels, by);
          put(`${family}_total`, labels, by);
          put(`${family}_created`, labels, NOW_MS / 1000);
        } else if (def.kind === 'gauge') {
          // Negative values (P&L), and NaN where the metric declares it may show one (Sharpe).
          const value = def.nonFinite === 'emit' && i === 1 ? Number.NaN : (i === 0 ? 1 : -1) * (k + 0.25);
          (instance[key] as GaugeFamily<Labels>).set(labels, value);
          put(def.name, labels, value);
        } else {
          const observed = [0.07, 3, 700, 1e9].slice(i);
          for (const value of observed) (instance[key] as HistogramFamily<Labels>).observe(labels, value);
          for (const bound of [...def.buckets, Number.POSITIVE_INFINITY]) {
            put(`${def.name}_bucket`, { ...labels, le: String(bound) }, observed.filter((v) => v <= bound).length);
          }
          put(`${def.name}_count`, labels, observed.length);
          put(
            `${def.name}_sum`,
            labels,
            observed.reduce((a, b) => a + b, 0),
          );
          put(`${def.name}_created`, labels, NOW_MS / 1000);
        }
      });
    }
  });
  return { instances, families, samples };
}

const { instances, families: expectedFamilies, samples: expectedSamples } = recordEverything();
const body = new OpenMetricsWriter(instances, { selfMetrics: false }).renderText();

describe('the four-catalog OpenMetrics body', () => {
  it('declares every contract metric, under its OpenMetrics family name', () => {
    const types = [...body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    const want = CONTRACT_METRICS.map(
      ([name, kind]) => `${kind === 'counter' ? name.replace(/_total$/, '') : name} ${kind}`,
    );
    expect(want.filter((t) => !types.includes(t))).toEqual([]);
    expect(types).toEqual(expectedFamilies.map((f) => `${f.name} ${f.type}`));
    expect(body).toContain('# TYPE strategy_pnl_total gauge\n');
    expect(body.endsWith('\n# EOF\n')).toBe(true);
  });

  it('spells every le as a float, +Inf exactly', () => {
    const les = [...body.matchAll(/[{,]le="([^"]*)"/g)].map((m) => m[1] as string);
    expect(les.length).toBeGreaterThan(0);
    expect(les.filter((le) => le !== '+Inf' && !/^-?\d+(\.\d+|(\.\d+)?e[+-]\d\d+)$/.test(le))).toEqual([]);
  });
});

describeWithTools(
  'the strict python OpenMetrics parser reads the four-catalog body',
  ['python-prometheus-client'],
  () => {
    it('finds exactly the declared families, with type, unit and help, and every recorded sample', async () => {
      const families = await parseOpenMetricsWithPython(body);
      expect(families.map(({ name, type, unit, help }) => ({ name, type, unit, help }))).toEqual(expectedFamilies);
      // Units written where the name ends with one: the `_ms` histograms, `_seconds` and `_usd` gauges.
      expect(families.filter((f) => f.unit !== '').map((f) => `${f.name} ${f.unit}`)).toContain(
        'market_data_latency_ms ms',
      );

      const samples = families.flatMap((f) => f.samples);
      const keys = samples.map((s) => sampleKey(s.name, s.labels));
      expect(new Set(keys).size, 'duplicate series').toBe(keys.length);
      expect([...keys].sort()).toEqual([...expectedSamples.keys()].sort());
      for (const sample of samples) {
        const want = expectedSamples.get(sampleKey(sample.name, sample.labels));
        // Object.is: NaN equals NaN.
        expect(Object.is(pyFloat(sample.value), want), `${sample.name} ${sample.value} vs ${want}`).toBe(true);
      }
      expect(samples.filter((s) => s.labels['symbol'] === HOSTILE_SYMBOL).length).toBeGreaterThan(0);
      const pnl = families.find((f) => f.name === 'strategy_pnl_total');
      expect(pnl?.type).toBe('gauge');
      expect(pnl?.samples.map((s) => s.name)).toEqual(['strategy_pnl_total', 'strategy_pnl_total']);
    });

    it('holds the same values as the 0.0.4 body of the same catalogs, read by the classic parser', async () => {
      const [om, classic] = await Promise.all([
        parseOpenMetricsWithPython(body),
        parseWithPython(new PrometheusWriter(instances, { selfMetrics: false }).renderText()),
      ]);
      const values = (list: typeof classic) =>
        new Map(list.flatMap((f) => f.samples).map((s) => [sampleKey(s.name, s.labels), pyFloat(s.value)] as const));
      const fromOm = values(om);
      const fromClassic = values(classic);
      for (const [key, value] of fromClassic) {
        expect(Object.is(fromOm.get(key), value), key).toBe(true);
      }
      // What OpenMetrics adds: one _created per counter and histogram series, nothing else.
      const extra = [...fromOm.keys()].filter((key) => !fromClassic.has(key));
      expect(extra.every((key) => /^[a-z_]+_created\[/.test(key))).toBe(true);
      expect(extra.length).toBe([...expectedSamples.keys()].filter((key) => /^[a-z_]+_created\[/.test(key)).length);
    });

    it('accepts the body with the self-metrics appended', async () => {
      const withSelf = new OpenMetricsWriter(instances).renderText();
      const families = await parseOpenMetricsWithPython(withSelf);
      expect(families.map((f) => f.name)).toContain('ttquant_metrics_dropped_values');
    });
  },
);

describeWithTools('a real Prometheus 2.42 scrapes the four-catalog OpenMetrics body', ['prometheus'], () => {
  let server: Server | undefined;
  let prometheus: PrometheusServer | undefined;
  const accepts: string[] = [];

  beforeAll(async () => {
    // A bare server with the OpenMetrics content type: what is tested is the body, not negotiation.
    server = createServer((request, response) => {
      accepts.push(request.headers.accept ?? '');
      response.writeHead(200, { 'content-type': OPENMETRICS_CONTENT_TYPE });
      response.end(body);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`], scrapeInterval: '1s' });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('is up with no scrape error, and stores the values, le and hostile labels as written', async () => {
    const prom = prometheus as PrometheusServer;
    const [target] = await scrapedTargets(prom.api, { timeoutMs: 15_000 });
    expect(target.lastError).toBe('');
    expect(target.health).toBe('up');
    expect(accepts[0]).toMatch(/^application\/openmetrics-text/);
    const query = (q: string): Promise<VectorSample[]> => pollQuery(prom.api, q, { timeoutMs: 5_000 });
    const values = async (q: string, label: string): Promise<Record<string, string>> =>
      Object.fromEntries((await query(q)).map((r) => [r.metric[label], r.value[1]]));
    const want = (name: string, labels: Labels): string => String(expectedSamples.get(sampleKey(name, labels)));

    // The gauge named _total, negative values included, under its own name.
    const pnl = await values('strategy_pnl_total', 'strategy');
    expect(Object.keys(pnl).length).toBeGreaterThan(0);
    for (const [strategy, value] of Object.entries(pnl)) expect(value).toBe(want('strategy_pnl_total', { strategy }));
    // A hostile symbol round-trips through Go's OpenMetrics parser.
    const prices = await values('market_last_price', 'symbol');
    expect(Object.keys(prices)).toContain(HOSTILE_SYMBOL);
    // Counters keep their _total series name; le is stored as written (`1.0`).
    expect((await query('orders_total')).length).toBeGreaterThan(0);
    // Prometheus 2.42 stores each _created sample as a series of its own (one more series per counter
    // and histogram series); later versions can read it as the created timestamp instead.
    const created = await query('orders_created');
    expect(created.map((r) => r.value[1])).toEqual(created.map(() => String(NOW_MS / 1000)));
    const les = Object.keys(await values('market_data_latency_ms_bucket', 'le'));
    expect(les).toContain('1.0');
    expect(les).toContain('+Inf');
  });
});
