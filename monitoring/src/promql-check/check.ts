import { parser } from '@prometheus-io/lezer-promql';
import { type SeriesInfo, type Vocabulary, withRecorded } from './vocabulary.js';

// Checks PromQL expressions against the vocabulary of the catalogs with Prometheus' own lezer
// grammar: every selected name must exist (a histogram only as _bucket/_sum/_count), every label
// matcher must name a label of that series (with a value from its domain when the label is closed),
// and every `by`/`without`/`on`/`ignoring`/`group_*` label must exist in the labels flowing into it.
// Labels are tracked through aggregations, functions and binary operators the way the engine
// computes result labels, so `sum by (exchange) (strategy_pnl_total)` is caught. The bare name of a
// histogram declared native (its native form) is accepted only where PromQL reads native histograms:
// inside rate() or increase(), optionally summed or averaged, feeding histogram_quantile(),
// histogram_count(), histogram_sum() or histogram_fraction().

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** One problem found in an expression. */
export interface PromqlIssue {
  /** Character offset into the expression. */
  readonly at: number;
  readonly message: string;
}

/**
 * Native histogram samples flowing through an expression: `raw` as selected (cumulative since the
 * process started), `rate` after rate() or increase(), ready for the histogram functions.
 */
interface NativeFlow {
  readonly stage: 'raw' | 'rate';
  /** The histogram's name, for messages. */
  readonly name: string;
}

/** What an expression evaluates to; `labels` is `null` when it cannot be known statically. */
type Shape =
  | { readonly t: 'scalar' }
  | { readonly t: 'string'; readonly value: string }
  | {
      readonly t: 'vector';
      readonly labels: ReadonlySet<string> | null;
      readonly series?: SeriesInfo;
      /** Set when the values are native histograms, not floats. */
      readonly native?: NativeFlow;
    };

/** Result of {@link checkExpression}. */
export interface CheckResult {
  readonly issues: readonly PromqlIssue[];
  /** Series names the expression selects. */
  readonly selected: ReadonlySet<string>;
  /** Labels of the result, or `null` when unknown (also for a scalar result: empty set). */
  readonly labels: ReadonlySet<string> | null;
}

/** Node names of the lezer grammar that are expressions (operands), not tokens or modifiers. */
export const EXPRESSIONS: ReadonlySet<string> = new Set([
  'AggregateExpr',
  'AnchoredExpr',
  'BinaryExpr',
  'FunctionCall',
  'MatrixSelector',
  'NumberDurationLiteral',
  'OffsetExpr',
  'ParenExpr',
  'SmoothedExpr',
  'StepInvariantExpr',
  'StringLiteral',
  'SubqueryExpr',
  'UnaryExpr',
  'VectorSelector',
]);
const SET_OPS = new Set(['And', 'Or', 'Unless']);
const BINARY_OPS = new Set([
  ...SET_OPS,
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Mod',
  'Pow',
  'Atan2',
  'Eql',
  'Neq',
  'Gtr',
  'Lss',
  'Gte',
  'Lte',
  'TrimUpper',
  'TrimLower',
]);
/** Functions whose argument must be a counter (or a histogram's counter series). */
const COUNTER_FUNCTIONS = new Set(['rate', 'irate', 'increase', 'resets']);
const SCALAR_FUNCTIONS = new Set(['scalar', 'time', 'pi']);
const PARAM_AGGREGATIONS = new Set(['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio']);
/** Functions that turn a native histogram into a rate of histograms. */
const NATIVE_RATE_FUNCTIONS = new Set(['rate', 'increase']);
/** Aggregations that add native histograms and keep them histograms (Prometheus 2.42). */
const NATIVE_AGGREGATIONS = new Set(['sum', 'avg']);
/** Functions that read a rate of native histograms as floats, and which argument holds it. */
const NATIVE_READERS: ReadonlyMap<string, number> = new Map([
  ['histogram_quantile', 1],
  ['histogram_count', 0],
  ['histogram_sum', 0],
  ['histogram_fraction', 2],
]);

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child !== null; child = child.nextSibling) out.push(child);
  return out;
}

function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  const body = literal.slice(1, -1);
  return body.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
}

class Checker {
  readonly issues: PromqlIssue[] = [];
  readonly selected = new Set<string>();

