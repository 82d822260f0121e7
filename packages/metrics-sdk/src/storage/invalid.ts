import { firstPerMetric } from './first-per-metric.js';

// Re-exported for the public entry, which names the stats beside the hook types.

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
 * A hook that throws on any dropped value, for tests that must stay strict.
 */
export const throwOnInvalidValue: InvalidValueHook = (event) => {
  throw new RangeError(`${event.metric}: invalid value ${String(event.value)} (${event.reason})`);
};
