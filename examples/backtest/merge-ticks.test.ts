import { describe, expect, it } from 'vitest';
import { mergeTicks } from './merge-ticks.js';
import type { ReplayTick } from './tick-source.js';

async function* pages(ticks: ReplayTick[], size: number): AsyncGenerator<ReplayTick[]> {
  for (let i = 0; i < ticks.length; i += size) yield ticks.slice(i, i + size);
}

const tick = (time: number, exchange: string, price = 1): ReplayTick => ({
  time,
  exchange,
  symbol: 'BTCUSDT',
  type: 'trade',
  price,
});

describe('mergeTicks', () => {
  it('merges ordered sources into one ordered stream of full pages, ties by venue', async () => {
    const a = [1, 2, 2, 5, 9, 10].map((t) => tick(t, 'binance'));
    const b = [0, 2, 3, 9, 11].map((t) => tick(t, 'okx'));
    const out: ReplayTick[][] = [];
    for await (const page of mergeTicks([pages(a, 2), pages(b, 3)], 4)) out.push(page);
    expect(out.map((p) => p.length)).toEqual([4, 4, 3]);
    expect(out.flat().map((t) => `${t.time}${t.exchange[0]}`)).toEqual([
      '0o',
      '1b',
      '2b',
      '2b',
      '2o',
      '3o',
      '5b',
      '9b',
      '9o',
      '10b',
      '11o',
    ]);
  });

  it('passes one source through, and ends at once with none or empty ones', async () => {
    const only = [tick(1, 'okx'), tick(2, 'okx')];
    const out: ReplayTick[][] = [];
    for await (const page of mergeTicks([pages(only, 1)], 10)) out.push(page);
    expect(out).toEqual([[only[0]], [only[1]]]);
    for await (const _ of mergeTicks([pages([], 1), pages([], 1)], 10)) throw new Error('no page expected');
  });
});
