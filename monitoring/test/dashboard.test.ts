import { readFileSync } from 'node:fs';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { gatewayDefinitions, marketDataDefinitions, TRADING_CATALOGS } from '@ttquant/metrics';
import { describe, expect, it } from 'vitest';
import { monitoringConfig } from '../src/config.js';
import { DATASOURCE_VARIABLE, type DashboardConfig, defaultDashboardConfig } from '../src/dashboards/config.js';
import { dashboardQueries, needsNativeHistograms, queriesOf } from '../src/dashboards/extract-queries.js';
import {
  GENERATED_DASHBOARD_PATH,
  REGENERATE_DASHBOARD_COMMAND,
  renderDashboardJson,
} from '../src/dashboards/generate-dashboard.js';
import { panelId } from '../src/dashboards/panel-ids.js';
import { SDK_HEALTH_ROW_TITLE } from '../src/dashboards/sdk-health-row.js';
import { buildTtquantDashboard, NATIVE_LATENCY_ROW } from '../src/dashboards/ttquant.js';
import { substituteVariables, variablesIn } from '../src/dashboards/variables.js';
import { checkDashboardExpression } from '../src/promql-check/grafana.js';

type AnyPanel = dashboard.Panel | dashboard.RowPanel;

const model = buildTtquantDashboard();
const all: AnyPanel[] = model.panels ?? [];
const rows = all.filter((p): p is dashboard.RowPanel => p.type === 'row');
const panels = all.filter((p): p is dashboard.Panel => p.type !== 'row');
const ds = { type: 'prometheus', uid: DATASOURCE_VARIABLE };

interface Target {
  readonly datasource?: unknown;
  readonly expr?: string;
  readonly refId?: string;
  readonly exemplar?: boolean;
}
const targetsOf = (p: dashboard.Panel): Target[] => (p.targets ?? []) as unknown as Target[];
const issuesOf = (expr: string): string[] => checkDashboardExpression(expr).issues.map((issue) => issue.message);

/** Panel titles under each row, in order. */
function titlesByRow(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  let current = '';
  for (const p of all) {
    if (p.type === 'row') {
      current = p.title ?? '';
      out[current] = [];
    } else {
      out[current]?.push(p.title ?? '');
    }
  }
  return out;
}

