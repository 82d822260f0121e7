import type { Attributes, HrTime } from '@opentelemetry/api';
import type { Exemplars } from '../storage/series-reader.js';

/**
 * An exemplar as OpenTelemetry's data model has it (OTLP `Exemplar`): the value, when it was
 * recorded, the trace and span it came from, and its other labels as `filteredAttributes`.
 *
 * `@opentelemetry/sdk-metrics` 3.x has no exemplars in its `DataPoint` yet
 * (open-telemetry/opentelemetry-js#5147), so the bridge adds them to each point as an `exemplars`
 * property of this shape, the shape that work proposes: a reader sees them; the stock OTLP and
 * Prometheus exporters of 3.x do not send them.
 */
export interface OtelExemplar {
  readonly filteredAttributes: Attributes;
  readonly value: number;
  readonly timestamp: HrTime;
  readonly traceId?: string;
  readonly spanId?: string;
}

/** A data point that may carry {@link OtelExemplar}s. */
export interface WithExemplars {
  readonly exemplars?: readonly OtelExemplar[];
}

/**
 * The exemplars of slots `from` to `to` (exclusive) of a family: a counter series' one slot, or the
 * buckets of a histogram series, in bucket order. `trace_id` and `span_id` become `traceId` and
 * `spanId`; any other label a filtered attribute.
 *
 * @internal
 */
export function otelExemplars(
  exemplars: Exemplars,
  from: number,
  to: number,
  toHrTime: (ms: number) => HrTime,
): OtelExemplar[] {
  const { labelNames, labelValues, times, values } = exemplars;
  const width = labelNames.length;
  const out: OtelExemplar[] = [];
  for (let slot = from; slot < to; slot++) {
    const time = times[slot] as number;
    if (time === 0) continue;
    const filteredAttributes: Record<string, string> = {};
    let traceId: string | undefined;
    let spanId: string | undefined;
    for (let i = 0; i < width; i++) {
      const value = labelValues[slot * width + i] as string;
      if (value === '') continue;
      const name = labelNames[i] as string;
      if (name === 'trace_id') traceId = value;
      else if (name === 'span_id') spanId = value;
      else filteredAttributes[name] = value;
    }
    out.push({
      filteredAttributes,
      value: values[slot] as number,
      timestamp: toHrTime(time),
      ...(traceId === undefined ? {} : { traceId }),
      ...(spanId === undefined ? {} : { spanId }),
    });
  }
  return out;
}