  constructor(
    private readonly src: string,
    private readonly vocabulary: Vocabulary,
  ) {}

  private text(node: SyntaxNode): string {
    return this.src.slice(node.from, node.to);
  }

  private issue(node: SyntaxNode, message: string): void {
    this.issues.push({ at: node.from, message });
  }

  private exprChildren(node: SyntaxNode): SyntaxNode[] {
    return children(node).filter((child) => EXPRESSIONS.has(child.name));
  }

  private groupingLabels(node: SyntaxNode | null): string[] {
    if (node === null) return [];
    return node.getChildren('LabelName').map((label) => this.text(label));
  }

  /** Reports labels of `wanted` that `available` lacks; `null` (unknown) accepts everything. */
  private requireLabels(at: SyntaxNode, wanted: readonly string[], available: Shape, context: string): void {
    if (available.t !== 'vector' || available.labels === null) return;
    for (const label of wanted) {
      if (!available.labels.has(label)) {
        const have = [...available.labels].sort().join(', ') || 'none';
        this.issue(at, `${context}: label "${label}" does not exist here (available: ${have})`);
      }
    }
  }

  /**
   * Reports native histogram samples reaching a place that cannot read them: anything but rate() or
   * increase() of the selected histogram, sum/avg of that, and the histogram functions.
   */
  nativeMisplaced(at: SyntaxNode, shape: Shape | undefined, where: string): void {
    if (shape?.t !== 'vector' || shape.native === undefined) return;
    const { name, stage } = shape.native;
    const how =
      stage === 'raw'
        ? `wrap it in rate(${name}[...]) or increase(...) first`
        : 'read it with histogram_quantile(), histogram_count(), histogram_sum() or histogram_fraction()';
    this.issue(at, `${where} cannot take the native histogram ${name}: ${how}`);
  }

  walk(node: SyntaxNode): Shape {
    switch (node.name) {
      case 'PromQL':
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'OffsetExpr':
      case 'SubqueryExpr':
      case 'StepInvariantExpr':
      case 'AnchoredExpr':
      case 'SmoothedExpr':
      case 'MatrixSelector': {
        const inner = this.exprChildren(node)[0];
        if (inner === undefined) {
          this.issue(node, 'empty expression');
          return { t: 'vector', labels: null };
        }
        return this.walk(inner);
      }
      case 'NumberDurationLiteral':
        return { t: 'scalar' };
      case 'StringLiteral':
        return { t: 'string', value: unquote(this.text(node)) };
      case 'VectorSelector':
        return this.selector(node);
      case 'FunctionCall':
        return this.functionCall(node);
      case 'AggregateExpr':
        return this.aggregate(node);
      case 'BinaryExpr':
        return this.binary(node);
      default:
        this.issue(node, `unsupported expression node ${node.name}`);
        return { t: 'vector', labels: null };
    }
  }

  private selector(node: SyntaxNode): Shape {
    const matchers = node.getChild('LabelMatchers');
    const parsed = (matchers === null ? [] : children(matchers))
      .filter((m) => m.name === 'UnquotedLabelMatcher' || m.name === 'QuotedLabelMatcher')
      .map((m) => {
        const nameNode = m.getChild('LabelName') ?? m.getChild('StringLiteral');
        const literals = m.getChildren('StringLiteral');
        const valueNode = literals[literals.length - 1];
        const op = m.getChild('MatchOp');
        return {
          node: m,
          label: nameNode === null ? '' : this.text(nameNode).replace(/^"(.*)"$/, '$1'),
          op: op === null ? '=' : this.text(op),
          value: valueNode === undefined ? '' : unquote(this.text(valueNode)),
        };
      });
    const ident = node.getChild('Identifier');
    const byName = parsed.find((m) => m.label === '__name__' && m.op === '=');
    const name = ident !== null ? this.text(ident) : byName?.value;
    if (name === undefined) {
      this.issue(node, 'selector without a metric name');
      return { t: 'vector', labels: null };
    }
    this.selected.add(name);
    const series = this.vocabulary.series.get(name);
    if (series === undefined) {
      if (this.vocabulary.histograms.has(name)) {
        this.issue(node, `"${name}" is a histogram: select ${name}_bucket, ${name}_sum or ${name}_count`);
      } else {
        this.issue(
          node,
          `unknown metric "${name}": not in the catalogs, the allowed external metrics or the recording rules`,
        );
      }
      return { t: 'vector', labels: null };
    }
    for (const m of parsed) {
      if (m.label === '__name__') continue;
      if (!series.labels.has(m.label)) {
        const have = [...series.labels.keys()].sort().join(', ');
        this.issue(m.node, `${name} (${series.origin}) has no label "${m.label}" (labels: ${have})`);
        continue;
      }
      const domain = series.labels.get(m.label);
      if (domain === null || domain === undefined) continue;
      // Equality values, and regexes that are a plain alternation of literals, must be in the domain.
      const values =
        m.op === '=' || m.op === '!=' ? [m.value] : /^[\w.+-]+(\|[\w.+-]+)*$/.test(m.value) ? m.value.split('|') : [];
      for (const value of values) {
        if (!domain.includes(value)) {
          this.issue(m.node, `${name}: label "${m.label}" has no value "${value}"; allowed: ${domain.join(', ')}`);
        }
      }
    }
    const labels = new Set(series.labels.keys());
    return series.kind === 'histogram_native'
      ? { t: 'vector', labels, series, native: { stage: 'raw', name } }
      : { t: 'vector', labels, series };
  }

