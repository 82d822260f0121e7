import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.js';

describe('Fifo', () => {
  it('gives items back oldest first, across the prefix drop', () => {
    const q = new Fifo<number>();
    expect(q.shift()).toBeUndefined();
    for (let i = 0; i < 5_000; i++) q.push(i);
    for (let i = 0; i < 4_000; i++) expect(q.shift()).toBe(i);
    expect(q.size).toBe(1_000);
    q.push(5_000);
    expect([...q]).toEqual(Array.from({ length: 1_001 }, (_, i) => 4_000 + i));
    while (q.size > 0) q.shift();
    expect(q.shift()).toBeUndefined();
    expect([...q]).toEqual([]);
  });
});
