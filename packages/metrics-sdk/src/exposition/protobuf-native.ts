import type { NativeBuckets } from '../storage/series-reader.js';
import { fieldKey, type ProtoWriter, varintSize, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from './protobuf-writer.js';

// The native part of a Histogram message (client_model's io.prometheus.client.Histogram, fields 5
// to 13): schema, zero bucket, and the positive buckets as one span with count deltas. The span runs
// from the first to the last non-empty bucket of the series' window; an empty bucket inside it is a
// delta like any other. A histogram with no bucket yet gets an empty span, which is how Prometheus
// tells a native histogram with nothing in it from a classic one (client_golang does the same).
// Written in field-number order, before the created timestamp (15).

const SCHEMA_KEY = fieldKey(5, WIRE_VARINT);
const ZERO_THRESHOLD_KEY = fieldKey(6, WIRE_FIXED64);
const ZERO_COUNT_KEY = fieldKey(7, WIRE_VARINT);
const POSITIVE_SPAN_KEY = fieldKey(12, WIRE_LEN);
const POSITIVE_DELTA_KEY = fieldKey(13, WIRE_VARINT);
const SPAN_OFFSET_KEY = fieldKey(1, WIRE_VARINT);
const SPAN_LENGTH_KEY = fieldKey(2, WIRE_VARINT);

/** sint32/sint64 zigzag encoding, for integers within ±2^52: 0, −1, 1, −2 → 0, 1, 2, 3. */
function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

/** First and last non-empty slot of a series' window; `first > last` when it is empty. */
function populated(native: NativeBuckets, offset: number): [first: number, last: number] {
  const { counts, window } = native;
  const base = offset * window;
  let first = 0;
  let last = window - 1;
  while (first <= last && counts[base + first] === 0) first++;
  while (last >= first && counts[base + last] === 0) last--;
  return [first, last];
}

function spanSize(native: NativeBuckets, offset: number, first: number, last: number): number {
  const start = first > last ? 0 : (native.lows[offset] as number) + first;
  const length = first > last ? 0 : last - first + 1;
  return 1 + varintSize(zigzag(start)) + 1 + varintSize(length);
}

/**
 * Bytes of the native fields of one series' Histogram message.
 *
 * @param native - the family's native buckets
 * @param offset - the series
 * @returns the size
 * @internal
 */
export function nativeFieldsSize(native: NativeBuckets, offset: number): number {
  const [first, last] = populated(native, offset);
  const span = spanSize(native, offset, first, last);
  let size =
    1 +
    varintSize(zigzag(native.schemas[offset] as number)) +
    9 +
    1 +
    varintSize(native.zeroCounts[offset] as number) +
    1 +
    varintSize(span) +
    span;
  const base = offset * native.window;
  let previous = 0;
  for (let slot = first; slot <= last; slot++) {
    const count = native.counts[base + slot] as number;
    size += 1 + varintSize(zigzag(count - previous));
    previous = count;
  }
  return size;
}

/**
 * Writes the native fields of one series' Histogram message.
 *
 * @param out - the body
 * @param native - the family's native buckets
 * @param threshold - a one-element array holding `native.zeroThreshold` (doubles are written from arrays)
 * @param offset - the series
 * @internal
 */
export function writeNativeFields(
  out: ProtoWriter,
  native: NativeBuckets,
  threshold: Float64Array,
  offset: number,
): void {
  const [first, last] = populated(native, offset);
  out.byte(SCHEMA_KEY);
  out.varint(zigzag(native.schemas[offset] as number));
  out.byte(ZERO_THRESHOLD_KEY);
  out.doubleAt(threshold, 0);
  out.byte(ZERO_COUNT_KEY);
  out.varint(native.zeroCounts[offset] as number);
  out.byte(POSITIVE_SPAN_KEY);
  out.varint(spanSize(native, offset, first, last));
  out.byte(SPAN_OFFSET_KEY);
  out.varint(zigzag(first > last ? 0 : (native.lows[offset] as number) + first));
  out.byte(SPAN_LENGTH_KEY);
  out.varint(first > last ? 0 : last - first + 1);
  const base = offset * native.window;
  let previous = 0;
  for (let slot = first; slot <= last; slot++) {
    const count = native.counts[base + slot] as number;
    out.byte(POSITIVE_DELTA_KEY);
    out.varint(zigzag(count - previous));
    previous = count;
  }
}
