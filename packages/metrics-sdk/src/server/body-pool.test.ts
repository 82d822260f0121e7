import { describe, expect, it } from 'vitest';
import { BodyPool } from './body-pool.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('BodyPool', () => {
  it('copies the parts in order into one body', () => {
    const body = new BodyPool().fill([bytes('# catalogs\n'), bytes('# process\n')]);
    expect(body.bytes.toString('utf8')).toBe('# catalogs\n# process\n');
  });

  it('reuses a buffer only after every holder has released it', () => {
    const pool = new BodyPool();
    const first = pool.fill([bytes('aaaa')]);
    const releaseA = first.hold();
    const releaseB = first.hold();
    releaseA();
    releaseA(); // twice is once
    const second = pool.fill([bytes('bbbb')]);
    expect(pool.allocated).toBe(2);
    // Still held by B: its bytes are untouched by the second fill.
    expect(first.bytes.toString()).toBe('aaaa');
    releaseB();
    const third = pool.fill([bytes('cc')]);
    expect(pool.allocated).toBe(2);
    expect(third.bytes.buffer).toBe(first.bytes.buffer);
    expect(third.bytes.toString()).toBe('cc');
    second.hold()();
  });

  it('allocates again for a body larger than every free buffer, and keeps at most maxFree', () => {
    const pool = new BodyPool(1);
    const small = pool.fill([bytes('x')]);
    small.hold()();
    const big = pool.fill([Buffer.alloc(10_000, 0x61)]);
    expect(pool.allocated).toBe(2);
    expect(big.bytes.length).toBe(10_000);
    const a = pool.fill([bytes('a')]);
    const b = pool.fill([bytes('b')]);
    a.hold()();
    b.hold()();
    // One kept: the next two fills need one new buffer.
    pool.fill([bytes('c')]);
    pool.fill([bytes('d')]);
    expect(pool.allocated).toBe(4);
  });
});
