import type { NoLabels } from '../define/labels.js';
import type { MetricDef } from '../define/metric.js';
import { labelError } from './label-error.js';
import type { SeriesLayout } from './layout.js';

/**
 * The names of the closed labels in a label object type: the labels whose value type is a union of
 * literals. An open label's value type is `string`, so it is left out; a metric without labels has
 * none.
 *
 * @typeParam L - the label object type of a family
 * @example
 * ```ts
 * type Closed = InferClosedLabels<InferLabels<typeof marketDataDefinitions.parseErrors>>; // 'exchange' | 'reason'
 * ```
 */
export type InferClosedLabels<L> = L extends NoLabels
  ? never
  : { [K in keyof L]-?: string extends L[K] ? never : K }[keyof L];

/**
 * Arguments of `bindEach()` after the closed label: every other declared label, required; optional
 * when the closed label is the metric's only label. The enumerated label itself is not allowed here.
 *
 * @typeParam L - the label object type of a family
 * @typeParam K - the closed label whose values are enumerated
 */
export type BindEachArgs<L, K> = [Exclude<keyof L, K>] extends [never]
  ? [labels?: NoLabels]
  : [labels: { readonly [P in Exclude<keyof L, K>]: L[P] }];

/**
 * What `bindEach()` returns: a frozen record from each declared value of the closed label `K` to
 * the handle bound to it.
 *
 * @typeParam L - the label object type of a family
 * @typeParam K - the closed label whose values are the keys
 * @typeParam H - the handle type of the family's kind
 */
export type HandlesByValue<L, K, H> = { readonly [V in K extends keyof L ? L[K] & string : never]: H };

/**
 * Binds one handle per declared value of the closed label `label`, the other labels taken from
 * `others`. Runs at setup time: it allocates the labels objects, the handles and the record, and
 * the handles it returns record with no lookup at all.
 *
 * @param def - the metric
 * @param layout - its storage layout, whose axes hold the closed values in declaration order
 * @param label - the closed label to enumerate
 * @param others - the other labels (checked by `bind`, like any label object)
 * @param bind - the family's `bind`
 * @returns the frozen record, keys in declaration order
 * @throws MetricLabelError when `label` is not a declared closed label, when `others` names it too,
 *   or when `others` does not fit the declaration (untyped callers)
 * @internal
 */
export function bindEachValue<H>(
  def: MetricDef,
  layout: SeriesLayout,
  label: unknown,
  others: unknown,
  bind: (labels: unknown) => H,
): Readonly<Record<string, H>> {
  const closedLabels = layout.axes.filter((axis) => axis.interner === undefined).map((axis) => axis.name);
  const axis = layout.axes.find((candidate) => candidate.name === label);
  const name = typeof label === 'string' ? label : String(label);
  const closedList = closedLabels.length > 0 ? closedLabels.join(', ') : '(none)';
  if (axis === undefined) {
    throw labelError(def, name, undefined, `bindEach() takes a closed label of ${def.name}: ${closedList}`);
  }
  if (axis.interner !== undefined) {
    throw labelError(
      def,
      name,
      undefined,
      `bindEach() takes a closed label, and "${name}" is open: bind its values one by one (closed labels: ${closedList})`,
    );
  }
  if (others != null && typeof others !== 'object') {
    throw labelError(def, layout.axes[0]?.name ?? '', others, 'expected an object of labels');
  }
  const given = (others ?? {}) as Record<string, unknown>;
  if (Object.hasOwn(given, name)) {
    throw labelError(def, name, given[name], 'bindEach() enumerates this label, so leave it out of the other labels');
  }
  // Object.fromEntries defines own properties, so a closed value such as `__proto__` is a plain key.
  return Object.freeze(
    Object.fromEntries(axis.closedValues.map((value) => [value, bind({ ...given, [name]: value })])),
  );
}
