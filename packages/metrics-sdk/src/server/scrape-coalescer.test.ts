import { describe, expect, it } from 'vitest';
import { ScrapeCoalescer } from './scrape-coalescer.js';

/** A manual scheduler and collections that finish only when the test says so. */
function harness() {
  const queue: (() => void)[] = [];
  const runs: { resolve: (value: string) => void; reject: (error: unknown) => void; seen: number }[] = [];
  const state = { value: 0 };
  const coalescer = new ScrapeCoalescer<string>(
    () =>
      new Promise<string>((resolve, reject) => {
        // What the collection reads is fixed when it starts, like a render.
        runs.push({ resolve, reject, seen: state.value });
      }),
    (start) => queue.push(start),
  );
  const tick = (): void => {
    for (const start of queue.splice(0)) start();
  };
  const finish = (i: number): void => {
    const run = runs[i];
    if (run === undefined) throw new Error(`no run ${i}`);
    run.resolve(`body@${run.seen}`);
  };
  return { coalescer, queue, runs, state, tick, finish };
}

/** Lets promise callbacks (then/finally) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ScrapeCoalescer', () => {
  it('gives requests of the same turn one collection, started after all of them arrived', async () => {
    const h = harness();
    const a = h.coalescer.get();
    h.state.value = 1; // recorded after a arrived, before b: both must see it (the start is later)
    const b = h.coalescer.get();
    const c = h.coalescer.get();
    expect(h.runs).toHaveLength(0);
    expect(h.queue).toHaveLength(1);
    h.tick();
    expect(h.runs).toHaveLength(1);
    h.finish(0);
    expect(await Promise.all([a, b, c])).toEqual(['body@1', 'body@1', 'body@1']);
    expect(h.coalescer.stats).toEqual({ collections: 1, requests: 3 });
  });

  it('never gives a request a collection that started before it arrived', async () => {
    const h = harness();
    const first = h.coalescer.get();
    h.tick(); // collection 0 runs and has read value 0
    h.state.value = 7;
    const late1 = h.coalescer.get();
    const late2 = h.coalescer.get();
    // Nothing new starts while one runs.
    expect(h.queue).toHaveLength(0);
    h.finish(0);
    expect(await first).toBe('body@0');
    await settle();
    expect(h.queue).toHaveLength(1); // the follow-up is scheduled when the running one ends
    h.tick();
    expect(h.runs).toHaveLength(2);
    h.finish(1);
    expect(await Promise.all([late1, late2])).toEqual(['body@7', 'body@7']);
    expect(h.coalescer.stats).toEqual({ collections: 2, requests: 3 });
  });

  it('runs at most one collection and keeps at most one waiting, for any burst', async () => {
    const h = harness();
    const all: Promise<string>[] = [h.coalescer.get()];
    h.tick();
    for (let i = 0; i < 1_000; i++) all.push(h.coalescer.get());
    expect(h.runs).toHaveLength(1);
    h.finish(0);
    await settle();
    h.tick();
    expect(h.runs).toHaveLength(2);
    h.finish(1);
    const bodies = await Promise.all(all);
    expect(new Set(bodies.slice(1)).size).toBe(1);
    expect(h.coalescer.stats).toEqual({ collections: 2, requests: 1_001 });
  });

  it('rejects every request that shared a failed collection, then collects again', async () => {
    const h = harness();
    const a = h.coalescer.get();
    const b = h.coalescer.get();
    h.tick();
    h.runs[0]?.reject(new Error('render broke'));
    await expect(a).rejects.toThrow('render broke');
    await expect(b).rejects.toThrow('render broke');
    await settle();
    const c = h.coalescer.get();
    h.tick();
    h.finish(1);
    expect(await c).toBe('body@0');
  });

  it('turns a synchronous throw of collect into a rejection', async () => {
    const queue: (() => void)[] = [];
    const coalescer = new ScrapeCoalescer<string>(
      () => {
        throw new Error('sync throw');
      },
      (start) => queue.push(start),
    );
    const a = coalescer.get();
    for (const start of queue.splice(0)) start();
    await expect(a).rejects.toThrow('sync throw');
  });

  it('starts on the next check phase with the default scheduler', async () => {
    let calls = 0;
    const coalescer = new ScrapeCoalescer(async () => ++calls);
    const results = await Promise.all([coalescer.get(), coalescer.get(), coalescer.get()]);
    expect(results).toEqual([1, 1, 1]);
    expect(await coalescer.get()).toBe(2);
  });
});
