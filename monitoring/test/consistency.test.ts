import { readdirSync, readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import {
  closed,
  DROPPED_EXEMPLARS_METRIC,
  DROPPED_VALUES_METRIC,
  EngineMetrics,
  GatewayMetrics,
  histogram,
  MarketDataMetrics,
  OVERFLOW_RECORDS_METRIC,
  PrometheusWriter,
  StrategyMetrics,
  TRADING_CATALOGS,
  type TradingCatalogInfo,
} from '@ttquant/metrics';
import { readExposition } from '@ttquant/test-kit';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { jobList, monitoringConfig } from '../src/config.js';
import { externalMetrics, SDK_JOBS } from '../src/external-metrics.js';
import { checkExpression, checkRules } from '../src/promql-check/check.js';
import { catalogVocabulary } from '../src/promql-check/vocabulary.js';
import { alertGroups, recordingGroups } from '../src/rules/index.js';
import { monitoringPath } from './helpers/paths.js';

const exchange = closed('binance', 'okx');

// Every PromQL expression in the generated rules, parsed with Prometheus' lezer grammar, may only
// name catalog series (histograms through _bucket/_sum/_count), the allowed external metrics (of
// Prometheus, the exporters, and the SDK's own self-metrics), or recorded series, and only labels
// those series carry.

interface RulesFile {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[];
}
const readRules = (path: string) =>
  (parse(readFileSync(monitoringPath(path), 'utf8')) as RulesFile).groups.flatMap((group) => group.rules);
const recording = readRules('generated/recording-rules.yml').map((rule) => ({
  record: rule.record ?? '',
  expr: rule.expr,
}));
const alerting = readRules('generated/alerts.yml').map((rule) => ({ alert: rule.alert ?? '', expr: rule.expr }));

describe('PromQL in the generated rules', () => {
  it('names only catalog series, allowed external metrics and recorded series, with their labels', () => {
    const { issues } = checkRules(catalogVocabulary(), recording, alerting);
    expect(issues.map((issue) => `${issue.rule}: ${issue.message}`)).toEqual([]);
  });

  it('checks every rule the rule modules declare, as the generated files hold them', () => {
    expect(recording.map((rule) => rule.record)).toEqual(
      recordingGroups.flatMap((group) => group.rules.map((rule) => rule.record)),
    );
    expect(alerting.map((rule) => rule.alert)).toEqual(
      alertGroups.flatMap((group) => group.alerts.map((a) => a.rule.alert)),
    );
    expect(recording.length * alerting.length).toBeGreaterThan(0);
  });

  it('uses external metrics only from the allow-list, and every allowed one', () => {
    const { vocabulary } = checkRules(catalogVocabulary(), recording, []);
    const selected = new Set(
      [...recording, ...alerting].flatMap((rule) => [...checkExpression(rule.expr, vocabulary).selected]),
    );
    const catalogSeries = new Set(
      TRADING_CATALOGS.flatMap(({ definitions: defs }) =>
        Object.values(defs).flatMap((def) =>
          // A histogram's classic series, and the bare name of its native form.
          def.kind === 'histogram'
            ? [`${def.name}_bucket`, `${def.name}_sum`, `${def.name}_count`, def.name]
            : [def.name],
        ),
      ),
    );
    const external = [...selected].filter((name) => !catalogSeries.has(name) && !name.includes(':')).sort();
    expect(external).toEqual(
      Object.values(externalMetrics)
        .map((metric) => metric.name)
        .sort(),
    );
  });
});

describe('the checker fails on what it must catch', () => {
  const vocabulary = checkRules(catalogVocabulary(), recording, []).vocabulary;
  const messages = (expr: string) => checkExpression(expr, vocabulary).issues.map((issue) => issue.message);

  it.each([
    ['a metric no catalog has', 'market_data_recieved_total', 'unknown metric "market_data_recieved_total"'],
    ['an unknown external metric', 'node_load1', 'unknown metric "node_load1"'],
    [
      'a native histogram read as a float',
      'rate(market_data_latency_ms[1m])',
      'the result cannot take the native histogram market_data_latency_ms',
    ],
    [
      'a label the metric lacks',
      'orders_failed_total{rule="max_position"}',
      'orders_failed_total (GatewayMetrics) has no label "rule"',
    ],
    ['a closed value outside the domain', 'orders_total{exchange="kraken"}', 'label "exchange" has no value "kraken"'],
    ['a regex alternative outside the domain', 'orders_total{side=~"buy|hold"}', 'label "side" has no value "hold"'],
    [
      'a bucket bound that does not exist',
      'order_processing_latency_ms_bucket{le="750"}',
      'label "le" has no value "750"',
    ],
    [
      'by() on a label the input lacks',
      'sum by (exchange) (strategy_pnl_total)',
      'sum by: label "exchange" does not exist here',
    ],
    [
      'by() on a label an inner aggregation dropped',
      'sum by (symbol) (sum by (exchange) (rate(orders_total[5m])))',
      'sum by: label "symbol" does not exist here',
    ],
    [
      'without() on a missing label',
      'sum without (symbol) (risk_exposure_usd)',
      'sum without: label "symbol" does not exist here',
    ],
    ['on() on a missing label', 'up == on (exchange) up', 'on() left side: label "exchange" does not exist here'],
    [
      'a recorded series with a label it does not keep',
      'job_exchange:orders_failed:ratio_rate5m{reason="timeout"}',
      'has no label "reason"',
    ],
    [
      'rate() over a gauge',
      'rate(strategy_pnl_total[5m])',
      'rate() needs a counter, but strategy_pnl_total is a gauge',
    ],
    [
      'histogram_quantile without le',
      'histogram_quantile(0.99, sum by (exchange) (rate(market_data_latency_ms_bucket[1m])))',
      'needs the "le" label',
    ],
    ['a node-exporter label that does not exist', 'node_cpu_seconds_total{core="0"}', 'has no label "core"'],
    [
      'an SDK self-metrics label that does not exist',
      'ttquant_metrics_dropped_values_total{symbol="BTCUSDT"}',
      'ttquant_metrics_dropped_values_total (@ttquant/metrics) has no label "symbol"',
    ],
    [
      'rate() over an SDK counter spelled wrong',
      'rate(ttquant_metrics_overflow_total[5m])',
      'unknown metric "ttquant_metrics_overflow_total"',
    ],
    ['a syntax error', 'sum by (job) (rate(orders_total[5m])', 'syntax error'],
  ])('%s', (_, expr, expected) => {
    expect(messages(expr).join('\n')).toContain(expected);
  });

  it('accepts correct expressions', () => {
    for (const expr of [
      'sum by (exchange, reason) (rate(orders_failed_total{exchange=~"okx|binance"}[5m]))',
      'histogram_quantile(0.5, sum by (job, exchange, le) (rate(order_processing_latency_ms_bucket{le!="+Inf"}[1m])))',
      'job_exchange:market_data_latency_ms:p95_1m{exchange="okx"}',
      'strategy_sharpe_ratio == strategy_sharpe_ratio',
      'sum by (exchange) (rate(orders_total[1m])) / on (exchange) group_left () sum by (exchange) (active_orders)',
      'sum by (datname, state) (pg_stat_activity_count)',
      'sum by (job, metric) (increase(ttquant_metrics_overflow_records_total{metric="orders_total"}[10m]))',
    ]) {
      expect(messages(expr), expr).toEqual([]);
    }
  });
});

// Native histograms: the bare name of a histogram the catalog declares native is its native form,
// readable only through rate()/increase() feeding the histogram functions; a classic-only
// histogram still has no bare name.
describe('the checker and native histograms', () => {
  const classicOnly = histogram(
    'classic_latency_ms',
    'A latency without native resolution.',
    { exchange },
    {
      unit: 'ms',
      buckets: [1, 10, 100],
    },
  );
  const nativeLatency = histogram(
    'native_latency_ms',
    'A latency with native resolution.',
    { exchange },
    {
      unit: 'ms',
      buckets: [1, 10, 100],
      native: true,
    },
  );
  const info = TRADING_CATALOGS[0] as TradingCatalogInfo;
  const vocabulary = catalogVocabulary(Object.values(externalMetrics), [
    ...TRADING_CATALOGS,
    { ...info, className: 'TestMetrics', definitions: { classicOnly, nativeLatency } },
  ]);
  const messages = (expr: string) => checkExpression(expr, vocabulary).issues.map((issue) => issue.message);

  it('knows the bare name of every histogram the catalogs declare native, and of no other', () => {
    const histograms = [
      ...TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions)),
      classicOnly,
      nativeLatency,
    ].filter((def) => def.kind === 'histogram');
    const bare = histograms.filter((def) => vocabulary.series.get(def.name)?.kind === 'histogram_native');
    expect(bare.map((def) => def.name)).toEqual(
      histograms.filter((def) => def.native !== undefined).map((d) => d.name),
    );
    expect(bare.length).toBeGreaterThan(0);
    expect(bare.map((def) => def.name)).not.toContain(classicOnly.name);
  });

  it.each([
    'histogram_quantile(0.99, sum(rate(native_latency_ms[1m])))',
    'histogram_quantile(0.99, sum by (job, exchange) (rate(native_latency_ms{job="gateway"}[1m])))',
    'histogram_quantile(0.5, avg by (exchange) (increase(native_latency_ms[5m])))',
    'sum by (exchange) (histogram_count(rate(native_latency_ms[5m])))',
    'histogram_sum(rate(native_latency_ms[5m])) / histogram_count(rate(native_latency_ms[5m]))',
    'histogram_fraction(0, 10, sum(rate(native_latency_ms[5m])))',
    'histogram_quantile(0.5, sum by (exchange, le) (rate(native_latency_ms_bucket[1m]))) or histogram_quantile(0.5, sum by (exchange) (rate(native_latency_ms[1m])))',
  ])('accepts the native form of a native histogram where PromQL reads it: %s', (expr) => {
    expect(messages(expr)).toEqual([]);
  });

  it('keeps the result labels of the native form as those of the classic form, so `or` pairs them', () => {
    const labels = (expr: string) => [...(checkExpression(expr, vocabulary).labels ?? [])].sort();
    expect(labels('histogram_quantile(0.5, sum by (job, exchange) (rate(native_latency_ms[1m])))')).toEqual(
      labels('histogram_quantile(0.5, sum by (job, exchange, le) (rate(native_latency_ms_bucket[1m])))'),
    );
  });

  it.each([
    [
      'a classic-only histogram by its bare name',
      'rate(classic_latency_ms[1m])',
      '"classic_latency_ms" is a histogram',
    ],
    [
      'a classic-only histogram in a quantile of the native form',
      'histogram_quantile(0.99, sum(rate(classic_latency_ms[1m])))',
      '"classic_latency_ms" is a histogram: select classic_latency_ms_bucket',
    ],
    [
      'the native form selected as it is',
      'native_latency_ms',
      'the result cannot take the native histogram native_latency_ms: wrap it in rate(',
    ],
    [
      'the native form without rate()',
      'histogram_count(native_latency_ms)',
      'histogram_count() cannot take the native histogram native_latency_ms: wrap it in rate(',
    ],
    ['irate() of the native form', 'irate(native_latency_ms[1m])', 'irate() cannot take the native histogram'],
    [
      'a rate of native histograms compared as a float',
      'sum(rate(native_latency_ms[1m])) > 0',
      'the operator > cannot take the native histogram native_latency_ms',
    ],
    ['max of native histograms', 'max(rate(native_latency_ms[1m]))', 'max cannot take the native histogram'],
    [
      'histogram_count() of a classic series',
      'histogram_count(rate(native_latency_ms_count[1m]))',
      'histogram_count() needs native histograms',
    ],
    [
      'a label the native form lacks',
      'histogram_quantile(0.5, sum by (le) (rate(native_latency_ms[1m])))',
      'sum by: label "le" does not exist here',
    ],
  ])('rejects %s', (_, expr, expected) => {
    expect(messages(expr).join('\n')).toContain(expected);
  });
});

