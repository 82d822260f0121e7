import { MetricLabelError } from '../define/errors.js';
import type { MetricDef } from '../define/metric.js';

/** Why a recorded value was dropped. */
export type InvalidValueReason = 'negative' | 'not-finite';

/**
 * A recorded value that was dropped instead of corrupting a series: a negative or non-finite
 * counter increment, a non-finite gauge value (unless the gauge emits them), or a negative or
 * non-finite histogram sample.
 */
export interface InvalidValueEvent {
  /** Wire name of the metric. */
  readonly metric: string;
  /** The value that was dropped. */
  readonly value: number;
  /** Why it was dropped. */
  readonly reason: InvalidValueReason;
}

/** Called for every dropped value; see {@link InvalidValueEvent}. */
export type InvalidValueHook = (event: InvalidValueEvent) => void;

/** Per-family counters of what the slow paths did; read by exposition and tests. */
export interface FamilyStats {
  /** Values dropped as invalid. */
  dropped: number;
  /** Records (and binds) that resolved to the overflow slot of an open label. */
  overflowed: number;
}

/** @internal what the slow path needs to account a drop */
interface DropTarget {
  readonly def: MetricDef;
  readonly stats: FamilyStats;
  readonly onInvalidValue: InvalidValueHook;
}

// Keyed by the family's value array, so a handle stays (values, offset) and still finds its family
// on the slow path.
const targets = new WeakMap<Float64Array, DropTarget>();

/** @internal */
export function registerDropTarget(values: Float64Array, target: DropTarget): void {
  targets.set(values, target);
}

/**
 * Slow path of every record call: counts the drop and calls the hook. Never throws unless the hook
 * does (tests install a throwing hook to stay strict).
 *
 * @internal
 */
export function reportInvalidValue(values: Float64Array, value: number): void {
  const target = targets.get(values);
  if (target === undefined) return;
  target.stats.dropped++;
  // Non-finite first: -Infinity is dropped for being infinite (a gauge accepts negatives).
  const reason: InvalidValueReason = value - value === 0 ? 'negative' : 'not-finite';
  target.onInvalidValue({ metric: target.def.name, value, reason });
}

/**
 * The default hook: one process warning per metric, then silence (the drop count keeps counting).
 *
 * @returns a fresh hook with its own "already warned" memory
 */
export function warnOncePerMetric(): InvalidValueHook {
  return firstPerMetric((event) =>
    process.emitWarning(
      `${event.metric}: dropped ${event.reason} value ${String(event.value)}; further drops of this metric are counted, not logged`,
      'MetricsWarning',
    ),
  );
}

/**
 * Wraps a hook so it runs for the first event of each metric only (the default hooks warn once,
 * the counts keep counting).
 *
 * @internal
 */
export function firstPerMetric<E extends { readonly metric: string }>(hook: (event: E) => void): (event: E) => void {
  const seen = new Set<string>();
  return (event) => {
    if (seen.has(event.metric)) return;
    seen.add(event.metric);
    hook(event);
  };
}

/**
 * A hook that throws on any dropped value, for tests that must stay strict.
 */
export const throwOnInvalidValue: InvalidValueHook = (event) => {
  throw new RangeError(`${event.metric}: invalid value ${String(event.value)} (${event.reason})`);
};

/** @internal builds the error for a label problem found on the slow path */
export function labelError(def: MetricDef, label: string, value: unknown, reason?: string): MetricLabelError {
  const domain = def.labels[label];
  const allowed = domain !== undefined && domain.kind === 'closed' ? domain.values : [];
  return new MetricLabelError(def.name, label, value, allowed, reason);
}