  private functionCall(node: SyntaxNode): Shape {
    const ident = node.getChild('FunctionIdentifier');
    const fn = ident === null ? '' : this.text(ident);
    const body = node.getChild('FunctionCallBody');
    const argNodes = body === null ? [] : this.exprChildren(body);
    const args = argNodes.map((arg) => this.walk(arg));
    const firstVector = args.find((arg) => arg.t === 'vector');
    const vectorLabels = firstVector?.t === 'vector' ? firstVector.labels : null;

    const nativeArg = NATIVE_READERS.get(fn);
    if (nativeArg !== undefined) {
      const arg = args[nativeArg];
      const at = argNodes[nativeArg] ?? node;
      args.forEach((other, i) => {
        if (i !== nativeArg) this.nativeMisplaced(argNodes[i] ?? node, other, `${fn}()`);
      });
      if (arg?.t === 'vector' && arg.native?.stage === 'rate') {
        return { t: 'vector', labels: arg.labels };
      }
      if (arg?.t === 'vector' && arg.native?.stage === 'raw') {
        this.nativeMisplaced(at, arg, `${fn}()`);
        return { t: 'vector', labels: arg.labels };
      }
      if (fn !== 'histogram_quantile' && arg?.t === 'vector' && arg.labels !== null) {
        this.issue(at, `${fn}() needs native histograms: rate() of the bare name of a histogram declared native`);
      }
    } else {
      args.forEach((arg, i) => {
        if (!(NATIVE_RATE_FUNCTIONS.has(fn) && i === 0 && arg.t === 'vector' && arg.native?.stage === 'raw')) {
          this.nativeMisplaced(argNodes[i] ?? node, arg, `${fn}()`);
        }
      });
    }

    if (COUNTER_FUNCTIONS.has(fn)) {
      const arg = args[0];
      if (arg?.t === 'vector' && arg.native !== undefined) {
        // irate() and resets() were reported above; only rate() and increase() yield native rates.
        return NATIVE_RATE_FUNCTIONS.has(fn)
          ? { t: 'vector', labels: vectorLabels, native: { stage: 'rate', name: arg.native.name } }
          : { t: 'vector', labels: vectorLabels };
      }
      if (arg?.t === 'vector' && arg.series !== undefined) {
        const kind = arg.series.kind;
        if (kind === 'gauge' || kind === 'recorded') {
          this.issue(argNodes[0] ?? node, `${fn}() needs a counter, but ${arg.series.name} is a ${kind}`);
        }
      }
      return { t: 'vector', labels: vectorLabels };
    }
    if (fn === 'histogram_quantile') {
      const arg = args[1];
      if (arg?.t === 'vector' && arg.labels !== null && !arg.labels.has('le')) {
        this.issue(argNodes[1] ?? node, 'histogram_quantile() needs the "le" label; keep it in the aggregation');
      }
      return { t: 'vector', labels: arg?.t === 'vector' && arg.labels !== null ? without(arg.labels, ['le']) : null };
    }
    if (fn === 'label_replace' || fn === 'label_join') {
      const strings = args.filter((arg): arg is { t: 'string'; value: string } => arg.t === 'string');
      const [dst, ...rest] = strings.map((s) => s.value);
      const sources = fn === 'label_replace' ? [rest[1] ?? ''] : rest.slice(1);
      const vector = args[0];
      if (vector !== undefined) {
        this.requireLabels(
          node,
          sources.filter((s) => s !== ''),
          vector,
          `${fn}() source`,
        );
      }
      return {
        t: 'vector',
        labels: vectorLabels === null || dst === undefined ? null : new Set([...vectorLabels, dst]),
      };
    }
    if (SCALAR_FUNCTIONS.has(fn)) return { t: 'scalar' };
    if (fn === 'vector') return { t: 'vector', labels: new Set() };
    return { t: 'vector', labels: vectorLabels };
  }