describe('rule sources', () => {
  // Metric names come from the catalog definitions (`.name`) and external-metrics.ts, never from
  // string literals in the rule files, so a renamed metric cannot leave a rule behind. Comments may
  // mention names.
  const sources = readdirSync(monitoringPath('src/rules'))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({
      file,
      code: readFileSync(monitoringPath('src/rules', file), 'utf8')
        .replace(/\/\*.*?\*\//gs, '')
        .replace(/\/\/.*$/gm, ''),
    }));
  const names = [
    ...TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions).map((def) => def.name)),
    // `up` is also an English word in the descriptions; its selectors are checked below.
    ...Object.values(externalMetrics)
      .map((metric) => metric.name)
      .filter((name) => name !== 'up'),
  ];

  it('spell no metric name in code', () => {
    expect(sources.length).toBeGreaterThanOrEqual(8);
    const literal = sources.flatMap(({ file, code }) =>
      names.filter((name) => new RegExp(`\\b${name}\\b`).test(code)).map((name) => `${file}: ${name}`),
    );
    expect(literal).toEqual([]);
  });
});

// Each service's metrics live behind its own job: every selector in the rules carries a job matcher,
// and it names the job that exposes the metric (from the configuration, so renaming a job in
// config.ts moves every rule with it). The SDK's self-metrics metrics come from every process that
// runs the SDK, so their selectors name exactly those jobs, as `job=~"a|b|c"`.
describe('job selectors in the generated rules', () => {
  const jobName = (key: keyof typeof monitoringConfig.jobs) => monitoringConfig.jobs[key].name;
  const jobsOf: Record<string, readonly string[]> = {
    MarketDataMetrics: [jobName('marketData')],
    GatewayMetrics: [jobName('gateway')],
    StrategyMetrics: [jobName('strategyEngine')],
    EngineMetrics: [jobName('strategyEngine')],
    'node-exporter': [jobName('node')],
    'postgres-exporter': [jobName('database')],
    '@ttquant/metrics': SDK_JOBS.map(jobName),
  };
  const owner = new Map<string, readonly string[]>();
  for (const info of catalogVocabulary().series.values()) {
    const jobs = jobsOf[info.origin];
    if (jobs !== undefined) owner.set(info.name, jobs);
  }

  /**
   * The jobs a selector's job matcher names: `job="a"`, or `job=~"a|b"` (alternatives of plain
   * names), which only a metric exposed by several jobs may use.
   */
  const matchedJobs = (selector: string): { jobs: string[]; regex: boolean } | undefined => {
    const equal = /job="([^"]*)"/.exec(selector)?.[1];
    if (equal !== undefined) return { jobs: [equal], regex: false };
    const alternatives = /job=~"([\w|-]*)"/.exec(selector)?.[1];
    return alternatives === undefined ? undefined : { jobs: alternatives.split('|'), regex: true };
  };

  it('select every scraped series with the job that exposes it', () => {
    const wrong: string[] = [];
    let selectors = 0;
    const known = jobList().map((spec) => spec.name);
    for (const rule of [...recording, ...alerting]) {
      parser.parse(rule.expr).iterate({
        enter(node) {
          if (node.name !== 'VectorSelector') return;
          const text = rule.expr.slice(node.from, node.to);
          const name = /^[a-zA-Z_:][\w:]*/.exec(text)?.[0] ?? '';
          if (name.includes(':')) return; // recorded: its job label comes from its source
          selectors += 1;
          const matched = matchedJobs(text);
          const expected = owner.get(name);
          if (
            matched === undefined ||
            matched.jobs.some((job) => !known.includes(job)) ||
            (matched.regex && (expected === undefined || expected.length < 2)) ||
            (expected !== undefined && [...matched.jobs].sort().join('|') !== [...expected].sort().join('|'))
          ) {
            wrong.push(`${'record' in rule ? rule.record : rule.alert}: ${text}`);
          }
        },
      });
    }
    expect(selectors).toBeGreaterThan(25);
    expect(wrong).toEqual([]);
  });

  it('select the SDK self-metrics metrics on the market-data, gateway and strategy-engine jobs', () => {
    expect(jobsOf['@ttquant/metrics']).toEqual(['market-data', 'gateway', 'strategy-engine']);
    expect(matchedJobs('x{job=~"market-data|gateway"}')).toEqual({ jobs: ['market-data', 'gateway'], regex: true });
    expect(matchedJobs('x{job="gateway"}')).toEqual({ jobs: ['gateway'], regex: false });
    expect(matchedJobs('x{exchange="okx"}')).toBeUndefined();
  });
});

