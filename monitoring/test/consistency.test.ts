import { readdirSync, readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { jobList, monitoringConfig } from '../src/config.js';
import { externalMetrics } from '../src/external-metrics.js';
import { checkExpression, checkRules } from '../src/promql/check.js';
import { CATALOGS, catalogVocabulary } from '../src/promql/vocabulary.js';
import { monitoringPath } from './helpers/paths.js';

// Every PromQL expression in the generated rules, parsed with Prometheus' lezer grammar, may only
// name catalog series (histograms through _bucket/_sum/_count), the allowed external exporter
// metrics, or recorded series, and only labels those series carry.

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

  it('checks 9 recording and 21 alerting expressions', () => {
    expect([recording.length, alerting.length]).toEqual([9, 21]);
  });

  it('uses external metrics only from the allow-list, and every allowed one', () => {
    const { vocabulary } = checkRules(catalogVocabulary(), recording, []);
    const selected = new Set(
      [...recording, ...alerting].flatMap((rule) => [...checkExpression(rule.expr, vocabulary).selected]),
    );
    const catalogSeries = new Set(
      Object.values(CATALOGS).flatMap((defs) =>
        Object.values(defs).flatMap((def) =>
          def.kind === 'histogram' ? [`${def.name}_bucket`, `${def.name}_sum`, `${def.name}_count`] : [def.name],
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
    ['a histogram without a suffix', 'rate(market_data_latency_ms[1m])', '"market_data_latency_ms" is a histogram'],
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
    ]) {
      expect(messages(expr), expr).toEqual([]);
    }
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
    ...Object.values(CATALOGS).flatMap((defs) => Object.values(defs).map((def) => def.name)),
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
// config.ts moves every rule with it).
describe('job selectors in the generated rules', () => {
  const owner = new Map<string, string>();
  const jobOf: Record<string, string> = {
    MarketDataMetrics: monitoringConfig.jobs.marketData.name,
    GatewayMetrics: monitoringConfig.jobs.gateway.name,
    StrategyMetrics: monitoringConfig.jobs.strategyEngine.name,
    EngineMetrics: monitoringConfig.jobs.strategyEngine.name,
    'node-exporter': monitoringConfig.jobs.node.name,
    'postgres-exporter': monitoringConfig.jobs.database.name,
  };
  for (const info of catalogVocabulary().series.values()) {
    const job = jobOf[info.origin];
    if (job !== undefined) owner.set(info.name, job);
  }

  it('select every scraped series with the job that exposes it', () => {
    const wrong: string[] = [];
    let selectors = 0;
    for (const rule of [...recording, ...alerting]) {
      parser.parse(rule.expr).iterate({
        enter(node) {
          if (node.name !== 'VectorSelector') return;
          const text = rule.expr.slice(node.from, node.to);
          const name = /^[a-zA-Z_:][\w:]*/.exec(text)?.[0] ?? '';
          if (name.includes(':')) return; // recorded: its job label comes from its source
          selectors += 1;
          const job = /job="([^"]*)"/.exec(text)?.[1];
          const jobs = jobList().map((spec) => spec.name);
          const expected = owner.get(name);
          if (job === undefined || !jobs.includes(job) || (expected !== undefined && job !== expected)) {
            wrong.push(`${'record' in rule ? rule.record : rule.alert}: ${text}`);
          }
        },
      });
    }
    expect(selectors).toBeGreaterThan(25);
    expect(wrong).toEqual([]);
  });
});
