import { OVERFLOW_LABEL } from '../define/naming.js';
import type { SeriesReader } from '../storage/series-reader.js';
import { escapeLabelValue } from './escape.js';

/**
 * The label set of the series at `offset` as both text formats write it between braces:
 * `name="value"` pairs, escaped, in declared order; `otel_metric_overflow="true"` for the overflow
 * series. Allocates: the writers call it once per new series and keep the bytes.
 *
 * @internal
 */
export function renderLabels(reader: SeriesReader, offset: number): string {
  const values = reader.labelValues(offset);
  if (values === null) return `${OVERFLOW_LABEL}="true"`;
  return values.map((value, i) => `${reader.labelNames[i]}="${escapeLabelValue(value)}"`).join(',');
}