// The SDK self-metrics metrics the rules may read are modelled in external-metrics.ts; this holds that
// model to what the SDK really writes, so a new or renamed self-metric cannot slip past the
// rules and the checker.
describe('the SDK self-metrics metrics', () => {
  const exposed = readExposition(
    new PrometheusWriter([
      new MarketDataMetrics(),
      new GatewayMetrics(),
      new StrategyMetrics(),
      new EngineMetrics(),
    ]).renderText(),
  );
  const catalogNames = new Set(TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions).map((def) => def.name)));
  const typed = [...exposed.types].map(([name, kind]) => ({ name, kind }));

  it('are what the SDK exposes beside the catalogs, with their kind and labels', () => {
    const sdk = Object.values(externalMetrics).filter((metric) => metric.source === '@ttquant/metrics');
    expect(sdk.map((metric) => metric.name).sort()).toEqual(
      [DROPPED_EXEMPLARS_METRIC, DROPPED_VALUES_METRIC, OVERFLOW_RECORDS_METRIC].sort(),
    );
    expect(typed.filter(({ name }) => !catalogNames.has(name)).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      sdk.map((metric) => ({ name: metric.name, kind: metric.kind })).sort((a, b) => a.name.localeCompare(b.name)),
    );
    for (const metric of sdk) {
      const series = exposed.select(metric.name);
      expect(series.length, metric.name).toBeGreaterThan(0);
      for (const { labels } of series) expect(Object.keys(labels), metric.name).toEqual(metric.labels);
    }
  });

  it('exist at 0 from the first scrape: drops for every metric, folds for every metric with an open label, exemplar drops for every metric with exemplars', () => {
    const series = (name: string) => exposed.select(name).map(({ labels, value }) => [labels['metric'], value]);
    const defs = TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions));
    const open = defs.filter((def) => Object.values(def.labels).some((domain) => domain.kind === 'open'));
    expect(series(DROPPED_VALUES_METRIC).sort()).toEqual(defs.map((def) => [def.name, 0]).sort());
    expect(series(OVERFLOW_RECORDS_METRIC).sort()).toEqual(open.map((def) => [def.name, 0]).sort());
    const withExemplars = defs.filter((def) => def.exemplars !== undefined);
    expect(series(DROPPED_EXEMPLARS_METRIC).sort()).toEqual(withExemplars.map((def) => [def.name, 0]).sort());
  });
});
