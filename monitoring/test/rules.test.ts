import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { inhibitRules } from '../src/alertmanager-config.js';
import { checkExpression, checkRules } from '../src/promql-check/check.js';
import { catalogVocabulary } from '../src/promql-check/vocabulary.js';
import { monitoringPath } from './helpers/paths.js';

// The original system's alert contract (docs/origin.md): 21 alerts in 5 groups, with their
// severities, thresholds and `for` durations. Thresholds marked "chosen" are not in the original.
// Groups added since (ADDED) come after the original ones and are held to their own table, so the
// original part of alerts.yml is still checked exactly.
interface ContractAlert {
  readonly group: string;
  readonly alert: string;
  readonly severity: 'critical' | 'warning';
  readonly for: string;
  /** The comparison that carries the threshold. */
  readonly op: '>' | '>=' | '<' | '==';
  readonly threshold: number;
  /** Every series name the expression selects. */
  readonly reads: readonly string[];
}

const mdP99 = 'job_exchange:market_data_latency_ms:p99_1m';
const orderP99 = 'job_exchange:order_processing_latency_ms:p99_1m';
const ORIGINAL: readonly ContractAlert[] = [
  {
    group: 'market_data_alerts',
    alert: 'HighMarketDataLatency',
    severity: 'warning',
    for: '1m',
    op: '>',
    threshold: 1000,
    reads: [mdP99],
  },
  // histogram_quantile caps at the highest finite bound (5000), so "> 5000 ms" is written >= 5000.
  {
    group: 'market_data_alerts',
    alert: 'CriticalMarketDataLatency',
    severity: 'critical',
    for: '30s',
    op: '>=',
    threshold: 5000,
    reads: [mdP99],
  },
  {
    group: 'market_data_alerts',
    alert: 'MarketDataStreamDown',
    severity: 'critical',
    for: '2m',
    op: '==',
    threshold: 0,
    reads: ['job_exchange:market_data_received:rate1m', 'ws_connection_status', 'up'],
  },
  // chosen: 1 message/s
  {
    group: 'market_data_alerts',
    alert: 'LowMarketDataRate',
    severity: 'warning',
    for: '5m',
    op: '<',
    threshold: 1,
    reads: ['job_exchange:market_data_received:rate1m'],
  },
  {
    group: 'gateway_alerts',
    alert: 'HighOrderLatency',
    severity: 'warning',
    for: '1m',
    op: '>',
    threshold: 500,
    reads: [orderP99],
  },
  {
    group: 'gateway_alerts',
    alert: 'CriticalOrderLatency',
    severity: 'critical',
    for: '30s',
    op: '>',
    threshold: 2000,
    reads: [orderP99],
  },
  {
    group: 'gateway_alerts',
    alert: 'HighOrderFailureRate',
    severity: 'warning',
    for: '2m',
    op: '>',
    threshold: 0.1,
    reads: ['job_exchange:orders_failed:ratio_rate5m'],
  },
  {
    group: 'gateway_alerts',
    alert: 'CriticalOrderFailureRate',
    severity: 'critical',
    for: '1m',
    op: '>',
    threshold: 0.3,
    reads: ['job_exchange:orders_failed:ratio_rate5m'],
  },
  {
    group: 'gateway_alerts',
    alert: 'HighRiskRejectionRate',
    severity: 'warning',
    for: '2m',
    op: '>',
    threshold: 0.05,
    reads: ['job_exchange:orders_risk_rejected:ratio_rate5m'],
  },
  {
    group: 'gateway_alerts',
    alert: 'GatewayDown',
    severity: 'critical',
    for: '1m',
    op: '==',
    threshold: 0,
    reads: ['up'],
  },
  {
    group: 'strategy_alerts',
    alert: 'StrategyLoss',
    severity: 'warning',
    for: '5m',
    op: '<',
    threshold: -1000,
    reads: ['strategy_pnl_total'],
  },
  {
    group: 'strategy_alerts',
    alert: 'CriticalStrategyLoss',
    severity: 'critical',
    for: '2m',
    op: '<',
    threshold: -5000,
    reads: ['strategy_pnl_total'],
  },
  {
    group: 'strategy_alerts',
    alert: 'LowWinRate',
    severity: 'warning',
    for: '10m',
    op: '<',
    threshold: 0.3,
    reads: ['strategy_win_rate', 'strategy_winning_trades_total', 'strategy_losing_trades_total'],
  },
  {
    group: 'strategy_alerts',
    alert: 'StrategyEngineDown',
    severity: 'critical',
    for: '1m',
    op: '==',
    threshold: 0,
    reads: ['up'],
  },
  // chosen: 10000 USD
  {
    group: 'strategy_alerts',
    alert: 'HighPositionSize',
    severity: 'warning',
    for: '5m',
    op: '>',
    threshold: 10_000,
    reads: ['strategy_position_value_usd'],
  },
  {
    group: 'system_alerts',
    alert: 'HighCPUUsage',
    severity: 'warning',
    for: '5m',
    op: '>',
    threshold: 80,
    reads: ['node_cpu_seconds_total'],
  },
  {
    group: 'system_alerts',
    alert: 'HighMemoryUsage',
    severity: 'warning',
    for: '5m',
    op: '>',
    threshold: 85,
    reads: ['node_memory_MemAvailable_bytes', 'node_memory_MemTotal_bytes'],
  },
  {
    group: 'system_alerts',
    alert: 'HighDiskUsage',
    severity: 'warning',
    for: '5m',
    op: '>',
    threshold: 85,
    reads: ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes'],
  },
  {
    group: 'database_alerts',
    alert: 'HighDatabaseConnections',
    severity: 'warning',
    for: '5m',
    op: '>',
    threshold: 80,
    reads: ['pg_stat_activity_count'],
  },
  {
    group: 'database_alerts',
    alert: 'DatabaseDown',
    severity: 'critical',
    for: '1m',
    op: '==',
    threshold: 0,
    reads: ['pg_up', 'up'],
  },
  // chosen: 60 s
  {
    group: 'database_alerts',
    alert: 'SlowQueries',
    severity: 'warning',
    for: '5m',
    op: '>',
    threshold: 60,
    reads: ['pg_stat_activity_max_tx_duration'],
  },
];

