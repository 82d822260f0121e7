import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { readExposition } from '@ttquant/test-kit';
import { describe, expect, it } from 'vitest';
import { FeedLedger, feed } from '../../test/fixtures/owner-snapshot-ledger.js';
import { SharedDesk } from '../../test/fixtures/shared-desk.js';
import { MetricsOptionError } from '../define/errors.js';
import { serveMetricsFromWorker, type WorkerMetricsServerOptions } from './worker-server.js';

// The server in a worker thread answers while this thread is blocked: the proof that the recording
// thread does no exposition work. The client is a worker too, since this thread's event loop is
// stopped while it asks.

// A client thread: waits for the go word, scrapes once, stores the value of each series asked for
// (`-1` when absent, `-2` when the scrape failed) and how long the scrape took, then raises done.
// flags: Int32 [0] go, [1] done; results: Float64 [i] series i, [series.length] milliseconds.
const CLIENT = `
const { workerData } = require('node:worker_threads');
const flags = new Int32Array(workerData.flags);
const results = new Float64Array(workerData.results);
Atomics.wait(flags, 0, 0);
const started = performance.now();
fetch(workerData.url)
  .then((response) => response.text())
  .then((text) => {
    workerData.series.forEach((series, i) => {
      const line = text.split('\\n').find((l) => l.startsWith(series + ' '));
      results[i] = line === undefined ? -1 : Number(line.slice(series.length + 1));
    });
  })
  .catch(() => results.fill(-2))
  .finally(() => {
    results[workerData.series.length] = performance.now() - started;
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
  });
`;

/**
 * Scrapes `url` from another thread while this one records `before`, then blocks until the scrape
 * is answered: what the server answers then, it answers without this thread.
 *
 * @returns the value of each of `series` (text exposition lines, labels included) and the scrape's ms
 */
async function scrapeWhileBlocked(
  url: string,
  series: readonly string[],
  before: () => void,
): Promise<{ values: number[]; ms: number }> {
  const flags = new SharedArrayBuffer(8);
  const results = new SharedArrayBuffer((series.length + 1) * 8);
  const words = new Int32Array(flags);
  const client = new Worker(CLIENT, { eval: true, workerData: { flags, results, url, series } });
  await once(client, 'online');
  before();
  Atomics.store(words, 0, 1);
  Atomics.notify(words, 0);
  // This thread now stops for up to 10 s: no event loop, no timers, no hooks, no answer.
  const waited = Atomics.wait(words, 1, 0, 10_000);
  await client.terminate();
  expect(waited).not.toBe('timed-out');
  const all = Array.from(new Float64Array(results));
  return { values: all.slice(0, series.length), ms: all[series.length] as number };
}

// Long enough that an idle thread always answers in time, even on a loaded machine.
const TIMEOUT_MS = 500;

/** A ledger served with collect: 'onScrape' on a free port, without runtime metrics. */
function serveOnScrape(ledger: FeedLedger, collectTimeoutMs: number) {
  return serveMetricsFromWorker({
    sources: [ledger],
    service: 'worker-test',
    port: 0,
    runtimeMetrics: false,
    collect: 'onScrape',
    collectTimeoutMs,
  });
}