describe('TTQuant dashboard', () => {
  it('has the original four areas as rows, in order, with at least the original 34 panels', () => {
    expect(rows.slice(0, 4).map((r) => r.title)).toEqual([
      'System Overview',
      'Market Data',
      'Trading',
      'Strategy Performance',
    ]);
    // Then backtest runs next to live trading, latency from native histograms and the SDK's own
    // health; only the row of metrics without a designed panel may follow.
    expect(rows[4]?.title).toBe('Backtest vs live');
    expect(rows[5]?.title).toBe(NATIVE_LATENCY_ROW.title);
    expect(rows[6]?.title).toBe(SDK_HEALTH_ROW_TITLE);
    expect(rows.slice(7).map((r) => r.title)).toEqual(rows.length > 7 ? ['Other metrics'] : []);
    expect(panels.length).toBeGreaterThanOrEqual(34);
    expect(all[0]?.type).toBe('row');
  });

  it('shows the panels the original areas list', () => {
    const byRow = titlesByRow();
    expect(byRow['System Overview']).toEqual([
      'Market data service',
      'Order gateway',
      'Strategy engine',
      'Active strategies',
      'Engine uptime',
    ]);
    expect(byRow['Market Data']).toEqual(
      expect.arrayContaining(['Market data receive rate', 'Market data latency p50 / p95 / p99']),
    );
    expect(byRow['Trading']).toEqual(
      expect.arrayContaining(['Order rate', 'Order latency p50 / p95 / p99', 'Order success rate', 'Trades']),
    );
    expect(byRow['Strategy Performance']).toEqual(
      expect.arrayContaining(['Strategy PnL', 'Win rate', 'Position size', 'Strategy max drawdown']),
    );
    const successRate = panels.find((p) => p.title === 'Order success rate');
    expect(successRate?.type).toBe('gauge');
    expect(new Set(panels.map((p) => p.type))).toEqual(new Set(['timeseries', 'stat', 'gauge', 'table']));
  });

  it("draws every latency histogram at the monitoring config's quantiles, with its alert levels as dashed lines", () => {
    const quantiles = Object.entries(monitoringConfig.latencyQuantiles);
    const latency = TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions)).filter((d) => d.kind === 'histogram');
    const t = monitoringConfig.thresholds;
    const alertLevels: Record<string, { warning: number; critical: number } | undefined> = {
      [marketDataDefinitions.latency.name]: t.marketDataLatencyMs,
      [gatewayDefinitions.orderLatency.name]: t.orderLatencyMs,
    };
    expect(latency.length).toBeGreaterThan(0);
    for (const def of latency) {
      const panel = panels.find((p) => targetsOf(p).some((target) => target.expr?.includes(`${def.name}_bucket{`)));
      const exprs = panel === undefined ? [] : targetsOf(panel).map((target) => target.expr ?? '');
      expect(
        exprs.map((e) => /^histogram_quantile\(([\d.]+), /.exec(e)?.[1]),
        def.name,
      ).toEqual(quantiles.map(([, q]) => String(q)));
      expect(panel?.title, def.name).toMatch(new RegExp(`${quantiles.map(([name]) => name).join(' / ')}$`));
      const levels = alertLevels[def.name];
      const steps = panel?.fieldConfig?.defaults?.thresholds?.steps ?? [];
      if (levels === undefined) expect(steps, def.name).toEqual([]);
      else expect(steps.map((step) => step.value)).toEqual([null, levels.warning, levels.critical]);
    }
  });

  it('answers latency quantiles either way: classic buckets `or` the native form of histograms declared native', () => {
    const histograms = TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions)).filter(
      (d) => d.kind === 'histogram',
    );
    const either = dashboardQueries().filter((q) => !needsNativeHistograms(q));
    for (const def of histograms) {
      const exprs = either.map((q) => q.expr).filter((e) => e.includes(`${def.name}_bucket{`));
      expect(exprs.length, def.name).toBeGreaterThan(0);
      for (const expr of exprs) {
        const [classic, native, ...rest] = expr.split(' or ');
        expect(rest, expr).toEqual([]);
        expect(classic, expr).toContain(`${def.name}_bucket{`);
        if (def.native === undefined) expect(native, expr).toBeUndefined();
        else expect(native, expr).toMatch(new RegExp(`^histogram_quantile\\([\\d.]+, .*rate\\(${def.name}\\{`));
      }
    }
  });

  it('has a native-histogram latency row: each histogram declared native at the native quantiles, native form only', () => {
    const native = TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions)).filter(
      (d) => d.kind === 'histogram' && d.native !== undefined,
    );
    expect(native.length).toBeGreaterThan(0);
    const rowQueries = dashboardQueries().filter(needsNativeHistograms);
    expect(new Set(rowQueries.map((q) => q.rowTitle))).toEqual(new Set([NATIVE_LATENCY_ROW.title]));
    const quantiles = Object.values(monitoringConfig.nativeLatencyQuantiles).map(String);
    for (const def of native) {
      const exprs = rowQueries.map((q) => q.expr).filter((e) => e.includes(`rate(${def.name}{`));
      expect(
        exprs.map((e) => /^histogram_quantile\(([\d.]+), /.exec(e)?.[1]),
        def.name,
      ).toEqual(quantiles);
      for (const expr of exprs) expect(expr, def.name).not.toMatch(/_bucket|_count|_sum| or /);
      const ids = new Set(rowQueries.filter((q) => q.expr.includes(`rate(${def.name}{`)).map((q) => q.panelId));
      expect([...ids], def.name).toEqual([panelId(`native:${def.name}`)]);
    }
  });

  it('colours the order success rate and the win rate where their alerts fire, from the monitoring config', () => {
    const t = monitoringConfig.thresholds;
    const stepsOf = (title: string) =>
      panels
        .find((p) => p.title === title)
        ?.fieldConfig?.defaults?.thresholds?.steps.map((step) => [step.color, step.value]);
    expect(stepsOf('Order success rate')).toEqual([
      ['red', null],
      ['orange', 1 - t.orderFailureRatio.critical],
      ['green', 1 - t.orderFailureRatio.warning],
    ]);
    expect(stepsOf('Win rate')).toEqual([
      ['red', null],
      ['green', t.winRate],
    ]);
    expect(stepsOf('Strategy PnL')).toEqual([
      ['red', null],
      ['orange', -t.strategyLossUsd.critical],
      ['green', -t.strategyLossUsd.warning],
    ]);
  });

  it('asks for exemplars on the quantile queries of every histogram that declares them, and nowhere else', () => {
    const withExemplars = TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions))
      .filter((def) => def.kind === 'histogram' && def.exemplars !== undefined)
      .map((def) => def.name);
    expect(withExemplars).toContain(gatewayDefinitions.orderLatency.name);
    const reads = (t: Target, name: string): boolean => new RegExp(`\\b${name}(_bucket)?\\{`).test(t.expr ?? '');
    const targets = panels.flatMap(targetsOf);
    for (const name of withExemplars) {
      const quantiles = targets.filter((t) => reads(t, name) && t.expr?.startsWith('histogram_quantile'));
      expect(quantiles.length, name).toBeGreaterThan(0);
      for (const t of quantiles) expect(t.exemplar, t.expr).toBe(true);
    }
    for (const t of targets.filter((target) => target.exemplar === true)) {
      expect(
        withExemplars.some((name) => reads(t, name)),
        t.expr,
      ).toBe(true);
    }
  });

  it('reads from the datasource variable on every row, panel, target and query variable, the provisioned uid by default', () => {
    for (const r of rows) expect(r.datasource, `row ${r.title}`).toEqual(ds);
    for (const p of panels) {
      expect(p.datasource, `panel ${p.title}`).toEqual(ds);
      expect(targetsOf(p).length, `panel ${p.title} has no query`).toBeGreaterThan(0);
      for (const t of targetsOf(p)) expect(t.datasource, `target ${p.title}/${t.refId}`).toEqual(ds);
    }
    const [datasource, ...queries] = model.templating.list ?? [];
    expect(datasource).toMatchObject({ type: 'datasource', name: 'datasource', query: 'prometheus' });
    expect(datasource?.current?.value).toBe(defaultDashboardConfig.datasourceUid);
    for (const v of queries) expect(v.datasource, `variable ${v.name}`).toEqual(ds);
  });

  it('gives every panel a unique id and a place on the 24-column grid without overlaps', () => {
    const ids = all.map((p) => p.id);
    expect(new Set(ids).size).toBe(all.length);
    for (const id of ids) expect(Number.isInteger(id) && (id as number) > 0).toBe(true);
    const cells = new Set<string>();
    for (const p of all) {
      const g = p.gridPos;
      expect(g, `panel ${p.title} has no gridPos`).toBeDefined();
      if (g === undefined) continue;
      expect(g.x + g.w, `panel ${p.title} overflows`).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell), `panel ${p.title} overlaps at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
    }
  });

  it('has multi-value query variables exchange, symbol, strategy, run_id and instance listing label values', () => {
    const vars = (model.templating.list ?? []).filter((v) => v.type === 'query');
    expect(vars.map((v) => v.name)).toEqual(['exchange', 'symbol', 'strategy', 'run_id', 'instance']);
    for (const v of vars) {
      expect(v.type).toBe('query');
      expect(v.multi).toBe(true);
      expect(v.includeAll).toBe(true);
      expect(v.allValue).toBe('.*');
      const query = String(v.query);
      const m = /^label_values\((.+), (\w+)\)$/.exec(query);
      expect(m?.[2], query).toBe(v.name);
      expect(issuesOf(m?.[1] ?? ''), query).toEqual([]);
      expect(v.definition).toBe(query);
    }
  });

  it('shows every catalog metric in at least one panel query', () => {
    const catalogNames = TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions).map((def) => def.name));
    const shown = new Set(dashboardQueries().flatMap((q) => checkDashboardExpression(q.expr).metrics));
    expect(catalogNames.filter((n) => !shown.has(n))).toEqual([]);
    expect(shown.has('up')).toBe(true);
  });

  it('reads job selectors from the configuration, not from code', () => {
    const config: DashboardConfig = {
      ...defaultDashboardConfig,
      datasourceUid: 'prom-live',
      selectors: {
        marketData: 'job="md-x"',
        gateway: 'job="gw-x"',
        strategyEngine: 'job="se-x"',
        backtest: 'job="bt-x"',
      },
    };
    const queries = queriesOf(buildTtquantDashboard(config));
    expect(queries.length).toBe(dashboardQueries().length);
    for (const q of queries) {
      expect(q.expr, q.panelTitle).toMatch(/job="(md|gw|se|bt)-x"/);
      expect(q.expr, q.panelTitle).not.toMatch(/job="(market-data|gateway|strategy-engine|backtest)"/);
    }
    const [datasource] = buildTtquantDashboard(config).templating.list ?? [];
    expect(datasource?.current?.value).toBe('prom-live');
  });

  it('exports every panel query for the live test, with substitutable variables', () => {
    const queries = dashboardQueries();
    const targetCount = panels.reduce((n, p) => n + targetsOf(p).length, 0);
    expect(queries.length).toBe(targetCount);
    for (const q of queries) {
      expect(q.panelTitle).not.toBe('');
      const plain = substituteVariables(q.expr);
      expect(plain, q.panelTitle).not.toContain('$');
      expect(issuesOf(plain), q.panelTitle).toEqual([]);
    }
    const rate = queries.find((q) => q.panelTitle === 'Market data receive rate');
    expect(rate?.rowTitle).toBe('Market Data');
    expect(substituteVariables(rate?.expr ?? '', { exchange: 'binance', __rate_interval: '30s' })).toBe(
      'sum by (exchange, symbol) (rate(market_data_received_total{job="market-data", instance=~".*", exchange=~"binance", symbol=~".*"}[30s]))',
    );
    expect(variablesIn(rate?.expr ?? '')).toEqual(['instance', 'exchange', 'symbol', '__rate_interval']);
  });

  it('refuses to substitute a variable it has no value for', () => {
    expect(() => substituteVariables('up{job=~"$nope"}')).toThrow(
      'no value for Grafana variable $nope in: up{job=~"$nope"}',
    );
  });

  it('is generated deterministically', () => {
    expect(renderDashboardJson()).toBe(renderDashboardJson());
  });

  it('matches the committed monitoring/generated/dashboards/ttquant.json', () => {
    let committed = '';
    try {
      committed = readFileSync(GENERATED_DASHBOARD_PATH, 'utf8');
    } catch {
      // Missing file: compare against '' so the message below says how to create it.
    }
    const fresh = renderDashboardJson();
    expect(
      committed === fresh,
      `monitoring/generated/dashboards/ttquant.json is stale or missing: run \`${REGENERATE_DASHBOARD_COMMAND}\` and commit the result`,
    ).toBe(true);
  });
});
