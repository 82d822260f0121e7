import { closed, type HistogramDef, histogram, TRADING_CATALOGS } from '@ttquant/metrics';
import { describe, expect, it } from 'vitest';
import {
  type HistogramQuery,
  histogramCountRate,
  histogramQuantile,
  histogramSumRate,
  isNativeHistogram,
  nativeQuantile,
} from '../src/histogram-queries.js';
import { checkExpression, checkRules } from '../src/promql-check/check.js';
import { judgedOperands } from '../src/promql-check/judged.js';
import { catalogVocabulary } from '../src/promql-check/vocabulary.js';
import { alertGroups, recordingGroups } from '../src/rules/index.js';

// The either-way builders: for a histogram declared native, `classic or native` with the same labels
// on both sides (so `or` pairs them), each side valid PromQL over the catalogs; for a classic-only
// histogram, the classic side alone.

const histograms = TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions)).filter(
  (def): def is HistogramDef => def.kind === 'histogram',
);
const vocabulary = catalogVocabulary();
const query = (def: HistogramDef, by: readonly string[]): HistogramQuery => ({
  def,
  select: (series) => `${series}{job="x"}`,
  window: '5m',
  by,
});
const builders = {
  quantile: (q: HistogramQuery) => histogramQuantile(0.99, q),
  count: histogramCountRate,
  sum: histogramSumRate,
} as const;

describe('either-way histogram queries', () => {
  it('has catalog histograms declared native (the three latency histograms)', () => {
    expect(histograms.filter(isNativeHistogram).length).toBeGreaterThan(0);
  });

  for (const [concept, build] of Object.entries(builders)) {
    it(`${concept}: classic or native, both sides clean and with the same labels`, () => {
      for (const def of histograms) {
        for (const by of [[], ['job'], Object.keys(def.labels).slice(0, 1)]) {
          const expr = build(query(def, by));
          expect(checkExpression(expr, vocabulary).issues, expr).toEqual([]);
          const sides = expr.split(' or ');
          expect(sides.length, expr).toBe(isNativeHistogram(def) ? 2 : 1);
          const labels = sides.map((side) => [...(checkExpression(side, vocabulary).labels ?? ['?'])].sort());
          for (const side of labels) expect(side, expr).toEqual([...by].sort());
          expect(sides[0], expr).toMatch(new RegExp(`${def.name}_(bucket|count|sum)\\{`));
          if (sides[1] !== undefined) expect(sides[1], expr).toContain(`(${def.name}{`);
        }
      }
    });
  }

  it('writes the classic side alone for a histogram not declared native, and has no native quantile of it', () => {
    const classic = histogram(
      'classic_latency_ms',
      'A latency.',
      { exchange: closed('a', 'b') },
      {
        unit: 'ms',
        buckets: [1, 10],
      },
    );
    expect(isNativeHistogram(classic)).toBe(false);
    expect(histogramCountRate(query(classic, ['exchange']))).toBe(
      'sum by (exchange) (rate(classic_latency_ms_count{job="x"}[5m]))',
    );
    expect(() => nativeQuantile(0.5, query(classic, []))).toThrow('not declared with native resolution');
  });
});

describe('judgedOperands', () => {
  it.each([
    ['x > 500', ['x']],
    ['a == 0 or b == 0 or up == 0', ['a', 'b', 'up']],
    ['x < 0.3 and on (k) (y + z) >= 20', ['x', '(y + z)']],
    ['strategy_pnl_total < -1000', ['strategy_pnl_total']],
    ['100 * (1 - x) > 80', ['100 * (1 - x)']],
    ['a == b', ['a', 'b']],
    ['rate(x[5m])', ['rate(x[5m])']],
  ])('%s judges %j', (expr, expected) => {
    expect(judgedOperands(expr)).toEqual(expected);
  });

  it('finds at least one judged expression in every alert, each valid over the catalogs and records', () => {
    const recording = recordingGroups.flatMap((group) => group.rules);
    const withRecords = checkRules(catalogVocabulary(), recording, []).vocabulary;
    for (const { rule } of alertGroups.flatMap((group) => group.alerts)) {
      const judged = judgedOperands(rule.expr);
      expect(judged.length, rule.alert).toBeGreaterThan(0);
      for (const expr of judged)
        expect(checkExpression(expr, withRecords).issues, `${rule.alert}: ${expr}`).toEqual([]);
    }
  });
});
