import { parser } from '@prometheus-io/lezer-promql';
import { EXPRESSIONS } from './check.js';

// An alert expression usually returns nothing: its comparisons filter everything out until something
// is wrong. What a live test can check is that each series the alert judges exists: the side of
// every comparison against a constant, and each side of `and`/`or`/`unless`.

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

const COMPARISONS = new Set(['Eql', 'Neq', 'Gtr', 'Lss', 'Gte', 'Lte']);
const SET_OPS = new Set(['And', 'Or', 'Unless']);

function operandsOf(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child !== null; child = child.nextSibling) {
    if (EXPRESSIONS.has(child.name)) out.push(child);
  }
  return out;
}

function operatorOf(node: SyntaxNode): string | undefined {
  for (let child = node.firstChild; child !== null; child = child.nextSibling) {
    if (COMPARISONS.has(child.name) || SET_OPS.has(child.name)) return child.name;
  }
  return undefined;
}

/** A number, possibly negated or in parentheses. */
function isConstant(node: SyntaxNode): boolean {
  if (node.name === 'NumberDurationLiteral') return true;
  if (node.name === 'ParenExpr' || node.name === 'UnaryExpr') {
    const inner = node.lastChild;
    return inner !== null && isConstant(inner);
  }
  return false;
}

/**
 * The vector expressions an alert judges: for `x > 500` the `x`; for `a == 0 or b == 0` both `a`
 * and `b`; for `x < 0.3 and on (k) (y + z) >= 20` both `x` and `(y + z)`. An expression without a
 * comparison is returned whole. A live test queries each: all of them returning data means the
 * alert reads series that exist, whatever its thresholds.
 *
 * @param expr - an alert expression
 * @returns the judged sub-expressions, as text of `expr`
 * @example
 * ```ts
 * judgedOperands('job_exchange:order_processing_latency_ms:p99_1m > 500');
 * // ['job_exchange:order_processing_latency_ms:p99_1m']
 * ```
 */
export function judgedOperands(expr: string): string[] {
  const text = (node: SyntaxNode): string => expr.slice(node.from, node.to);
  const visit = (node: SyntaxNode): string[] => {
    if (node.name === 'PromQL') return node.firstChild === null ? [] : visit(node.firstChild);
    if (node.name !== 'BinaryExpr') return [text(node)];
    const op = operatorOf(node);
    const [lhs, rhs] = operandsOf(node);
    if (op === undefined || lhs === undefined || rhs === undefined) return [text(node)];
    if (COMPARISONS.has(op) && isConstant(rhs)) return [text(lhs)];
    if (COMPARISONS.has(op) && isConstant(lhs)) return [text(rhs)];
    return [...visit(lhs), ...visit(rhs)];
  };
  return visit(parser.parse(expr).topNode);
}