/** Alerts added since: the SDK's own self-metrics, fired on any fold or drop. */
const ADDED: readonly ContractAlert[] = [
  {
    group: 'instrumentation_alerts',
    alert: 'MetricsCardinalityOverflow',
    severity: 'warning',
    for: '5m',
    op: '>',
    threshold: 0,
    reads: ['ttquant_metrics_overflow_records_total'],
  },
  {
    group: 'instrumentation_alerts',
    alert: 'MetricsValuesDropped',
    severity: 'warning',
    for: '5m',
    op: '>',
    threshold: 0,
    reads: ['ttquant_metrics_dropped_values_total'],
  },
  {
    group: 'instrumentation_alerts',
    alert: 'MetricsExemplarsDropped',
    severity: 'warning',
    for: '5m',
    op: '>',
    threshold: 0,
    reads: ['ttquant_metrics_exemplars_dropped_total'],
  },
];

interface YamlAlert {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface YamlRecord {
  record: string;
  expr: string;
}

const alertsFile = parse(readFileSync(monitoringPath('generated/alerts.yml'), 'utf8')) as {
  groups: { name: string; rules: YamlAlert[] }[];
};
const recordingFile = parse(readFileSync(monitoringPath('generated/recording-rules.yml'), 'utf8')) as {
  groups: { name: string; rules: YamlRecord[] }[];
};
const alerts = alertsFile.groups.flatMap((group) => group.rules.map((rule) => ({ group: group.name, rule })));
const ORIGINAL_GROUPS = ['market_data_alerts', 'gateway_alerts', 'strategy_alerts', 'system_alerts', 'database_alerts'];
const originalNames = new Set(ORIGINAL.map((alert) => alert.alert));
const originalAlerts = alerts.filter(({ rule }) => originalNames.has(rule.alert));
const records = recordingFile.groups.flatMap((group) => group.rules);

const OPS: Record<string, ContractAlert['op']> = { Gtr: '>', Gte: '>=', Lss: '<', Eql: '==' };

/** Every `<op> <number>` comparison in an expression. */
function comparisons(expr: string): { op: string; value: number }[] {
  const out: { op: string; value: number }[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.name !== 'BinaryExpr') return;
      const opNode = node.node
        .getChildren('Gtr')
        .concat(node.node.getChildren('Gte'), node.node.getChildren('Lss'), node.node.getChildren('Eql'))[0];
      const rhs = node.node.lastChild;
      if (opNode === undefined || rhs?.name !== 'NumberDurationLiteral') return;
      out.push({ op: OPS[opNode.name] ?? '?', value: Number(expr.slice(rhs.from, rhs.to)) });
    },
  });
  return out;
}

