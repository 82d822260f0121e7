import { describe, expect, it } from 'vitest';
import { ByteWriter, formatNumber } from './byte-writer.js';

function written(value: number): string {
  const out = new ByteWriter(4);
  out.number(value);
  return out.view().toString('latin1');
}

// [value, exact spelling]: what Prometheus (Go ParseFloat) and python float() both read back.
const CASES: readonly (readonly [number, string])[] = [
  // itoa path: non-negative safe integers, around each digit-count boundary.
  [0, '0'],
  [1, '1'],
  [9, '9'],
  [10, '10'],
  [99, '99'],
  [100, '100'],
  [1_000_000_007, '1000000007'],
  [999_999_999_999_999, '999999999999999'],
  [1e15, '1000000000000000'],
  [Number.MAX_SAFE_INTEGER, '9007199254740991'],
  // Signs and the spellings Prometheus expects (not prom-client's "Nan").
  [-0, '-0'],
  [-1, '-1'],
  [-9_007_199_254_740_991, '-9007199254740991'],
  [Number.NaN, 'NaN'],
  [Number.POSITIVE_INFINITY, '+Inf'],
  [Number.NEGATIVE_INFINITY, '-Inf'],
  // Integers above 2^53: exact doubles, written in full up to 1e21, in exponent form from there.
  [2 ** 53, '9007199254740992'],
  [2 ** 53 + 2, '9007199254740994'],
  [-(2 ** 53), '-9007199254740992'],
  [2 ** 64, '18446744073709552000'],
  [1e20, '100000000000000000000'],
  [1e21, '1e+21'],
  // Fractions: the shortest string that round-trips.
  [0.5, '0.5'],
  [-2.5, '-2.5'],
  [0.1 + 0.2, '0.30000000000000004'],
  [0.000001, '0.000001'],
  [1e-7, '1e-7'],
  [1.23e-18, '1.23e-18'],
  [Number.MAX_VALUE, '1.7976931348623157e+308'],
  [-Number.MAX_VALUE, '-1.7976931348623157e+308'],
  [1e308, '1e+308'],
  [2.2250738585072014e-308, '2.2250738585072014e-308'],
  [Number.MIN_VALUE, '5e-324'],
];

describe('ByteWriter.number and formatNumber', () => {
  it.each(CASES)('spells %d as %s', (value, text) => {
    expect(written(value)).toBe(text);
    expect(formatNumber(value)).toBe(text);
  });

  it('reads back as the same double for every finite case', () => {
    for (const [value, text] of CASES) {
      if (Number.isFinite(value)) expect(Object.is(Number(text), value), text).toBe(true);
    }
  });

  it('writes the itoa digits after earlier content, not over it', () => {
    const out = new ByteWriter(4);
    out.ascii('x ');
    out.number(Number.MAX_SAFE_INTEGER);
    out.byte(0x0a);
    out.number(42);
    expect(out.view().toString('latin1')).toBe('x 9007199254740991\n42');
  });
});

describe('ByteWriter buffer', () => {
  it('grows by half, or to what the write needs, and keeps what was written', () => {
    const out = new ByteWriter(4);
    out.ascii('abc');
    expect(out.buf.length).toBe(4);
    out.ascii('de');
    expect(out.buf.length).toBe(6);
    // A write larger than half again the size grows to exactly what it needs.
    out.ascii('f'.repeat(40));
    expect(out.buf.length).toBe(45);
    expect(out.view().toString('latin1')).toBe(`abcde${'f'.repeat(40)}`);
  });

  it('fit() sizes the buffer for the expected body and gives back memory when it shrinks', () => {
    const out = new ByteWriter(16);
    out.fit(100_000);
    expect(out.buf.length).toBe(Math.ceil(100_000 * 1.125) + 1024);
    const sized = out.buf;
    out.fit(100_000);
    expect(out.buf).toBe(sized);
    out.fit(1_000);
    expect(out.buf.length).toBe(Math.ceil(1_000 * 1.125) + 1024);
    expect(out.view().length).toBe(0);
  });

  it('copies short and long byte runs (the byte loop and TypedArray#set paths)', () => {
    const out = new ByteWriter(1);
    const short = Buffer.from('{exchange="okx"} ');
    const long = Buffer.from('x'.repeat(47) + '€'.repeat(10));
    out.bytes(short);
    out.bytes(long);
    out.bytes(short);
    expect(out.view()).toEqual(Buffer.concat([short, long, short]));
  });

  it('keeps its memory across reset, so a steady scrape allocates nothing', () => {
    const out = new ByteWriter(8);
    out.ascii('0123456789abcdef');
    const grown = out.buf;
    out.reset();
    expect(out.view().length).toBe(0);
    out.ascii('hello');
    expect(out.buf).toBe(grown);
    expect(out.view().toString('latin1')).toBe('hello');
  });

  it('returns a view of the reused buffer, not a copy', () => {
    const out = new ByteWriter(16);
    out.ascii('first');
    const view = out.view();
    out.reset();
    out.ascii('again');
    expect(view.toString('latin1')).toBe('again');
  });

  it('grows from an empty initial buffer', () => {
    const out = new ByteWriter(0);
    out.byte(0x41);
    out.number(12345);
    expect(out.view().toString('latin1')).toBe('A12345');
  });
});