describe('serveMetricsFromWorker', () => {
  const modes: { collect: 'timer' | 'onScrape'; options: Partial<WorkerMetricsServerOptions> }[] = [
    { collect: 'timer', options: { collectIntervalMs: 20 } },
    { collect: 'onScrape', options: { collect: 'onScrape', collectTimeoutMs: TIMEOUT_MS } },
  ];
  it.each(modes)(
    'answers a scrape while the recording thread is blocked (collect: $collect)',
    async ({ collect, options }) => {
      const desk = new SharedDesk({ shared: { threads: 3 } });
      const ticks = desk.ticks.bind({ venue: 'a', symbol: 'X' });
      ticks.add(5);
      let hookRuns = 0;
      desk.beforeCollect(() => {
        hookRuns++;
        desk.queue.bind({ venue: 'b' }).set(hookRuns);
      });
      const server = await serveMetricsFromWorker({
        sources: [desk],
        service: 'worker-test',
        port: 0,
        runtimeMetrics: false,
        ...options,
      });
      try {
        const first = readExposition(await (await fetch(`${server.address.url}/metrics`)).text());
        expect(first.value('desk_ticks_total', { venue: 'a', symbol: 'X' })).toBe(5);

        const late = server.stats.lateCollections;
        const blocked = await scrapeWhileBlocked(
          `${server.address.url}/metrics`,
          ['desk_ticks_total{venue="a",symbol="X"}'],
          () => ticks.add(37),
        );
        if (collect === 'timer') {
          // Read live: what this thread recorded just before it blocked.
          expect(blocked.values).toEqual([42]);
          expect(server.stats).toEqual({ collections: 0, lateCollections: 0 });
        } else {
          // This thread could not copy its snapshot: the scrape waited for it about collectTimeoutMs,
          // then used the last one, and counted it.
          expect(blocked.values).toEqual([5]);
          expect(blocked.ms).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
          expect(blocked.ms).toBeLessThan(TIMEOUT_MS + 2000);
          expect(server.stats.lateCollections).toBe(late + 1);
        }

        // The hooks run on this thread, by the timer or at each scrape; the worker serves what they set.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const later = readExposition(await (await fetch(`${server.address.url}/metrics`)).text());
        expect(hookRuns).toBeGreaterThan(1);
        expect(later.value('desk_queue_depth', { venue: 'b' })).toBeGreaterThan(0);
        expect(later.value('desk_ticks_total', { venue: 'a', symbol: 'X' })).toBe(42);
        if (collect === 'onScrape') {
          expect(later.value('desk_queue_depth', { venue: 'b' })).toBe(hookRuns);
          expect(server.stats.collections).toBe(3);
          expect(server.stats.lateCollections).toBe(late + 1);
        }
      } finally {
        await server.close();
      }
      await expect(fetch(`${server.address.url}/metrics`)).rejects.toThrow();
    },
    30_000,
  );

  // Busy: each turn records for 3 ms against a 1 ms timeout, so most collections are late, some
  // answered, and some withdrawn while this thread starts to copy: the handover of the snapshots.
  const loads = [
    { load: 'in time', burstMs: 0, collectTimeoutMs: TIMEOUT_MS },
    { load: 'busy', burstMs: 3, collectTimeoutMs: 1 },
  ];
  it.each(loads)(
    'shows with collect: onScrape the metrics this thread updates together as of one instant, at every scrape ($load)',
    async ({ burstMs, collectTimeoutMs }) => {
      const ledger = new FeedLedger({ shared: { threads: 2 } });
      const venue = feed(ledger, 'a');
      const server = await serveOnScrape(ledger, collectTimeoutMs);
      // The feed: each turn of this thread's event loop, a burst of events (500, or for burstMs),
      // each keeping the invariants (a message received, or one written), until the scrapes are done.
      let running = true;
      let events = 0;
      let turns = 0;
      const feeding = (async () => {
        while (running) {
          const until = performance.now() + burstMs;
          for (let i = 0; i < 500 || performance.now() < until; i++, events++) {
            if ((events * 7919) % 13 < 7) venue.receive();
            else venue.write();
          }
          turns++;
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      try {
        const scrapes = 150;
        let lastReceived = 0;
        for (let s = 0; s < scrapes; s++) {
          const body = readExposition(await (await fetch(`${server.address.url}/metrics`)).text());
          const received = body.value('feed_received_total', { venue: 'a' }) ?? 0;
          const written = body.value('feed_written_total', { venue: 'a' }) ?? 0;
          const buffered = body.value('feed_buffered', { venue: 'a' }) ?? 0;
          expect({ s, received }).toEqual({ s, received: written + buffered });
          expect({ s, count: body.value('feed_write_ms_count', { venue: 'a' }) ?? 0 }).toEqual({ s, count: written });
          expect(received).toBeGreaterThanOrEqual(lastReceived);
          lastReceived = received;
        }
        // The feed did run between the scrapes, each of which asked this thread for its snapshot.
        expect(turns).toBeGreaterThan(scrapes);
        expect(lastReceived).toBeGreaterThan(0);
        expect(server.stats.collections).toBe(scrapes);
        if (burstMs > 0) expect(server.stats.lateCollections).toBeGreaterThan(0);
      } finally {
        running = false;
        await feeding;
        await server.close();
      }
    },
    60_000,
  );

  it('reads with collect: onScrape the other threads of a source live, summed with this thread’s snapshot', async () => {
    const ledger = new FeedLedger({ shared: { threads: 3 } });
    const mine = feed(ledger, 'a');
    for (let i = 0; i < 10; i++) mine.receive();
    for (let i = 0; i < 7; i++) mine.write();
    const server = await serveOnScrape(ledger, TIMEOUT_MS);
    const url = `${server.address.url}/metrics`;
    const names = ['feed_received_total', 'feed_written_total', 'feed_buffered', 'feed_write_ms_count'];
    const series = names.map((name) => `${name}{venue="a"}`);
    try {
      const first = readExposition(await (await fetch(url)).text());
      expect(first.value('feed_received_total', { venue: 'a' })).toBe(10);

      // Another thread records into the same series after this thread's last snapshot.
      const recorder = new Worker(new URL('../../test/fixtures/owner-snapshot-recorder.ts', import.meta.url), {
        execArgv: ['--import', 'tsx'],
        workerData: { descriptor: ledger.share(), venue: 'a', received: 100, buffered: 5 },
      });
      expect((await once(recorder, 'message'))[0]).toBe('done');
      await once(recorder, 'exit');

      // This thread receives one more, then blocks: its part is its last snapshot (10 received, not
      // 11), the other thread's is live (100), and the sums still agree.
      const late = server.stats.lateCollections;
      const blocked = await scrapeWhileBlocked(url, series, () => mine.receive());
      expect(blocked.values).toEqual([110, 102, 8, 102]);
      expect(server.stats.lateCollections).toBe(late + 1);

      const after = readExposition(await (await fetch(url)).text());
      expect(names.map((name) => after.value(name, { venue: 'a' }))).toEqual([111, 102, 9, 102]);
      expect(server.stats.lateCollections).toBe(late + 1);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('serves the runtime metrics of the calling thread, collected there by the timer', async () => {
    const desk = new SharedDesk({ shared: { threads: 2 } });
    const server = await serveMetricsFromWorker({ sources: [desk], service: 'x', port: 0, collectIntervalMs: 20 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const body = readExposition(await (await fetch(`${server.address.url}/metrics`)).text());
      expect(body.value('process_cpu_seconds_total', {})).toBeGreaterThan(0);
      expect(body.select('nodejs_eventloop_lag_seconds').length).toBe(1);
      expect(
        body.value('nodejs_version_info', {
          version: process.version,
          major: process.versions.node.split('.')[0] as string,
          minor: process.versions.node.split('.')[1] as string,
          patch: process.versions.node.split('.')[2] as string,
        }),
      ).toBe(1);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('names a source that is not shared, and reports a port in use', async () => {
    await expect(serveMetricsFromWorker({ sources: [new SharedDesk()], service: 'x', port: 0 })).rejects.toThrow(
      MetricsOptionError,
    );
    const desk = new SharedDesk({ shared: { threads: 3 } });
    const one = await serveMetricsFromWorker({ sources: [desk], service: 'x', port: 0, runtimeMetrics: false });
    try {
      await expect(
        serveMetricsFromWorker({ sources: [desk], service: 'x', port: one.address.port, runtimeMetrics: false }),
      ).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await one.close();
    }
  }, 30_000);

  it('names a wrong collect option, and serves a source to one onScrape server at a time', async () => {
    // Every worker started takes a slab for good: this thread's, and four.
    const desk = new SharedDesk({ shared: { threads: 5 } });
    const base = { sources: [desk], service: 'x', port: 0, runtimeMetrics: false } as const;
    const rejects = async (options: Partial<WorkerMetricsServerOptions>, option: string, message: RegExp) => {
      const error = await serveMetricsFromWorker({ ...base, ...options }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MetricsOptionError);
      expect((error as MetricsOptionError).option).toBe(option);
      expect((error as Error).message).toMatch(message);
    };
    await rejects({ collect: 'always' as never }, 'collect', /collect: expected one of "timer", "onScrape"/);
    await rejects({ collectTimeoutMs: 100 }, 'collectTimeoutMs', /only with collect: 'onScrape'/);
    await rejects({ collect: 'onScrape', collectIntervalMs: 20 }, 'collectIntervalMs', /only with collect: 'timer'/);
    await rejects({ collect: 'onScrape', collectTimeoutMs: 0 }, 'collectTimeoutMs', /a positive integer/);
    await rejects({ niceness: 20 }, 'niceness', /niceness: expected an integer from 0 to 19; got number 20/);

    const one = await serveMetricsFromWorker({ ...base, collect: 'onScrape' });
    try {
      await rejects({ collect: 'onScrape' }, 'sources[0]', /served with collect: 'onScrape' already/);
    } finally {
      await one.close();
    }
    // Closed, it gives the source back; a start that fails (a port in use) gives it back too.
    const timer = await serveMetricsFromWorker(base);
    try {
      await expect(serveMetricsFromWorker({ ...base, collect: 'onScrape', port: timer.address.port })).rejects.toThrow(
        /EADDRINUSE/,
      );
    } finally {
      await timer.close();
    }
    await (await serveMetricsFromWorker({ ...base, collect: 'onScrape' })).close();
  }, 30_000);

  // The nice value of each thread of this process, from /proc (field 19 of a task's stat, counted
  // after the command name in parentheses, which may hold spaces).
  const niceValues = (): number[] =>
    readdirSync('/proc/self/task').map((task) => {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });

  it.skipIf(process.platform !== 'linux')(
    'lowers the worker thread’s priority by niceness, and only that thread’s (skipped off Linux: no per-thread nice)',
    async () => {
      const desk = new SharedDesk({ shared: { threads: 3 } });
      const base = { sources: [desk], service: 'x', port: 0, runtimeMetrics: false } as const;
      const before = niceValues().filter((nice) => nice === 7).length;
      const lowered = await serveMetricsFromWorker({ ...base, niceness: 7 });
      try {
        expect(niceValues().filter((nice) => nice === 7).length).toBe(before + 1);
      } finally {
        await lowered.close();
      }
      const left = await serveMetricsFromWorker({ ...base, niceness: 0 });
      try {
        expect(niceValues().filter((nice) => nice === 7).length).toBe(before);
      } finally {
        await left.close();
      }
    },
  );
});
