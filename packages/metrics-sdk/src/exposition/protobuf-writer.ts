// The few protobuf encodings the Prometheus protobuf exposition needs, by hand (the core has no
// runtime dependency): varints, little-endian doubles and length-delimited fields, as the protobuf
// encoding guide defines them (https://protobuf.dev/programming-guides/encoding/). Lengths are
// computed before a message is written (the `*Size` functions), never back-patched, so the output
// is the canonical encoding, byte for byte what Go's proto.Marshal writes for the same message.

import { ByteWriter } from './byte-writer.js';

/** Wire type of a varint field (int32, int64, uint64, enum, bool). @internal */
export const WIRE_VARINT = 0;
/** Wire type of a fixed 64-bit field (double). @internal */
export const WIRE_FIXED64 = 1;
/** Wire type of a length-delimited field (string, bytes, embedded message). @internal */
export const WIRE_LEN = 2;

/**
 * The key of a field: `(field << 3) | wireType`, itself a varint.
 *
 * @param field - the field number (below 2^28)
 * @param wireType - {@link WIRE_VARINT}, {@link WIRE_FIXED64} or {@link WIRE_LEN}
 * @returns the key's value
 * @internal
 */
export function fieldKey(field: number, wireType: number): number {
  return field * 8 + wireType;
}

/**
 * The number of bytes of `value` as a varint: 7 bits a byte.
 *
 * @param value - a non-negative safe integer
 * @returns 1 to 8
 * @internal
 */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 5;
  for (let v = Math.floor(value / 0x800000000); v > 0; v = Math.floor(v / 0x80)) size++;
  return size;
}

/**
 * The size of a length-delimited field holding `length` bytes: key (one byte: field numbers 1 to
 * 15), length varint, payload.
 *
 * @param length - the payload's length
 * @returns the field's size in bytes
 * @internal
 */
export function lenFieldSize(length: number): number {
  return 1 + varintSize(length) + length;
}

const SCRATCH = new Float64Array(1);
const SCRATCH_BYTES = new Uint8Array(SCRATCH.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Size of a double field with a one-byte key: key plus 8 bytes. @internal */
export const DOUBLE_FIELD_SIZE = 9;

/**
 * A {@link ByteWriter} that also writes protobuf's scalar encodings. Allocates nothing per call.
 *
 * @internal
 */
export class ProtoWriter extends ByteWriter {
  /**
   * Appends a varint.
   *
   * @param value - a non-negative safe integer (negative int64s, which take 10 bytes, are not needed here)
   */
  varint(value: number): void {
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    let v = value;
    // Above 2^31 bit operators would wrap: divide instead (a count or a Unix time in seconds past 2038).
    while (v >= 0x80000000) {
      buf[pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  /**
   * Appends a double as protobuf stores it: 8 bytes, IEEE 754, little-endian. Every NaN is written
   * as the quiet NaN 0x7ff8000000000000, so no payload can spell Prometheus' staleness marker
   * (0x7ff0000000000002), which would end the series instead of recording a NaN.
   *
   * Reads the value from its array, not from an argument: a fractional value passed to a call that
   * is not inlined is boxed (a heap number per sample), an index is not.
   *
   * @param values - the array holding the value
   * @param index - its index
   */
  doubleAt(values: Float64Array, index: number): void {
    this.ensure(8);
    const v = values[index] as number;
    SCRATCH[0] = Number.isNaN(v) ? Number.NaN : v;
    const buf = this.buf;
    let pos = this.pos;
    if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) buf[pos++] = SCRATCH_BYTES[i] as number;
    else for (let i = 7; i >= 0; i--) buf[pos++] = SCRATCH_BYTES[i] as number;
    this.pos = pos;
  }

  /**
   * Appends a string field: key, UTF-8 length, UTF-8 bytes (a lone surrogate becomes U+FFFD, as in
   * `Buffer.from`).
   *
   * @param field - the field number (1 to 15)
   * @param text - the string
   */
  string(field: number, text: string): void {
    const length = Buffer.byteLength(text, 'utf8');
    this.key(field, WIRE_LEN);
    this.varint(length);
    this.ensure(length);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  /**
   * Appends a field key of one byte (field numbers 1 to 15).
   *
   * @param field - the field number
   * @param wireType - the wire type
   */
  key(field: number, wireType: number): void {
    this.byte(fieldKey(field, wireType));
  }
}

/**
 * Encodes a length-delimited field once, at definition time: key, length, payload.
 *
 * @param field - the field number
 * @param payload - a string (written as UTF-8) or encoded bytes (an embedded message)
 * @returns the field's bytes
 * @internal
 */
export function encodeLenField(field: number, payload: string | Uint8Array): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const out = new ProtoWriter(lenFieldSize(bytes.length) + 8);
  out.varint(fieldKey(field, WIRE_LEN));
  out.varint(bytes.length);
  out.bytes(bytes);
  return Buffer.from(out.view());
}

/**
 * Encodes a varint field once, at definition time.
 *
 * @param field - the field number
 * @param value - a non-negative safe integer
 * @returns the field's bytes
 * @internal
 */
export function encodeVarintField(field: number, value: number): Buffer {
  const out = new ProtoWriter(16);
  out.varint(fieldKey(field, WIRE_VARINT));
  out.varint(value);
  return Buffer.from(out.view());
}

// google.protobuf.Timestamp: seconds = 1 (int64), nanos = 2 (int32); zero fields left out, as Go's
// timestamppb writes them.
const TIMESTAMP_SECONDS_KEY = fieldKey(1, WIRE_VARINT);
const TIMESTAMP_NANOS_KEY = fieldKey(2, WIRE_VARINT);

function splitMs(ms: number): [seconds: number, nanos: number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.min(Math.round((ms - seconds * 1000) * 1e6), 999_999_999)];
}

/**
 * Size of the google.protobuf.Timestamp message of a time (its fields, without a key or length).
 *
 * @param ms - milliseconds since the epoch, > 0
 * @returns the message size
 * @internal
 */
export function timestampSize(ms: number): number {
  const [seconds, nanos] = splitMs(ms);
  return (seconds > 0 ? 1 + varintSize(seconds) : 0) + (nanos > 0 ? 1 + varintSize(nanos) : 0);
}

/**
 * Writes a Timestamp as the field `key` of the message being written: key, length, fields.
 *
 * @param out - the body
 * @param key - the field key (a one-byte key of wire type LEN)
 * @param ms - milliseconds since the epoch, > 0
 * @internal
 */
export function writeTimestampField(out: ProtoWriter, key: number, ms: number): void {
  const [seconds, nanos] = splitMs(ms);
  out.byte(key);
  out.varint(timestampSize(ms));
  if (seconds > 0) {
    out.byte(TIMESTAMP_SECONDS_KEY);
    out.varint(seconds);
  }
  if (nanos > 0) {
    out.byte(TIMESTAMP_NANOS_KEY);
    out.varint(nanos);
  }
}