describe('alerts.yml against the original alerts', () => {
  it('has the original groups first, in order, each with its original alerts in order', () => {
    const originalGroups = alertsFile.groups.slice(0, ORIGINAL_GROUPS.length);
    expect(originalGroups.map((group) => group.name)).toEqual(ORIGINAL_GROUPS);
    // Alerts added since may sit beside them; the original ones keep their group and order.
    expect(originalAlerts.map(({ group, rule }) => [group, rule.alert])).toEqual(
      ORIGINAL.map((alert) => [alert.group, alert.alert]),
    );
  });

  it('gives each original alert its original severity', () => {
    expect(originalAlerts.map(({ rule }) => rule.labels['severity'])).toEqual(ORIGINAL.map((alert) => alert.severity));
  });

  it('has instrumentation_alerts after the original groups, with its warnings on the self-metrics', () => {
    const at = alertsFile.groups.findIndex((group) => group.name === 'instrumentation_alerts');
    expect(at).toBeGreaterThanOrEqual(ORIGINAL_GROUPS.length);
    const instrumentation = alertsFile.groups[at];
    expect(instrumentation?.rules.map((rule) => rule.alert)).toEqual(ADDED.map((added) => added.alert));
    expect(instrumentation?.rules.map((rule) => rule.labels['severity'])).toEqual(ADDED.map(() => 'warning'));
  });

  const vocabulary = checkRules(catalogVocabulary(), records, []).vocabulary;
  for (const expected of [...ORIGINAL, ...ADDED]) {
    it(`${expected.alert}: ${expected.severity}, ${expected.op} ${expected.threshold} for ${expected.for}`, () => {
      const found = alerts.find(({ rule }) => rule.alert === expected.alert);
      expect(found).toBeDefined();
      const rule = found!.rule;
      expect(rule.for).toBe(expected.for);
      expect(rule.labels).toEqual({ severity: expected.severity });
      expect(comparisons(rule.expr)).toContainEqual({ op: expected.op, value: expected.threshold });
      expect([...checkExpression(rule.expr, vocabulary).selected].sort()).toEqual([...expected.reads].sort());
    });
  }

  it('gives every alert a one-sentence summary, a templated description and its runbook link', () => {
    for (const { rule } of alerts) {
      const { summary, description, runbook_url } = rule.annotations;
      expect(Object.keys(rule.annotations).sort(), rule.alert).toEqual(['description', 'runbook_url', 'summary']);
      // One sentence: ends with a period and has no sentence break inside.
      expect(summary, rule.alert).toMatch(/^[A-Z].*\.$/s);
      expect(summary.slice(0, -1), rule.alert).not.toMatch(/[.!?]\s/);
      expect(description, rule.alert).toMatch(/\{\{ .*\$(labels|value).* \}\}/);
      expect(runbook_url, rule.alert).toBe(`docs/runbooks.md#${rule.alert.toLowerCase()}`);
    }
  });

  it('reads recorded series only from recording-rules.yml', () => {
    const recorded = new Set(records.map((record) => record.record));
    for (const { rule } of alerts) {
      for (const name of checkExpression(rule.expr, vocabulary).selected) {
        if (name.includes(':')) expect(recorded.has(name), `${rule.alert} reads ${name}`).toBe(true);
      }
    }
  });

  it('lets each critical alert inhibit exactly its warning twin', () => {
    const pairs = inhibitRules().map((rule) => [rule['source_matchers'], rule['target_matchers'], rule['equal']]);
    expect(pairs).toEqual([
      [['alertname="CriticalMarketDataLatency"'], ['alertname="HighMarketDataLatency"'], ['job', 'exchange']],
      [['alertname="CriticalOrderLatency"'], ['alertname="HighOrderLatency"'], ['job', 'exchange']],
      [['alertname="CriticalOrderFailureRate"'], ['alertname="HighOrderFailureRate"'], ['job', 'exchange']],
      [['alertname="CriticalStrategyLoss"'], ['alertname="StrategyLoss"'], ['job', 'instance', 'strategy']],
    ]);
    const severity = new Map(alerts.map(({ rule }) => [rule.alert, rule.labels['severity']]));
    for (const [source, target] of pairs as string[][][]) {
      expect(severity.get(source![0]!.slice(11, -1))).toBe('critical');
      expect(severity.get(target![0]!.slice(11, -1))).toBe('warning');
    }
  });
});

describe('instrumentation_alerts', () => {
  const vocabulary = checkRules(catalogVocabulary(), records, []).vocabulary;
  for (const added of ADDED) {
    it(`${added.alert}: one alert per process and metric, on the increase over 10 minutes`, () => {
      const rule = alerts.find(({ rule }) => rule.alert === added.alert)?.rule;
      expect(rule).toBeDefined();
      const expr = rule?.expr ?? '';
      expect([...(checkExpression(expr, vocabulary).labels ?? [])].sort()).toEqual(['instance', 'job', 'metric']);
      expect(expr).toMatch(
        new RegExp(
          `^sum by \\(job, instance, metric\\) \\(increase\\(${added.reads[0]}\\{[^}]*\\}\\[10m\\]\\)\\) > 0$`,
        ),
      );
    });
  }
});

describe('recording-rules.yml', () => {
  it('records the shared latency quantiles, the receive rate and the two order ratios', () => {
    expect(recordingFile.groups.map((group) => group.name)).toEqual(['market_data_records', 'gateway_records']);
    expect(records.map((record) => record.record)).toEqual([
      'job_exchange:market_data_received:rate1m',
      'job_exchange:market_data_latency_ms:p50_1m',
      'job_exchange:market_data_latency_ms:p95_1m',
      'job_exchange:market_data_latency_ms:p99_1m',
      'job_exchange:order_processing_latency_ms:p50_1m',
      'job_exchange:order_processing_latency_ms:p95_1m',
      'job_exchange:order_processing_latency_ms:p99_1m',
      'job_exchange:orders_failed:ratio_rate5m',
      'job_exchange:orders_risk_rejected:ratio_rate5m',
    ]);
  });

  it('keeps job and exchange on every recorded series', () => {
    const { vocabulary } = checkRules(catalogVocabulary(), records, []);
    for (const record of records) {
      expect([...(vocabulary.series.get(record.record)?.labels.keys() ?? [])].sort(), record.record).toEqual([
        'exchange',
        'job',
      ]);
    }
  });
});
