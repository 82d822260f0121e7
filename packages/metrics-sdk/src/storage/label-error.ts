import { MetricLabelError } from '../define/errors.js';
import type { MetricDef } from '../define/metric.js';

/**
 * Builds the error for a label problem found on the slow path, listing a closed label's allowed
 * values.
 *
 * @param def - the metric
 * @param label - the label at fault
 * @param value - what it was given
 * @param reason - what is wrong, when it is not a value outside a closed domain
 * @returns the error to throw
 * @internal
 */
export function labelError(def: MetricDef, label: string, value: unknown, reason?: string): MetricLabelError {
  const domain = def.labels[label];
  const allowed = domain !== undefined && domain.kind === 'closed' ? domain.values : [];
  return new MetricLabelError(def.name, label, value, allowed, reason);
}
