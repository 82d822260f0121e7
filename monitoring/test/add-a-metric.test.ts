import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  catalog,
  closed,
  counter,
  DEFAULT_VENUES,
  defaultReferenceCatalogs,
  renderMetricReference,
  TRADING_CATALOGS,
  type TradingCatalogInfo,
} from '@ttquant/metrics';
import { describe, expect, it } from 'vitest';
import { defaultDashboardConfig } from '../src/dashboards/config.js';
import { queriesOf } from '../src/dashboards/extract-queries.js';
import { buildTtquantDashboard } from '../src/dashboards/ttquant.js';
import { checkExpression } from '../src/promql-check/check.js';
import { checkDashboardExpression, dashboardVocabulary } from '../src/promql-check/grafana.js';
import { catalogVocabulary } from '../src/promql-check/vocabulary.js';
import { select } from '../src/rules/selectors.js';

// What adding one metric costs: the declaration goes into a catalog, and the generated reference,
// the dashboard and the PromQL checker (which guards every rule and panel) follow without an edit.
// Here the metric is added to a copy of the market-data catalog, so nothing committed changes.

const GAPS = counter(
  'market_data_sequence_gaps_total',
  'Gaps detected in the exchange sequence numbers of a feed.',
  { exchange: closed(...DEFAULT_VENUES) },
  { unit: '1' },
);

/** The four catalogs with the new metric appended to the market-data one. */
const withGaps: readonly TradingCatalogInfo[] = TRADING_CATALOGS.map((info) =>
  info.service === 'market-data' ? { ...info, definitions: { ...info.definitions, sequenceGaps: GAPS } } : info,
);

const idsByTitle = (model: dashboard.Dashboard): Map<string, number | undefined> =>
  new Map((model.panels ?? []).map((p) => [p.title ?? '', p.id]));

describe('a metric added to a catalog', () => {
  it('is a valid declaration: the catalog with it builds and records', () => {
    const defs = withGaps.find((c) => c.service === 'market-data')?.definitions ?? {};
    const Extended = catalog(defs);
    const metrics = new Extended();
    expect(Object.keys(metrics)).toContain('sequenceGaps');
  });

  it('appears in the generated metric reference, counted in its catalog', () => {
    const catalogs = defaultReferenceCatalogs().map((ref) =>
      ref.className === 'MarketDataMetrics' ? { ...ref, definitions: { ...ref.definitions, sequenceGaps: GAPS } } : ref,
    );
    const before = renderMetricReference(defaultReferenceCatalogs());
    const after = renderMetricReference(catalogs);
    expect(before).not.toContain('market_data_sequence_gaps_total');
    expect(after).toContain('### market_data_sequence_gaps_total');
    expect(after).toContain('| Help | Gaps detected in the exchange sequence numbers of a feed. |');
    const count = (doc: string) => Number(/\| market-data \| \d+ \| (\d+) \|/.exec(doc)?.[1]);
    expect(count(after)).toBe(count(before) + 1);
  });

  it('gets a dashboard panel in "Other metrics", on its service\'s job, leaving every other panel id as it was', () => {
    const before = buildTtquantDashboard(defaultDashboardConfig);
    const after = buildTtquantDashboard(defaultDashboardConfig, withGaps);
    const rowTitles = (after.panels ?? []).filter((p) => p.type === 'row').map((p) => p.title);
    expect(rowTitles.at(-1)).toBe('Other metrics');
    const query = queriesOf(after).find((q) => q.expr.includes(GAPS.name));
    expect(query?.rowTitle).toBe('Other metrics');
    expect(query?.expr).toBe(
      'sum by (exchange) (rate(market_data_sequence_gaps_total{job="market-data", instance=~"$instance", exchange=~"$exchange"}[$__rate_interval]))',
    );
    const afterIds = idsByTitle(after);
    for (const [title, id] of idsByTitle(before)) expect(afterIds.get(title), title).toBe(id);
  });

  it('is known to the PromQL checker once declared, and unknown before', () => {
    const panelQuery = queriesOf(buildTtquantDashboard(defaultDashboardConfig, withGaps)).find((q) =>
      q.expr.includes(GAPS.name),
    );
    const expr = panelQuery?.expr ?? '';
    expect(checkDashboardExpression(expr, { vocabulary: dashboardVocabulary(withGaps) }).issues).toEqual([]);
    expect(
      checkDashboardExpression(expr)
        .issues.map((i) => i.message)
        .join('\n'),
    ).toContain(GAPS.name);

    // An alert on it, written as the rule modules write them.
    const alert = `sum by (job, exchange) (increase(${select(GAPS.name, 'marketData')}[5m])) > 0`;
    expect(checkExpression(alert, catalogVocabulary(undefined, withGaps)).issues).toEqual([]);
    expect(checkExpression(alert, catalogVocabulary()).issues.length).toBeGreaterThan(0);
    // A label the declaration does not have is still caught.
    const wrong = `sum by (job, symbol) (increase(${select(GAPS.name, 'marketData')}[5m])) > 0`;
    expect(checkExpression(wrong, catalogVocabulary(undefined, withGaps)).issues.length).toBeGreaterThan(0);
  });
});
