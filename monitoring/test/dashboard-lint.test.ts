import { readFileSync } from 'node:fs';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';
import { DATASOURCE_VARIABLE } from '../src/dashboards/config.js';
import { GENERATED_DASHBOARD_PATH } from '../src/dashboards/generate-dashboard.js';
import { LINT_EXCEPTIONS, type LintRule, lintDashboard } from '../src/dashboards/lint.js';
import { buildTtquantDashboard } from '../src/dashboards/ttquant.js';

// grafana/dashboard-linter's rules over the generated dashboard, and each rule shown to catch a
// dashboard that breaks it (a copy of ours with one thing changed).

type Model = dashboard.Dashboard;
type Panel = dashboard.Panel & { targets?: { expr?: string }[] };

// Through JSON, as the file on disk: the model holds builder functions a structured clone refuses.
const fresh = (): Model => JSON.parse(JSON.stringify(buildTtquantDashboard())) as Model;
const panelsOf = (model: Model): Panel[] => (model.panels ?? []).filter((p): p is Panel => p.type !== 'row');
const titled = (model: Model, title: string): Panel => {
  const panel = panelsOf(model).find((p) => p.title === title);
  if (panel === undefined) throw new Error(`no panel ${title}`);
  return panel;
};
const rulesOf = (model: Model): LintRule[] => [...new Set(lintDashboard(model).map((f) => f.rule))];

describe('dashboard lint (grafana/dashboard-linter rules)', () => {
  it('finds nothing in the generated dashboard, nor in the committed JSON, with no exception listed', () => {
    expect(lintDashboard(buildTtquantDashboard())).toEqual([]);
    expect(lintDashboard(JSON.parse(readFileSync(GENERATED_DASHBOARD_PATH, 'utf8')) as Model)).toEqual([]);
    expect(LINT_EXCEPTIONS).toEqual([]);
  });

  it('wants the datasource from a template variable, everywhere', () => {
    const noVariable = fresh();
    noVariable.templating.list = noVariable.templating.list?.filter((v) => v.name !== 'datasource');
    expect(rulesOf(noVariable)).toEqual(['template-datasource']);
    const fixed = fresh();
    const panel = titled(fixed, 'Order rate');
    panel.datasource = { type: 'prometheus', uid: 'prometheus' };
    expect(lintDashboard(fixed)).toEqual([
      {
        rule: 'template-datasource',
        where: 'Order rate',
        message: expect.stringContaining(`is not ${DATASOURCE_VARIABLE}`),
      },
    ]);
  });

  it('wants a title, a description and a unit on every panel', () => {
    const model = fresh();
    titled(model, 'Order rate').description = '';
    const defaults = titled(model, 'Trades').fieldConfig?.defaults as { unit?: string } | undefined;
    if (defaults === undefined) throw new Error('no field config');
    delete defaults.unit;
    expect(lintDashboard(model).map((f) => [f.rule, f.where])).toEqual([
      ['panel-title-description', 'Order rate'],
      ['panel-units', 'Trades'],
    ]);
  });

  it('wants $__rate_interval in rates, and counters only under rate(), irate() or increase()', () => {
    const model = fresh();
    const rate = titled(model, 'Order rate').targets?.[0];
    if (rate?.expr === undefined) throw new Error('no query');
    rate.expr = rate.expr.replace('$__rate_interval', '5m');
    const raw = titled(model, 'Trades').targets?.[0];
    if (raw === undefined) throw new Error('no query');
    raw.expr = 'sum(trades_total{job="gateway", instance=~"$instance"})';
    const findings = lintDashboard(model);
    expect(findings.map((f) => [f.rule, f.where])).toEqual([
      ['target-rate-interval', 'Order rate'],
      ['target-counter-agg', 'Trades'],
    ]);
    expect(findings[0]?.message).toMatch(/rate\(\) over \[5m\], not \[\$__rate_interval\]/);
    expect(findings[1]?.message).toMatch(/trades_total \(a counter\) read outside rate\(\)/);
  });

  it('wants the job and the instance variable on every selector, and honours a listed exception', () => {
    const model = fresh();
    const target = titled(model, 'Order rate').targets?.[0];
    if (target?.expr === undefined) throw new Error('no query');
    target.expr = target.expr.replace('job="gateway", instance=~"$instance", ', '');
    const findings = lintDashboard(model);
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/orders_total has no job matcher/),
      expect.stringMatching(/orders_total has no instance=~"\$instance" matcher/),
    ]);
    const excused = lintDashboard(model, undefined, [
      { rule: 'target-job-instance', where: 'Order rate', why: 'a test of the exception list' },
    ]);
    expect(excused).toEqual([]);
  });
});
