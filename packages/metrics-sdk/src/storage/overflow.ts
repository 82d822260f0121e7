import { OVERFLOW_LABEL } from '../define/naming.js';
import { firstPerMetric } from './first-per-metric.js';

/**
 * A record folded into a metric's overflow series because an open label's budget was full: the
 * label set is not stored; the value is, in the series `otel_metric_overflow="true"`.
 */
export interface OverflowEvent {
  /** Wire name of the metric. */
  readonly metric: string;
  /** The first open label whose budget was full. */
  readonly label: string;
  /** The value that found no free slot. */
  readonly value: string;
  /** That label's budget: how many distinct values it holds. */
  readonly budget: number;
}

/** Called for every folded record; see {@link OverflowEvent}. */
export type OverflowHook = (event: OverflowEvent) => void;

/**
 * The default overflow hook: one process warning per metric, then silence (the metric's
 * `overflowed` count and the exported `ttquant_metrics_overflow_records_total` keep counting).
 *
 * @returns a fresh hook with its own "already warned" memory
 */
export function warnOnFirstOverflow(): OverflowHook {
  return firstPerMetric((event: OverflowEvent) =>
    process.emitWarning(
      `${event.metric}: label "${event.label}" is at its budget of ${event.budget} values; new label sets ` +
        `(first: ${JSON.stringify(event.value.slice(0, 64))}) are recorded in the series ${OVERFLOW_LABEL}="true" ` +
        'and counted in ttquant_metrics_overflow_records_total. Raise the budget with the catalog option `budgets`.',
      'MetricsWarning',
    ),
  );
}
