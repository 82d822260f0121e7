import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closed, open } from '../../src/define/labels.js';
import { counter, gauge, histogram } from '../../src/define/metric.js';
import { defaultReferenceCatalogs, lintFindings, renderMetricReference } from '../../src/reference/markdown.js';
import { CONTRACT, CONTRACT_METRICS, CONTRACT_SERVICES } from '../contract.js';

const DOC = fileURLToPath(new URL('../../../../docs/metrics.md', import.meta.url));

const ALL_NAMES = CONTRACT_METRICS.map(([name]) => name);

describe('docs/metrics.md', () => {
  it('is the fresh render of the catalogs', () => {
    expect(existsSync(DOC), 'docs/metrics.md is missing: run `npm run docs:reference`').toBe(true);
    const committed = readFileSync(DOC, 'utf8');
    const fresh = renderMetricReference(defaultReferenceCatalogs());
    expect(committed, 'docs/metrics.md is stale: run `npm run docs:reference` and commit the result').toBe(fresh);
  });

  it('documents every declared metric under its own heading, the contract names in their order', () => {
    const doc = readFileSync(DOC, 'utf8');
    const headings = [...doc.matchAll(/^### (\S+)$/gm)].map((m) => m[1] ?? '');
    const declared = defaultReferenceCatalogs().flatMap((c) => Object.values(c.definitions).map((d) => d.name));
    expect(headings).toEqual(declared);
    expect(headings.filter((name) => ALL_NAMES.includes(name))).toEqual(ALL_NAMES);
  });

  it('states the counts computed from the catalogs, the contract ports and the known promtool findings', () => {
    const doc = readFileSync(DOC, 'utf8');
    const catalogs = defaultReferenceCatalogs();
    const defs = catalogs.flatMap((c) => Object.values(c.definitions));
    const count = (kind: string) => defs.filter((d) => d.kind === kind).length;
    expect(doc).toContain(
      `\n${defs.length} metrics: ${count('counter')} counters, ${count('gauge')} gauges, ` +
        `${count('histogram')} histograms, in ${catalogs.length} catalogs.\n`,
    );
    // The services and ports are the contract's (docs/origin.md).
    for (const [key, { className, service, port }] of Object.entries(CONTRACT_SERVICES)) {
      const size = Object.keys(catalogs.find((c) => c.className === className)?.definitions ?? {}).length;
      expect(size, key).toBeGreaterThanOrEqual(CONTRACT[key as keyof typeof CONTRACT].length);
      expect(doc).toMatch(
        new RegExp(`\\| \\[\`${className}\`\\]\\(#[a-z-]+\\) \\| ${service} \\| ${port} \\| ${size} \\|`),
      );
    }
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
