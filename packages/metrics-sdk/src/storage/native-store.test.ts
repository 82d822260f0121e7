import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import type { MetricDefinitionError } from '../define/errors.js';
import { closed } from '../define/labels.js';
import { histogram } from '../define/metric.js';
import { throwOnInvalidValue } from './invalid.js';
import { nativeBucketKey } from './native-buckets.js';
import { NativeStore } from './native-store.js';
import type { NativeBuckets, SeriesReader } from './series-reader.js';

const side = closed('buy', 'sell');

class Latency extends catalog({
  both: histogram('both_ms', 'Classic and native.', { side }, { unit: 'ms', buckets: [1, 10, 100], native: true }),
  nativeOnly: histogram('native_only_ms', 'Native only.', {}, { buckets: [], native: { schema: 5, maxBuckets: 64 } }),
  narrow: histogram('narrow_ms', 'Eight buckets.', {}, { buckets: [], native: { schema: 3, maxBuckets: 8 } }),
  classic: histogram('classic_ms', 'Classic only.', {}, { buckets: [1, 10] }),
}) {}

const metrics = () => new Latency({ onInvalidValue: throwOnInvalidValue });

/** The native buckets of one series as key → count, read through the reader (not created by it). */
function bucketsOf(reader: SeriesReader, offset: number): { schema: number; zero: number; keys: Map<number, number> } {
  const native = reader.native as NativeBuckets;
  const keys = new Map<number, number>();
  const low = native.lows[offset] as number;
  for (let slot = 0; slot < native.window; slot++) {
    const count = native.counts[offset * native.window + slot] as number;
    if (count !== 0) keys.set(low + slot, count);
  }
  return { schema: native.schemas[offset] as number, zero: native.zeroCounts[offset] as number, keys };
}

/** What the buckets must hold: every sample above the threshold counted at `schema`. */
function expected(values: readonly number[], schema: number, threshold: number): Map<number, number> {
  const keys = new Map<number, number>();
  for (const v of values) {
    if (v <= threshold) continue;
    const key = nativeBucketKey(v, schema);
    keys.set(key, (keys.get(key) ?? 0) + 1);
  }
  return keys;
}

const sorted = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);

