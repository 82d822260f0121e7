import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closed, open } from '../../src/define/labels.js';
import { counter, gauge, histogram } from '../../src/define/metric.js';
import { defaultReferenceCatalogs, lintFindings, renderMetricReference } from '../../src/reference/markdown.js';
import { CONTRACT, CONTRACT_METRICS } from '../contract.js';

const DOC = fileURLToPath(new URL('../../../../docs/metrics.md', import.meta.url));

const ALL_NAMES = CONTRACT_METRICS.map(([name]) => name);

describe('docs/metrics.md', () => {
  it('is the fresh render of the catalogs', () => {
    expect(existsSync(DOC), 'docs/metrics.md is missing: run `npm run docs:reference`').toBe(true);
    const committed = readFileSync(DOC, 'utf8');
    const fresh = renderMetricReference(defaultReferenceCatalogs());
    expect(committed, 'docs/metrics.md is stale: run `npm run docs:reference` and commit the result').toBe(fresh);
  });

  it('documents every contract name, each under its own heading, in its catalog section', () => {
    const doc = readFileSync(DOC, 'utf8');
    const headings = [...doc.matchAll(/^### (\S+)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(ALL_NAMES);
    const catalogs = defaultReferenceCatalogs();
    expect(catalogs.map((c) => Object.values(c.definitions).map((d) => d.name))).toEqual(
      Object.values(CONTRACT).map((list) => list.map(([name]) => name)),
    );
  });

  it('states the computed counts, the default ports and the known promtool findings', () => {
    const doc = readFileSync(DOC, 'utf8');
    const count = (kind: string) => CONTRACT_METRICS.filter(([, k]) => k === kind).length;
    const catalogCount = Object.keys(CONTRACT).length;
    expect(doc).toContain(
      `\n${CONTRACT_METRICS.length} metrics: ${count('counter')} counters, ${count('gauge')} gauges, ` +
        `${count('histogram')} histograms, in ${catalogCount} catalogs.\n`,
    );
    // The ports are the contract's (docs/origin.md), written out; the counts come from the contract list.
    expect(doc).toContain(
      `| [\`MarketDataMetrics\`](#market-data-marketdatametrics) | market-data | 8080 | ${CONTRACT.marketData.length} |`,
    );
    expect(doc).toContain(
      `| [\`GatewayMetrics\`](#order-gateway-gatewaymetrics) | gateway | 8081 | ${CONTRACT.gateway.length} |`,
    );
    expect(doc).toContain(
      `| [\`StrategyMetrics\`](#strategy-performance-strategymetrics) | strategy engine | 8000 | ${CONTRACT.strategy.length} |`,
    );
    expect(doc).toContain(
      `| [\`EngineMetrics\`](#strategy-engine-enginemetrics) | strategy engine | 8000 | ${CONTRACT.engine.length} |`,
    );
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
