import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closed, open } from '../../src/define/labels.js';
import { counter, gauge, histogram } from '../../src/define/metric.js';
import { defaultReferenceCatalogs, lintFindings, renderMetricReference } from '../../src/reference/markdown.js';

const DOC = fileURLToPath(new URL('../../../../docs/metrics.md', import.meta.url));

// The 43 wire names of the seed (issue 2): a contract with existing dashboards and alerts.
const CONTRACT = {
  'market-data': [
    'market_data_received_total',
    'market_data_latency_ms',
    'ws_connection_status',
    'ws_reconnect_total',
    'message_parse_errors_total',
    'db_writes_total',
    'db_write_errors_total',
    'zmq_published_total',
    'market_last_price',
    'market_volume_24h',
  ],
  gateway: [
    'orders_total',
    'orders_success_total',
    'orders_failed_total',
    'orders_risk_rejected_total',
    'order_processing_latency_ms',
    'trades_total',
    'trade_volume_total',
    'commission_paid_total',
    'current_position',
    'api_rate_limit_hit_total',
    'order_retries_total',
    'active_orders',
    'risk_exposure_usd',
    'max_drawdown_usd',
  ],
  strategy: [
    'strategy_pnl_total',
    'strategy_realized_pnl',
    'strategy_unrealized_pnl',
    'strategy_position_size',
    'strategy_position_value_usd',
    'strategy_trades_total',
    'strategy_win_rate',
    'strategy_winning_trades_total',
    'strategy_losing_trades_total',
    'strategy_avg_profit_usd',
    'strategy_avg_loss_usd',
    'strategy_max_drawdown_usd',
    'strategy_sharpe_ratio',
  ],
  engine: [
    'engine_market_data_received_total',
    'engine_orders_sent_total',
    'engine_trades_received_total',
    'engine_strategy_latency_ms',
    'engine_active_strategies',
    'engine_uptime_seconds',
  ],
} as const;
const ALL_NAMES = Object.values(CONTRACT).flat();

describe('docs/metrics.md', () => {
  it('is the fresh render of the catalogs', () => {
    expect(existsSync(DOC), 'docs/metrics.md is missing: run `npm run docs:reference`').toBe(true);
    const committed = readFileSync(DOC, 'utf8');
    const fresh = renderMetricReference(defaultReferenceCatalogs());
    expect(committed, 'docs/metrics.md is stale: run `npm run docs:reference` and commit the result').toBe(fresh);
  });

  it('documents all 43 contract names, each under its own heading, in its catalog section', () => {
    expect(ALL_NAMES).toHaveLength(43);
    const doc = readFileSync(DOC, 'utf8');
    const headings = [...doc.matchAll(/^### (\S+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(ALL_NAMES);
    const catalogs = defaultReferenceCatalogs();
    expect(catalogs.map((c) => Object.values(c.definitions).map((d) => d.name))).toEqual(Object.values(CONTRACT));
  });

  it('states the computed counts, the default ports and the known promtool findings', () => {
    const doc = readFileSync(DOC, 'utf8');
    expect(doc).toContain('\n43 metrics: 21 counters, 19 gauges, 3 histograms, in 4 catalogs.\n');
    expect(doc).toContain('| [`MarketDataMetrics`](#market-data-marketdatametrics) | market-data | 8080 | 10 |');
    expect(doc).toContain('| [`GatewayMetrics`](#order-gateway-gatewaymetrics) | gateway | 8081 | 14 |');
    expect(doc).toContain(
      '| [`StrategyMetrics`](#strategy-performance-strategymetrics) | strategy engine | 8000 | 13 |',
    );
    expect(doc).toContain('| [`EngineMetrics`](#strategy-engine-enginemetrics) | strategy engine | 8000 | 6 |');
    const findings = defaultReferenceCatalogs().flatMap((c) =>
      Object.values(c.definitions).flatMap((d) => lintFindings(d).map((f) => `${d.name}: ${f}`)),
    );
    // Exactly what `promtool check metrics` (Prometheus 2.42) prints for a body of the four catalogs.
    expect(findings).toEqual([
      'market_data_latency_ms: metric names should not contain abbreviated units',
      'order_processing_latency_ms: metric names should not contain abbreviated units',
      'strategy_pnl_total: non-counter metrics should not have "_total" suffix',
      'engine_strategy_latency_ms: metric names should not contain abbreviated units',
    ]);
    for (const line of findings) expect(doc).toContain(`| \`${line.replace(': ', '` | ')} |`);
    expect(doc).toContain('`otel_metric_overflow="true"`');
    expect(doc).toContain('`ttquant_metrics_overflow_records_total{metric="…"}`');
    expect(doc).toContain('`family.dropped`');
  });
});

describe('renderMetricReference', () => {
  const defs = {
    fills: counter('desk_fills_total', 'Fills | by desk.', { desk: closed('rates', 'fx'), book: open({ budget: 9 }) }),
    sharpe: gauge('desk_sharpe', 'Sharpe.\nSecond line.', {}, { nonFinite: 'emit' }),
    wait: histogram('desk_wait_seconds', 'Wait.', {}, { unit: 's', buckets: [0.5, 2] }),
  };
  const text = renderMetricReference(
    [
      {
        title: 'Desk',
        className: 'DeskMetrics',
        service: 'desk',
        port: 9100,
        definitions: defs,
        notes: { desk_sharpe: 'Mind the NaN.' },
      },
    ],
    { title: 'Desk metrics', intro: 'Intro text.' },
  );

  it('uses the title and intro, and counts what it is given', () => {
    expect(text.startsWith('# Desk metrics\n')).toBe(true);
    expect(text).toContain('\nIntro text.\n');
    expect(text).toContain('\n3 metrics: 1 counter, 1 gauge, 1 histogram, in 1 catalog.\n');
    expect(text).toContain('`promtool check metrics` reports nothing for these names.');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
  });

  it('renders one table per metric, with label domains, buckets, capacity and notes', () => {
    expect(text).toContain(
      [
        '### desk_fills_total',
        '',
        '| Field | Value |',
        '| --- | --- |',
        '| Kind | counter |',
        '| Unit | — |',
        '| Help | Fills \\| by desk. |',
        '| Catalog key | `DeskMetrics` → `fills` |',
        '| Labels | `desk` (closed): `rates`, `fx`<br>`book` (open): budget 9, then `otel_metric_overflow="true"` |',
        '| Series capacity | 2 × 9 + 1 = 19 |',
        '| Invalid values | negative or non-finite increments dropped and counted |',
        '',
      ].join('\n'),
    );
    expect(text).toContain('| Help | Sharpe.<br>Second line. |');
    expect(text).toContain('| Notes | Mind the NaN. |');
    expect(text).toContain('emits non-finite: `NaN` and ±Inf are stored and exposed');
    expect(text).toContain('| Buckets (`le`) | 0.5, 2, +Inf |');
    expect(text).toContain('| [`desk_wait_seconds`](#desk_wait_seconds) | histogram | `s` | — |');
  });

  it('is deterministic', () => {
    expect(renderMetricReference(defaultReferenceCatalogs())).toBe(renderMetricReference(defaultReferenceCatalogs()));
  });
});
