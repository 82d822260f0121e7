import { readExposition } from '@ttquant/test-kit';
import { describe, expect, it } from 'vitest';
import { nativeKeys } from '../../../test/fixtures/native-keys.js';
import { FeedLedger, feed, NATIVE, writeSample } from '../../../test/fixtures/owner-snapshot-ledger.js';
import { PrometheusWriter } from '../../exposition/prometheus-text.js';
import { NativeStore } from '../native-store.js';
import type { NativeBuckets } from '../series-reader.js';

// The owner snapshot in one thread (instances stand for threads: each has a slab of its own): a
// reader attached with readsSnapshotOf sees the owner's slab as of its last take(), every part of it
// (counter and gauge values, histogram counts and sums, native buckets, stats), and every other
// slab live.

const quiet = { onInvalidValue: () => {} };

function read(catalog: FeedLedger, venue: 'a' | 'b') {
  const body = readExposition(new PrometheusWriter([catalog], { selfMetrics: false }).renderText());
  return {
    received: body.value('feed_received_total', { venue }),
    written: body.value('feed_written_total', { venue }),
    buffered: body.value('feed_buffered', { venue }),
    count: body.value('feed_write_ms_count', { venue }),
    sum: body.value('feed_write_ms_sum', { venue }),
  };
}

// The write times of the first `writes` writes, as one store holds them.
function expectedNative(writes: number): NativeStore {
  const one = new NativeStore({ ...NATIVE, zeroThreshold: 2 ** -128 }, 1);
  for (let i = 0; i < writes; i++) one.record(0, writeSample(i));
  return one;
}

describe('the owner snapshot of a shared catalog', () => {
  it('copies values, histogram counts and sums, native buckets and stats, and leaves other slabs live', () => {
    const owner = new FeedLedger({ ...quiet, shared: { threads: 3 } });
    const other = new FeedLedger({ shared: owner.share() });
    const snapshot = owner['~ownerSnapshot']();
    const reader = new FeedLedger({ shared: { ...owner.share(), readsSnapshotOf: snapshot.slab } });
    const a = feed(owner, 'a');
    for (let i = 0; i < 300; i++) a.receive();
    for (let i = 0; i < 200; i++) a.write();
    owner.received.bind({ venue: 'a' }).add(-1);
    snapshot.take();
    const taken = read(owner, 'a');
    expect(taken).toMatchObject({ received: 300, written: 200, buffered: 100, count: 200 });

    // The owner goes on, halving its native window further; the reader still sees the snapshot.
    for (let i = 0; i < 300; i++) a.receive();
    for (let i = 0; i < 350; i++) a.write();
    owner.received.bind({ venue: 'a' }).add(Number.NaN);
    expect(read(reader, 'a')).toEqual(taken);
    const merged = reader.writeMs['~reader'];
    const offset = merged.series[0] as number;
    const at200 = expectedNative(200);
    const schema200 = Math.min(merged.native?.schemas[offset] as number, at200.schemas[0] as number);
    expect(nativeKeys(merged.native as NativeBuckets, offset, schema200)).toEqual(nativeKeys(at200, 0, schema200));
    expect(reader.received['~reader'].stats.dropped).toBe(1);

    // Another thread's records are read live, summed with the snapshot.
    const b = feed(other, 'a');
    for (let i = 0; i < 7; i++) b.receive();
    b.write();
    expect(read(reader, 'a')).toMatchObject({ received: 307, written: 201, buffered: 106, count: 201 });

    // The next take() brings the owner's records in, natives included.
    snapshot.take();
    expect(read(reader, 'a')).toMatchObject({ received: 607, written: 551, buffered: 56, count: 551 });
    expect(reader.received['~reader'].stats.dropped).toBe(2);
    const all = expectedNative(550);
    all.record(0, writeSample(0));
    const schema = Math.min(merged.native?.schemas[offset] as number, all.schemas[0] as number);
    expect(schema).toBeLessThan(NATIVE.schema);
    expect(nativeKeys(merged.native as NativeBuckets, offset, schema)).toEqual(nativeKeys(all, 0, schema));
    // The owner itself, and any reader attached without readsSnapshotOf, read every slab live.
    expect(read(owner, 'a')).toMatchObject({ received: 607, written: 551 });
  });

  it('belongs to one owner at a time, and is read only in place of a slab of the catalog', () => {
    const owner = new FeedLedger({ shared: { threads: 2 } });
    const snapshot = owner['~ownerSnapshot']();
    expect(() => owner['~ownerSnapshot']()).toThrow(/snapshot slab is taken/);
    snapshot.release();
    owner['~ownerSnapshot']().release();
    expect(() => new FeedLedger({ shared: { ...owner.share(), readsSnapshotOf: 2 } })).toThrow(/readsSnapshotOf 2/);
    // The refused instance took no slab: one is left for this one.
    expect(new FeedLedger({ shared: { ...owner.share(), readsSnapshotOf: 0 } })).toBeInstanceOf(FeedLedger);
    expect(() => new FeedLedger()['~ownerSnapshot']()).toThrow(/without the shared option/);
  });
});
