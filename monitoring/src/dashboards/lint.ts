import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { parser } from '@prometheus-io/lezer-promql';
import { dashboardVocabulary } from '../promql-check/grafana.js';
import type { Vocabulary } from '../promql-check/vocabulary.js';
import { DATASOURCE_VARIABLE } from './config.js';
import { INSTANCE_MATCHER } from './query-builders.js';
import { substituteVariables } from './variables.js';

// The rules of grafana/dashboard-linter, applied to the generated dashboard (Grafana itself cannot
// run here, so its dashboards are judged by their JSON and their queries): the datasource comes from
// a template variable, every panel has a title, a description and a unit, rates use
// $__rate_interval, counters are read only through rate()/irate()/increase(), and every selector
// narrows to its service's job and the selected instances. Exceptions are listed, each with why.

/** A rule of the linter. */
export type LintRule =
  | 'template-datasource'
  | 'panel-title-description'
  | 'panel-units'
  | 'target-rate-interval'
  | 'target-counter-agg'
  | 'target-job-instance';

/** One place a dashboard breaks a rule. */
export interface LintFinding {
  readonly rule: LintRule;
  /** The panel's title, or `dashboard` / `variable <name>`. */
  readonly where: string;
  readonly message: string;
}

/** A finding allowed on purpose: the rule, the panel, and why. */
export interface LintException {
  readonly rule: LintRule;
  readonly where: string;
  readonly why: string;
}

/**
 * The findings the TTQuant dashboard keeps on purpose. Empty today: each rule holds everywhere, and
 * a panel that needs an exception must be listed here with its reason.
 */
export const LINT_EXCEPTIONS: readonly LintException[] = [];

/** Functions that may read a counter (or a histogram's counter series): its rate or increase. */
const COUNTER_READERS = new Set(['rate', 'irate', 'increase']);
/** Counter-like series kinds of the vocabulary. */
const COUNTER_KINDS = new Set(['counter', 'histogram_bucket', 'histogram_sum', 'histogram_count', 'histogram_native']);

// Grafana's duration variables, replaced by durations that tell them apart once parsed.
const WINDOWS: Readonly<Record<string, string>> = {
  __rate_interval: '1111s',
  __range: '2222s',
  __interval: '3333s',
};
const WINDOW_NAMES = new Map(Object.entries(WINDOWS).map(([name, duration]) => [duration, `$${name}`]));

type AnyPanel = dashboard.Panel | dashboard.RowPanel;
type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

interface Target {
  readonly datasource?: dashboard.DataSourceRef;
  readonly expr?: string;
  readonly refId?: string;
}

/**
 * Applies the rules to a dashboard model.
 *
 * @param model - the dashboard, as `buildTtquantDashboard()` returns it
 * @param vocabulary - what each series name is (a counter, a histogram's series…)
 * @param exceptions - findings to leave out; default {@link LINT_EXCEPTIONS}
 * @returns the findings, in panel order
 */
