import { Worker } from 'node:worker_threads';
import { readExposition } from '@ttquant/test-kit';
import { describe, expect, it } from 'vitest';
import { SharedDesk } from '../../test/fixtures/shared-desk.js';
import { MetricsOptionError } from '../define/errors.js';
import { serveMetricsFromWorker } from './worker-server.js';

// The server in a worker thread answers while this thread is blocked: the proof that the recording
// thread does no exposition work. The client is a worker too, since this thread's event loop is
// stopped while it asks.

// A client thread: waits for the go word, scrapes once, stores the series' value and raises done.
const CLIENT = `
const { workerData } = require('node:worker_threads');
const flags = new Int32Array(workerData.flags);
Atomics.wait(flags, 0, 0);
fetch(workerData.url)
  .then((response) => response.text())
  .then((text) => {
    const match = /desk_ticks_total\\{venue="a",symbol="X"\\} (\\d+)/.exec(text);
    Atomics.store(flags, 2, match ? Number(match[1]) : -1);
  })
  .catch(() => Atomics.store(flags, 2, -2))
  .finally(() => {
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
  });
`;

describe('serveMetricsFromWorker', () => {
  it('answers a scrape while the recording thread is blocked, with what it recorded just before', async () => {
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
      collectIntervalMs: 20,
    });
    try {
      const first = readExposition(await (await fetch(`${server.address.url}/metrics`)).text());
      expect(first.value('desk_ticks_total', { venue: 'a', symbol: 'X' })).toBe(5);

      const flags = new SharedArrayBuffer(12);
      const words = new Int32Array(flags);
      const client = new Worker(CLIENT, { eval: true, workerData: { flags, url: `${server.address.url}/metrics` } });
      await new Promise((resolve) => client.once('online', resolve));
      ticks.add(37);
      Atomics.store(words, 0, 1);
      Atomics.notify(words, 0);
      // This thread now stops for up to 10 s: no event loop, no timers, no hooks.
      const waited = Atomics.wait(words, 1, 0, 10_000);
      expect(waited).not.toBe('timed-out');
      expect(Atomics.load(words, 2)).toBe(42);
      await client.terminate();

      // The hooks run on this thread, by the timer; the worker serves what they set.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const later = readExposition(await (await fetch(`${server.address.url}/metrics`)).text());
      expect(hookRuns).toBeGreaterThan(1);
      expect(later.value('desk_queue_depth', { venue: 'b' })).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
    await expect(fetch(`${server.address.url}/metrics`)).rejects.toThrow();
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
});
