import { parser } from '@prometheus-io/lezer-promql';
import {
  engineDefinitions,
  gatewayDefinitions,
  type MetricDef,
  marketDataDefinitions,
  strategyDefinitions,
} from '@ttquant/metrics';
import { defaultVariableValues, knownVariables, substituteVariables, variablesIn } from './variables.js';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

// Checks PromQL against the catalogs with Prometheus' own grammar (lezer-promql): every selected
// series is a catalog metric (a histogram through its _bucket/_sum/_count series) or `up`, and
// every label in a matcher, by()/without() or on()/ignoring() is one the selected series carry.

/** A series name PromQL may select, and what it belongs to. */
export interface SeriesInfo {
  /** The catalog metric's name (for `x_bucket`, `x`); `up` for the scrape health series. */
  readonly metric: string;
  /** Labels the series carries, besides the target labels `job` and `instance`. */
  readonly labels: ReadonlySet<string>;
}

/** Labels Prometheus attaches to every scraped series. */
export const TARGET_LABELS: readonly string[] = ['job', 'instance'];

/** The four catalogs' declarations: all 43 metrics. */
export const catalogDefinitions: readonly MetricDef[] = [
  ...Object.values(marketDataDefinitions),
  ...Object.values(gatewayDefinitions),
  ...Object.values(strategyDefinitions),
  ...Object.values(engineDefinitions),
];

/**
 * Series names and their labels, from metric declarations.
 *
 * @param defs - declarations; default the four catalogs
 * @returns series name to info; includes `up`
 */
export function seriesIndex(defs: readonly MetricDef[] = catalogDefinitions): ReadonlyMap<string, SeriesInfo> {
  const index = new Map<string, SeriesInfo>();
  index.set('up', { metric: 'up', labels: new Set() });
  for (const def of defs) {
    const labels = Object.keys(def.labels);
    if (def.kind === 'histogram') {
      index.set(`${def.name}_bucket`, { metric: def.name, labels: new Set([...labels, 'le']) });
      index.set(`${def.name}_sum`, { metric: def.name, labels: new Set(labels) });
      index.set(`${def.name}_count`, { metric: def.name, labels: new Set(labels) });
    } else {
      index.set(def.name, { metric: def.name, labels: new Set(labels) });
    }
  }
  return index;
}

/** The result of checking one expression. */
export interface ExprReport {
  /** What is wrong, one sentence each; empty when the expression is consistent. */
  readonly problems: readonly string[];
  /** Catalog metrics (or `up`) the expression selects. */
  readonly metrics: readonly string[];
}

/** Options of {@link checkExpr}. */
export interface CheckOptions {
  /** Series the expression may select; default {@link seriesIndex}(). */
  readonly index?: ReadonlyMap<string, SeriesInfo>;
  /** Variable names the expression may reference; default the dashboard's. */
  readonly variables?: ReadonlySet<string>;
}

interface Selected {
  readonly from: number;
  readonly to: number;
  readonly labels: ReadonlySet<string>;
}

function childrenNamed(node: SyntaxNode, name: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child !== null; child = child.nextSibling) {
    if (child.name === name) out.push(child);
  }
  return out;
}

function descendantsNamed(node: SyntaxNode, name: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const cursor = node.cursor();
  do {
    if (cursor.name === name) out.push(cursor.node);
  } while (cursor.next() && cursor.from < node.to);
  return out;
}

/**
 * Checks one PromQL expression (with Grafana variables) against the catalogs.
 *
 * @param expr - the expression as a dashboard or rule holds it
 * @param options - series index and allowed variables
 * @returns problems (empty when consistent) and the metrics selected
 */
export function checkExpr(expr: string, options: CheckOptions = {}): ExprReport {
  const index = options.index ?? seriesIndex();
  const allowed = options.variables ?? knownVariables;
  const problems: string[] = [];
  const undefinedVariables = variablesIn(expr).filter((v) => !allowed.has(v));
  for (const v of new Set(undefinedVariables)) problems.push(`variable $${v} is not defined`);

  // Substitute before parsing: `[$__rate_interval]` is not PromQL. Unknown variables get a harmless
  // stand-in so the rest of the expression is still checked.
  const stand: Record<string, string> = { ...defaultVariableValues };
  for (const v of undefinedVariables) stand[v] = '.*';
  const text = substituteVariables(expr, stand);
  const tree = parser.parse(text);

  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        problems.push(`syntax error at offset ${node.from}: ${JSON.stringify(text.slice(node.from, node.from + 20))}`);
      }
    },
  });

  const selected: Selected[] = [];
  const metrics = new Set<string>();
  const targetLabels = new Set(TARGET_LABELS);
  for (const sel of descendantsNamed(tree.topNode, 'VectorSelector')) {
    const ident = childrenNamed(sel, 'Identifier')[0];
    if (ident === undefined) {
      problems.push(`selector ${text.slice(sel.from, sel.to)} has no metric name`);
      continue;
    }
    const name = text.slice(ident.from, ident.to);
    const info = index.get(name);
    if (info === undefined) {
      problems.push(`metric ${name} is not in the catalog`);
      continue;
    }
    metrics.add(info.metric);
    selected.push({ from: sel.from, to: sel.to, labels: info.labels });
    for (const matchers of childrenNamed(sel, 'LabelMatchers')) {
      for (const matcher of matchers.getChildren('QuotedLabelMatcher')) {
        problems.push(`quoted matcher ${text.slice(matcher.from, matcher.to)} in ${name} is not supported`);
      }
      for (const matcher of matchers.getChildren('UnquotedLabelMatcher')) {
        const labelNode = matcher.getChild('LabelName');
        const label = labelNode === null ? '' : text.slice(labelNode.from, labelNode.to);
        if (!info.labels.has(label) && !targetLabels.has(label)) {
          problems.push(`label ${label} in a matcher is not a label of ${name}`);
        }
      }
    }
  }

  // Grouping labels must be carried by some series the grouped expression selects.
  const labelsWithin = (node: SyntaxNode): Set<string> => {
    const out = new Set(targetLabels);
    for (const s of selected) {
      if (s.from >= node.from && s.to <= node.to) for (const l of s.labels) out.add(l);
    }
    return out;
  };
  const checkGrouping = (owner: SyntaxNode, clause: SyntaxNode, kind: string) => {
    const available = labelsWithin(owner);
    for (const grouping of clause.getChildren('GroupingLabels')) {
      for (const labelNode of grouping.getChildren('LabelName')) {
        const label = text.slice(labelNode.from, labelNode.to);
        if (!available.has(label)) {
          problems.push(`label ${label} in ${kind} is not a label of the series it groups`);
        }
      }
    }
  };
  for (const agg of descendantsNamed(tree.topNode, 'AggregateExpr')) {
    for (const modifier of childrenNamed(agg, 'AggregateModifier')) checkGrouping(agg, modifier, 'by()/without()');
  }
  for (const bin of descendantsNamed(tree.topNode, 'BinaryExpr')) {
    for (const clause of childrenNamed(bin, 'MatchingModifierClause')) checkGrouping(bin, clause, 'on()/ignoring()');
  }
  return { problems, metrics: [...metrics].sort() };
}