  private aggregate(node: SyntaxNode): Shape {
    const op = this.text(node.getChild('AggregateOp') ?? node);
    const body = node.getChild('FunctionCallBody');
    const argNodes = body === null ? [] : this.exprChildren(body);
    const args = argNodes.map((arg) => this.walk(arg));
    const input = args[args.length - 1] ?? { t: 'vector' as const, labels: null };
    const inputNode = argNodes[args.length - 1] ?? node;
    // sum/avg of a rate of native histograms stays one; every other use of their samples is a mistake.
    const nativeRate = input.t === 'vector' && input.native?.stage === 'rate' && NATIVE_AGGREGATIONS.has(op);
    if (!nativeRate) this.nativeMisplaced(inputNode, input, op);
    const carried = nativeRate && input.t === 'vector' ? { native: input.native } : {};
    const modifier = node.getChild('AggregateModifier');
    const labels = this.groupingLabels(modifier?.getChild('GroupingLabels') ?? null);
    const isWithout = modifier?.getChild('Without') != null;
    this.requireLabels(modifier ?? node, labels, input, `${op} ${isWithout ? 'without' : 'by'}`);
    const extra = op === 'count_values' && args[0]?.t === 'string' ? [args[0].value] : [];
    if (PARAM_AGGREGATIONS.has(op) && (op === 'topk' || op === 'bottomk' || op === 'limitk' || op === 'limit_ratio')) {
      // These keep the input series' labels.
      return input.t === 'vector' ? { t: 'vector', labels: input.labels } : input;
    }
    if (modifier === null) return { t: 'vector', labels: new Set(extra), ...carried };
    if (isWithout) {
      return {
        t: 'vector',
        labels: input.t === 'vector' && input.labels !== null ? without(input.labels, labels) : null,
        ...carried,
      };
    }
    return { t: 'vector', labels: new Set([...labels, ...extra]), ...carried };
  }