describe('native histogram storage', () => {
  it('counts each sample in its bucket at the declared schema, besides the classic buckets', () => {
    const m = metrics();
    const buy = m.both.bind({ side: 'buy' });
    const values = [0, 0.5, 1, 1.09, 1.1, 3, 9.99, 10, 250, 1e-50];
    for (const v of values) buy.observe(v);
    m.both.observe({ side: 'buy' }, 42);
    const reader = m.both['~reader'];
    const offset = reader.series[0] as number;
    const got = bucketsOf(reader, offset);
    expect(got.schema).toBe(3);
    // 0 and 1e-50 are at or below the default zero threshold, 2^-128 (about 2.9e-39).
    expect(got.zero).toBe(2);
    expect(sorted(got.keys)).toEqual(sorted(expected([...values, 42], 3, 2 ** -128)));
    // The classic side is unchanged: count and sum over all samples.
    expect(buy.count).toBe(values.length + 1);
    expect(buy.sum).toBeCloseTo(
      values.reduce((a, b) => a + b, 42),
      9,
    );
  });

  it('halves the resolution while the samples span more keys than the window, merging buckets exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-6, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 200 }),
        (values) => {
          const m = metrics();
          const h = m.narrow.bind();
          for (const v of values) h.observe(v);
          const reader = m.narrow['~reader'];
          const got = bucketsOf(reader, reader.series[0] as number);
          // The buckets are what counting every sample directly at the final schema gives.
          expect(sorted(got.keys)).toEqual(sorted(expected(values, got.schema, 2 ** -128)));
          const keys = [...got.keys.keys()];
          expect(Math.max(...keys) - Math.min(...keys)).toBeLessThan(8);
          expect(got.schema).toBeLessThanOrEqual(3);
          // And no coarser than needed: one schema finer would not fit in the window.
          if (got.schema < 3) {
            const finer = [...expected(values, got.schema + 1, 2 ** -128).keys()];
            expect(Math.max(...finer) - Math.min(...finer)).toBeGreaterThanOrEqual(8);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps a native-only histogram’s count and sum in its one +Inf bucket', () => {
    const m = metrics();
    const h = m.nativeOnly.bind();
    for (const v of [1, 2, 3]) h.observe(v);
    expect([h.count, h.sum]).toEqual([3, 6]);
    const reader = m.nativeOnly['~reader'];
    expect(reader.stride).toBe(1);
    expect(bucketsOf(reader, reader.series[0] as number).schema).toBe(5);
  });

  it('drops a negative or non-finite sample from both sides', () => {
    const m = new Latency();
    const h = m.nativeOnly.bind();
    for (const v of [-1, Number.NaN, Number.POSITIVE_INFINITY]) h.observe(v);
    const reader = m.nativeOnly['~reader'];
    const got = bucketsOf(reader, reader.series[0] as number);
    expect([got.zero, got.keys.size, h.count, m.nativeOnly.dropped]).toEqual([0, 0, 0, 3]);
  });

  it('gives a removed series back its declared schema and empty buckets', () => {
    const m = metrics();
    const h = m.narrow.bind();
    for (const v of [1e-6, 1, 1e9]) h.observe(v);
    const reader = m.narrow['~reader'];
    const offset = reader.series[0] as number;
    expect(bucketsOf(reader, offset).schema).toBeLessThan(3);
    m.narrow.remove();
    h.observe(2);
    const got = bucketsOf(reader, offset);
    expect([got.schema, sorted(got.keys)]).toEqual([3, sorted(expected([2], 3, 2 ** -128))]);
  });

  it('leaves a classic histogram without native buckets', () => {
    const m = metrics();
    m.classic.bind().observe(3);
    expect(m.classic['~reader'].native).toBeUndefined();
    expect(m.classic.bind().constructor.name).toBe('HistogramHandle');
    expect(m.nativeOnly.bind().constructor.name).toBe('NativeHistogramHandle');
  });

  it('rejects a schema, window or threshold Prometheus cannot take, and a histogram with no buckets at all', () => {
    const issues = (defs: Parameters<typeof catalog>[0]) => {
      try {
        catalog(defs);
      } catch (error) {
        return (error as MetricDefinitionError).issues.map((issue) => `${issue.path}: ${issue.message}`);
      }
      return [];
    };
    expect(
      issues({
        a: histogram('a', 'h', {}, { buckets: [], native: { schema: 9 } }),
        b: histogram('b', 'h', {}, { buckets: [1], native: { maxBuckets: 4 } }),
        c: histogram('c', 'h', {}, { buckets: [1], native: { zeroThreshold: -1 } }),
        d: histogram('d', 'h', {}, { buckets: [] }),
      }),
    ).toEqual([
      'a.native.schema: the schema must be an integer from -4 to 8',
      'b.native.maxBuckets: maxBuckets must be an integer from 8 to 4096',
      'c.native.zeroThreshold: the zero threshold must be a finite number >= 0',
      'd.buckets: a histogram needs at least one bucket bound, or native resolution',
    ]);
    expect(() => histogram('e', 'h', {}, { buckets: [], native: { schema: '3' } as never })).toThrow(
      /histogram\("e"\)\.options\.native\.schema/,
    );
    expect(() => histogram('e', 'h', {}, { buckets: [], native: { scheme: 3 } as never })).toThrow(
      /did you mean "schema"/,
    );
  });
});

describe('merging native stores (the slabs of a shared catalog)', () => {
  const spec = { schema: 5, maxBuckets: 32, zeroThreshold: 2 ** -128 };

  /** A store's buckets of series 0, at `schema` (≤ its own), as key → count. */
  function at(store: NativeStore, schema: number): Map<number, number> {
    const own = store.schemas[0] as number;
    const out = new Map<number, number>();
    for (let slot = 0; slot < store.window; slot++) {
      const count = store.counts[slot] as number;
      if (count === 0) continue;
      const key = -(-((store.lows[0] as number) + slot) >> (own - schema));
      out.set(key, (out.get(key) ?? 0) + count);
    }
    return out;
  }

  it('holds what one store recording every sample holds, at the lower of their schemas', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 3 })), {
          maxLength: 400,
        }),
        (samples) => {
          const one = new NativeStore(spec, 1);
          const parts = Array.from({ length: 4 }, () => new NativeStore(spec, 1));
          for (const [value, part] of samples) {
            one.record(0, value);
            parts[part]?.record(0, value);
          }
          const merged = new NativeStore(spec, 1);
          for (const part of parts) expect(merged.mergeFrom(part, 0)).toBe(true);
          const schema = Math.min(merged.schemas[0] as number, one.schemas[0] as number);
          expect(at(merged, schema)).toEqual(at(one, schema));
          expect(merged.zeroCounts[0]).toBe(one.zeroCounts[0]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses to read a series whose window is being moved (odd sequence), and reads it once settled', () => {
    const sequences = new Int32Array(new SharedArrayBuffer(4));
    const arrays = {
      schemas: new Int8Array(1),
      lows: new Int32Array(1),
      zeroCounts: new Float64Array(1),
      counts: new Float64Array(spec.maxBuckets),
      sequences,
    };
    const writer = new NativeStore(spec, 1, arrays);
    writer.record(0, 3);
    writer.record(0, 1e5); // outside the window: the slow path, which bumps the sequence twice
    expect(sequences[0]).toBe(4);
    Atomics.add(sequences, 0, 1);
    expect(new NativeStore(spec, 1).mergeFrom(writer, 0)).toBe(false);
    // Its owner may have died mid-move: a reader that waited long enough reads it as it stands.
    expect(new NativeStore(spec, 1).mergeFrom(writer, 0, true)).toBe(true);
    Atomics.add(sequences, 0, 1);
    const reader = new NativeStore(spec, 1);
    expect(reader.mergeFrom(writer, 0)).toBe(true);
    expect([...at(reader, reader.schemas[0] as number).values()].reduce((a, b) => a + b, 0)).toBe(2);
  });
});