export function lintDashboard(
  model: dashboard.Dashboard,
  vocabulary: Vocabulary = dashboardVocabulary(),
  exceptions: readonly LintException[] = LINT_EXCEPTIONS,
): LintFinding[] {
  const findings: LintFinding[] = [];
  const add = (rule: LintRule, where: string, message: string): void => {
    if (!exceptions.some((e) => e.rule === rule && e.where === where)) findings.push({ rule, where, message });
  };
  const variables = model.templating?.list ?? [];
  const source = variables.find((v) => v.name === 'datasource');
  if (source?.type !== 'datasource' || source.query !== 'prometheus') {
    add('template-datasource', 'dashboard', 'no `datasource` template variable of type datasource for prometheus');
  }
  for (const v of variables) {
    if (v.type === 'query' && v.datasource?.uid !== DATASOURCE_VARIABLE) {
      add(
        'template-datasource',
        `variable ${v.name}`,
        `datasource ${JSON.stringify(v.datasource)} is not ${DATASOURCE_VARIABLE}`,
      );
    }
  }
  for (const panel of (model.panels ?? []) as AnyPanel[]) {
    const where = panel.title ?? '(untitled)';
    if (panel.datasource?.uid !== DATASOURCE_VARIABLE) {
      add('template-datasource', where, `datasource ${JSON.stringify(panel.datasource)} is not ${DATASOURCE_VARIABLE}`);
    }
    if ((panel.title ?? '').trim() === '') add('panel-title-description', where, 'no title');
    if (panel.type === 'row') continue;
    const p = panel as dashboard.Panel;
    if ((p.description ?? '').trim() === '') add('panel-title-description', where, 'no description');
    const unit = (p.fieldConfig?.defaults as { unit?: string } | undefined)?.unit;
    if (unit === undefined || unit === '') add('panel-units', where, 'no unit');
    for (const target of (p.targets ?? []) as Target[]) {
      const at = `${where}/${target.refId ?? '?'}`;
      if (target.datasource?.uid !== DATASOURCE_VARIABLE) {
        add('template-datasource', where, `target ${target.refId}: datasource is not ${DATASOURCE_VARIABLE}`);
      }
      if (typeof target.expr === 'string')
        lintExpr(target.expr, vocabulary, (rule, message) => add(rule, where, `${at}: ${message}`));
    }
  }
  return findings;
}

// The query rules on one expression.
function lintExpr(expr: string, vocabulary: Vocabulary, add: (rule: LintRule, message: string) => void): void {
  // Template variables stay as they are (they sit inside quoted matchers); windows become durations.
  const keep = Object.fromEntries(
    [...expr.matchAll(/\$\{?(\w+)\}?/g)].map(([, name = '']) => [name, WINDOWS[name] ?? `$${name}`]),
  );
  const text = substituteVariables(expr, keep);
  const tree = parser.parse(text);
  const slice = (node: SyntaxNode) => text.slice(node.from, node.to);
  tree.iterate({
    enter: (ref) => {
      const node = ref.node;
      if (node.name === 'FunctionCall') {
        const fn = slice(node.getChild('FunctionIdentifier') ?? node);
        const matrix = node.getChild('FunctionCallBody')?.getChild('MatrixSelector');
        const window =
          matrix === null || matrix === undefined ? undefined : slice(matrix.getChild('DurationExpr') ?? matrix);
        const named = window === undefined ? undefined : (WINDOW_NAMES.get(window) ?? window);
        if ((fn === 'rate' || fn === 'irate') && named !== '$__rate_interval') {
          add('target-rate-interval', `${fn}() over [${named}], not [$__rate_interval]`);
        }
        if (fn === 'increase' && named !== '$__rate_interval' && named !== '$__range') {
          add('target-rate-interval', `increase() over [${named}], not [$__rate_interval] or [$__range]`);
        }
      }
      if (node.name !== 'VectorSelector') return;
      const name = slice(node.getChild('Identifier') ?? node);
      const kind = vocabulary.series.get(name)?.kind;
      if (kind !== undefined && COUNTER_KINDS.has(kind)) {
        const call = node.parent?.name === 'MatrixSelector' ? node.parent.parent?.parent : undefined;
        const fn = call?.name === 'FunctionCall' ? slice(call.getChild('FunctionIdentifier') ?? call) : undefined;
        if (fn === undefined || !COUNTER_READERS.has(fn))
          add('target-counter-agg', `${name} (a ${kind}) read outside rate(), irate() or increase()`);
      }
      const matchers = (node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []).map(slice);
      if (!matchers.some((m) => /^job\s*=/.test(m))) add('target-job-instance', `${name} has no job matcher`);
      if (!matchers.includes(INSTANCE_MATCHER))
        add('target-job-instance', `${name} has no ${INSTANCE_MATCHER} matcher`);
    },
  });
}
