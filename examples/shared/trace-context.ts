import { randomBytes } from 'node:crypto';

// W3C Trace Context (https://www.w3.org/TR/trace-context/), the part the pipeline needs: the engine
// starts a trace per order and sends it in a `traceparent` header; the gateway continues it, and
// its order latency exemplars carry the trace id, so a slow order on the dashboard leads to that
// order's log lines in both services.

/** A trace id and the id of the span that holds the current work. */
export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  readonly spanId: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** A new span id (8 random bytes), never all zero. */
export function newSpanId(): string {
  const id = randomBytes(8).toString('hex');
  return id === ZERO_SPAN ? newSpanId() : id;
}

/** A new trace (16 random bytes) with its first span. */
export function newTrace(): TraceContext {
  const traceId = randomBytes(16).toString('hex');
  return traceId === ZERO_TRACE ? newTrace() : { traceId, spanId: newSpanId() };
}

/** The `traceparent` header of a sampled span. */
export function traceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-01`;
}

/**
 * Reads a `traceparent` header as the spec says a receiver does: version `ff` and malformed or
 * all-zero ids are invalid; a later version may append fields after its four.
 *
 * @param header - the header as Node gives it (a repeated header is invalid)
 * @returns the parent's trace and span id, `undefined` when there is no header, or `'invalid'`
 */
export function parseTraceparent(header: string | string[] | undefined): TraceContext | 'invalid' | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string') return 'invalid';
  const match = TRACEPARENT.exec(header.trim());
  if (match === null) return 'invalid';
  const [, version, traceId = '', spanId = '', , rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return 'invalid';
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return 'invalid';
  return { traceId, spanId };
}
