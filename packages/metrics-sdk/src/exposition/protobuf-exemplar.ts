import type { Exemplars } from '../storage/series-reader.js';
import {
  DOUBLE_FIELD_SIZE,
  fieldKey,
  lenFieldSize,
  type ProtoWriter,
  timestampSize,
  WIRE_FIXED64,
  WIRE_LEN,
  writeTimestampField,
} from './protobuf-writer.js';

// io.prometheus.client.Exemplar (client_model metrics.proto): label = 1 (LabelPair: name 1,
// value 2), value = 2 (double), timestamp = 3 (google.protobuf.Timestamp: seconds 1, nanos 2). A
// counter holds one in Counter.exemplar, a histogram one per Bucket.exemplar. Exemplars are sized
// and encoded per scrape (only slots that hold one), so each is written as last recorded.

const LABEL_KEY = fieldKey(1, WIRE_LEN);
const VALUE_KEY = fieldKey(2, WIRE_FIXED64);
const TIMESTAMP_KEY = fieldKey(3, WIRE_LEN);
const LABEL_NAME_FIELD = 1;
const LABEL_VALUE_FIELD = 2;

function stringFieldSize(text: string): number {
  return lenFieldSize(Buffer.byteLength(text, 'utf8'));
}

/**
 * Size of the Exemplar message of `slot` (without its field key and length), 0 when the slot has
 * no exemplar.
 *
 * @internal
 */
export function exemplarSize(exemplars: Exemplars, slot: number): number {
  const time = exemplars.times[slot] as number;
  if (time === 0) return 0;
  const { labelNames, labelValues } = exemplars;
  const width = labelNames.length;
  let size = DOUBLE_FIELD_SIZE + lenFieldSize(timestampSize(time));
  for (let i = 0; i < width; i++) {
    const value = labelValues[slot * width + i] as string;
    if (value !== '') size += lenFieldSize(stringFieldSize(labelNames[i] as string) + stringFieldSize(value));
  }
  return size;
}

/**
 * Writes the Exemplar of `slot` as the field `key` of the message being written, `size` being
 * what {@link exemplarSize} returned for it (not 0).
 *
 * @internal
 */
export function writeExemplar(out: ProtoWriter, key: number, exemplars: Exemplars, slot: number, size: number): void {
  const { labelNames, labelValues } = exemplars;
  const width = labelNames.length;
  out.byte(key);
  out.varint(size);
  for (let i = 0; i < width; i++) {
    const value = labelValues[slot * width + i] as string;
    if (value === '') continue;
    const name = labelNames[i] as string;
    out.byte(LABEL_KEY);
    out.varint(stringFieldSize(name) + stringFieldSize(value));
    out.string(LABEL_NAME_FIELD, name);
    out.string(LABEL_VALUE_FIELD, value);
  }
  out.byte(VALUE_KEY);
  out.doubleAt(exemplars.values, slot);
  writeTimestampField(out, TIMESTAMP_KEY, exemplars.times[slot] as number);
}
