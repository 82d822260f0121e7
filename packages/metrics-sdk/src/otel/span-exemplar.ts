import { type Context, context, isSpanContextValid, TraceFlags, trace } from '@opentelemetry/api';
import type { ExemplarLabels } from '../storage/exemplar-store.js';

// One object, rewritten by each call: recording copies the two strings out at once, so a record
// with the active span's exemplar allocates nothing here.
const labels = { trace_id: '', span_id: '' };

/**
 * The exemplar labels of the active OpenTelemetry span, `{ trace_id, span_id }`, for a
 * `…WithExemplar` record call of a metric declared with `exemplars: true`; `undefined` outside a
 * span, or in one that is not sampled (its trace is never exported, so a link to it would lead
 * nowhere: OpenTelemetry's default `TraceBased` exemplar filter).
 *
 * The returned object is reused by the next call: pass it straight to the record call.
 *
 * @param ctx - the context to read; the active one by default
 * @returns the labels, or `undefined`
 * @example
 * ```ts
 * import { spanExemplar } from '@ttquant/metrics/otel';
 *
 * const latency = gw.orderLatency.bind({ exchange: 'binance', operation: 'new' });
 * latency.observeWithExemplar(elapsedMs, spanExemplar());
 * ```
 */
export function spanExemplar(ctx: Context = context.active()): ExemplarLabels | undefined {
  const span = trace.getSpan(ctx);
  if (span === undefined) return undefined;
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext) || (spanContext.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  labels.trace_id = spanContext.traceId;
  labels.span_id = spanContext.spanId;
  return labels;
}