  private binary(node: SyntaxNode): Shape {
    const parts = children(node);
    const operands = parts.filter((child) => EXPRESSIONS.has(child.name));
    const lhsNode = operands[0];
    const rhsNode = operands[operands.length - 1];
    const opNode = parts.find((child) => BINARY_OPS.has(child.name));
    if (lhsNode === undefined || rhsNode === undefined || opNode === undefined || lhsNode === rhsNode) {
      this.issue(node, 'malformed binary expression');
      return { t: 'vector', labels: null };
    }
    const lhs = this.walk(lhsNode);
    const rhs = this.walk(rhsNode);
    const op = opNode.name;
    this.nativeMisplaced(lhsNode, lhs, `the operator ${this.text(opNode)}`);
    this.nativeMisplaced(rhsNode, rhs, `the operator ${this.text(opNode)}`);
    const clause = node.getChild('MatchingModifierClause');
    const on = clause?.getChild('On') != null;
    const ignoring = clause?.getChild('Ignoring') != null;
    const groupNodes = clause === null ? [] : clause.getChildren('GroupingLabels');
    const matching = this.groupingLabels(groupNodes[0] ?? null);
    const groupLeft = clause?.getChild('GroupLeft') != null;
    const groupRight = clause?.getChild('GroupRight') != null;
    const included = this.groupingLabels(groupNodes[1] ?? null);

    if (lhs.t !== 'vector' || rhs.t !== 'vector') {
      if (lhs.t === 'vector') return { t: 'vector', labels: lhs.labels };
      if (rhs.t === 'vector') return { t: 'vector', labels: rhs.labels };
      return { t: 'scalar' };
    }
    if (on) {
      this.requireLabels(clause ?? node, matching, lhs, 'on() left side');
      this.requireLabels(clause ?? node, matching, rhs, 'on() right side');
    }
    if (ignoring && lhs.labels !== null && rhs.labels !== null) {
      for (const label of matching) {
        if (!lhs.labels.has(label) && !rhs.labels.has(label)) {
          this.issue(clause ?? node, `ignoring(): label "${label}" exists on neither side`);
        }
      }
    }
    if (groupLeft) this.requireLabels(clause ?? node, included, rhs, 'group_left() from the right side');
    if (groupRight) this.requireLabels(clause ?? node, included, lhs, 'group_right() from the left side');

    if (lhs.labels === null || rhs.labels === null) return { t: 'vector', labels: null };
    if (SET_OPS.has(op)) {
      return { t: 'vector', labels: op === 'Or' ? new Set([...lhs.labels, ...rhs.labels]) : lhs.labels };
    }
    if (groupLeft) return { t: 'vector', labels: new Set([...lhs.labels, ...included]) };
    if (groupRight) return { t: 'vector', labels: new Set([...rhs.labels, ...included]) };
    // One-to-one: the engine keeps only the on() labels, or drops the ignoring() ones.
    if (on) return { t: 'vector', labels: new Set(matching) };
    if (ignoring) return { t: 'vector', labels: without(lhs.labels, matching) };
    return { t: 'vector', labels: lhs.labels };
  }
}

function without(labels: ReadonlySet<string>, drop: readonly string[]): Set<string> {
  const out = new Set(labels);
  for (const label of drop) out.delete(label);
  return out;
}

/**
 * Checks one PromQL expression against a vocabulary.
 *
 * @param expr - the expression
 * @param vocabulary - what it may name (see {@link catalogVocabulary})
 * @returns the issues (empty when clean), the selected names and the result labels
 * @example
 * ```ts
 * const { issues } = checkExpression('sum by (exchange) (rate(orders_total[5m]))', catalogVocabulary());
 * // issues: []
 * ```
 */
export function checkExpression(expr: string, vocabulary: Vocabulary): CheckResult {
  const tree = parser.parse(expr);
  const checker = new Checker(expr, vocabulary);
  tree.iterate({
    enter(node) {
      if (node.type.isError) checker.issues.push({ at: node.from, message: 'syntax error' });
    },
  });
  const shape = checker.walk(tree.topNode);
  checker.nativeMisplaced(tree.topNode, shape, 'the result');
  return {
    issues: checker.issues,
    selected: checker.selected,
    labels: shape.t === 'vector' ? shape.labels : new Set(),
  };
}

/** An issue with the rule it was found in. */
export interface RuleIssue extends PromqlIssue {
  /** Recorded name or alert name. */
  readonly rule: string;
  readonly expr: string;
}

/**
 * Checks recording rules in order, adding each recorded series (with the labels its expression
 * yields) to the vocabulary, then checks the alert expressions against the result.
 *
 * @param vocabulary - the catalogs' vocabulary
 * @param recording - recording rules, in evaluation order
 * @param alerts - alerting rules
 * @returns every issue, and the final vocabulary
 */
export function checkRules(
  vocabulary: Vocabulary,
  recording: readonly { readonly record: string; readonly expr: string }[],
  alerts: readonly { readonly alert: string; readonly expr: string }[],
): { readonly issues: readonly RuleIssue[]; readonly vocabulary: Vocabulary } {
  const issues: RuleIssue[] = [];
  let current = vocabulary;
  for (const rule of recording) {
    const result = checkExpression(rule.expr, current);
    issues.push(...result.issues.map((i) => ({ ...i, rule: rule.record, expr: rule.expr })));
    current = withRecorded(current, rule.record, result.labels ?? []);
  }
  for (const rule of alerts) {
    const result = checkExpression(rule.expr, current);
    issues.push(...result.issues.map((i) => ({ ...i, rule: rule.alert, expr: rule.expr })));
  }
  return { issues, vocabulary: current };
}
