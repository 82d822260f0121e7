import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { encodeLenField, encodeVarintField, ProtoWriter, varintSize } from './protobuf-writer.js';

// protobufjs' Writer is the reference: it writes its varints and doubles without generated code.
function reference(write: (w: protobuf.Writer) => void): number[] {
  const w = protobuf.Writer.create();
  write(w);
  return [...w.finish()];
}

const VARINTS = [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 21 - 1, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 2 ** 31 - 1, 2 ** 31];
const LARGE = [2 ** 32 - 1, 2 ** 32, 2 ** 35 - 1, 2 ** 35, 1_700_000_000_123, 2 ** 49, 2 ** 53 - 1];

describe('protobuf-writer', () => {
  it('writes varints as protobufjs does, at the size varintSize gives', () => {
    for (const value of [...VARINTS, ...LARGE]) {
      const out = new ProtoWriter(1);
      out.varint(value);
      expect([...out.view()], String(value)).toEqual(reference((w) => w.uint64(value)));
      expect(varintSize(value), String(value)).toBe(out.pos);
    }
    // The protobuf guide's own example: 150 is 96 01.
    const out = new ProtoWriter(1);
    out.varint(150);
    expect([...out.view()]).toEqual([0x96, 0x01]);
  });

  it('writes doubles little-endian, every NaN as the quiet NaN', () => {
    for (const value of [0, -0, 1, -2.5, 0.1, Number.MIN_VALUE, Number.MAX_VALUE, Infinity, -Infinity, Number.NaN]) {
      const out = new ProtoWriter(1);
      out.doubleAt(Float64Array.of(value), 0);
      expect([...out.view()], String(value)).toEqual(reference((w) => w.double(value)));
    }
    // A NaN with a payload (Prometheus' staleness marker is 0x7ff0000000000002) is written as 0x7ff8000000000000.
    const stale = new DataView(new ArrayBuffer(8));
    stale.setBigUint64(0, 0x7ff0000000000002n, true);
    const out = new ProtoWriter(1);
    out.doubleAt(new Float64Array(stale.buffer), 0);
    expect([...out.view()]).toEqual([0, 0, 0, 0, 0, 0, 0xf8, 0x7f]);
  });

  it('encodes length-delimited and varint fields', () => {
    expect([...encodeLenField(2, 'testing')]).toEqual([0x12, 0x07, ...Buffer.from('testing')]);
    expect([...encodeLenField(1, '€')]).toEqual([0x0a, 0x03, 0xe2, 0x82, 0xac]);
    expect([...encodeLenField(4, Buffer.alloc(200))]).toEqual([0x22, 0xc8, 0x01, ...Buffer.alloc(200)]);
    expect([...encodeVarintField(3, 4)]).toEqual([0x18, 0x04]);
  });
});
