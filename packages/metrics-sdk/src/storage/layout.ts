import type { LabelDomain } from '../define/labels.js';
import type { MetricDef } from '../define/metric.js';
import { type LabelInterner, OpenLabelInterner } from './interner.js';

/**
 * One label's place in the mixed-radix series index: `offset = Σ ordinal[i] * stride[i]`.
 *
 * @internal
 */
export interface LabelAxis {
  readonly name: string;
  readonly domain: LabelDomain;
  /** Number of ordinals: the closed values, or an open label's budget. */
  readonly radix: number;
  readonly stride: number;
  /** Closed values (ordinal = index); empty for an open label. */
  readonly closedValues: readonly string[];
  /** The interner of an open label; `undefined` for a closed one. */
  readonly interner: LabelInterner | undefined;
}

/**
 * The fixed storage shape of one metric: its label axes and the number of series slots. Capacity
 * is the product of the radixes, plus one overflow slot when the metric has an open label, and
 * never changes, so storage never reallocates.
 *
 * @internal
 */
export interface SeriesLayout {
  readonly axes: readonly LabelAxis[];
  readonly capacity: number;
  /**
   * The slot of the metric's one overflow series (`otel_metric_overflow="true"`), where records go
   * when any open label's budget is full; `-1` when the metric has no open label.
   */
  readonly overflowOffset: number;
}

/**
 * Computes the layout of one metric, applying per-label budget overrides for open labels; a shared
 * catalog passes the interners of its shared memory.
 *
 * @internal
 */
export function computeLayout(
  def: MetricDef,
  budgets: Readonly<Record<string, number>> = {},
  makeInterner: (label: string, budget: number) => LabelInterner = (_, budget) => new OpenLabelInterner(budget),
): SeriesLayout {
  const names = Object.keys(def.labels);
  const axes: LabelAxis[] = [];
  // Last label varies fastest, so series of one exchange sit together in memory.
  let stride = 1;
  for (let i = names.length - 1; i >= 0; i--) {
    const name = names[i] as string;
    const domain = def.labels[name] as LabelDomain;
    // Own keys only: a label named `constructor` or `toString` must not find Object.prototype's.
    const budget = domain.kind === 'open' ? (own(budgets, name) ?? domain.budget) : 0;
    const radix = domain.kind === 'closed' ? domain.values.length : budget;
    axes.unshift({
      name,
      domain,
      radix,
      stride,
      closedValues: domain.kind === 'closed' ? domain.values : [],
      interner: domain.kind === 'open' ? makeInterner(name, budget) : undefined,
    });
    stride *= radix;
  }
  const hasOpen = axes.some((axis) => axis.interner !== undefined);
  return { axes, capacity: hasOpen ? stride + 1 : stride, overflowOffset: hasOpen ? stride : -1 };
}

/**
 * Decodes a series offset back into its label values, in declared order; `null` for the overflow
 * slot, which has no values of its own.
 *
 * @internal
 */
export function decodeOffset(layout: SeriesLayout, offset: number): string[] | null {
  if (offset === layout.overflowOffset) return null;
  const out: string[] = [];
  let rest = offset;
  for (const axis of layout.axes) {
    const ordinal = Math.floor(rest / axis.stride);
    rest -= ordinal * axis.stride;
    if (axis.interner === undefined) out.push(axis.closedValues[ordinal] as string);
    else out.push(axis.interner.values[ordinal] as string);
  }
  return out;
}

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
