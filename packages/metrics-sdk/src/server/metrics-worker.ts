// The body of the metrics worker thread that serveMetricsFromWorker starts: it rebuilds each
// catalog class from its declarations (plain data, cloned into this thread), attaches it to the
// shared storage, and runs createMetricsServer over them. Every scrape's collection, rendering and
// compression happens here; the thread that records never sees a request (with collect: 'onScrape',
// only a message asking for its snapshot).

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { catalog } from '../define/catalog.js';
import { createMetricsServer } from './metrics-server.js';
import { ScrapeCoalescer } from './scrape-coalescer.js';
import {
  CONTROL,
  type MetricsWorkerCommand,
  type MetricsWorkerJob,
  type MetricsWorkerReply,
  type OnScrapeJob,
} from './worker-protocol.js';

/**
 * How long a collection waits for a copy the recording thread has started: a memcpy per part takes
 * microseconds, unless that thread is descheduled mid-copy (or died there); then it is read as it stands.
 */
const COPY_WAIT_MS = 100;

const job = workerData as MetricsWorkerJob;
const port = parentPort;

function reply(message: MetricsWorkerReply): void {
  port?.postMessage(message);
}

/**
 * The pull step of `collect: 'onScrape'`: asks the recording thread to run its hooks and copy its
 * snapshots, and resolves once they are copied, or after `timeoutMs` with the last ones in place.
 * Asks are coalesced (one at a time, each after the call), so no render reads the snapshots while
 * an ask is open, and a render follows its pull in the same turn (createMetricsServer renders right
 * after the pulls resolve).
 */
function askOwner(onScrape: OnScrapeJob, to: MessagePort): () => Promise<void> {
  const words = new Int32Array(onScrape.control);
  const answers = new Map<number, () => void>();
  to.on('message', (message: MetricsWorkerCommand) => {
    if (message.kind === 'collected') answers.get(message.id)?.();
  });
  let last = 0;
  const ask = async (): Promise<void> => {
    last = last >= 0x3fff_ffff ? 1 : last + 1;
    const id = last;
    Atomics.add(words, CONTROL.ASKED, 1);
    Atomics.store(words, CONTROL.STATE, id);
    const answered = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        answers.delete(id);
        resolve(false);
      }, onScrape.timeoutMs);
      answers.set(id, () => {
        clearTimeout(timer);
        answers.delete(id);
        resolve(true);
      });
      to.postMessage({ kind: 'collect', id } satisfies MetricsWorkerReply);
    });
    if (answered) return;
    const was = Atomics.compareExchange(words, CONTROL.STATE, id, 0);
    if (was === id) Atomics.add(words, CONTROL.LATE, 1);
    else if (was === -id) Atomics.wait(words, CONTROL.STATE, -id, COPY_WAIT_MS);
    // Otherwise the copy ended just now: the snapshots are fresh.
  };
  const asks = new ScrapeCoalescer(ask);
  return () => asks.get();
}

/**
 * Lowers this thread's scheduling priority: on a machine with fewer free cores than busy threads,
 * the recording thread then gets the CPU first when both are ready, and a render waits instead of
 * the trading thread (measured: the recording thread's worst delay during 100k-series scrapes on 2
 * cores fell by about a quarter). Linux schedules threads as tasks of their own, so the nice value
 * of this thread's task id (from /proc/thread-self) applies to this thread alone.
 */
function lowerPriority(niceness: number): void {
  if (niceness === 0 || process.platform !== 'linux') return;
  try {
    const task = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(task, niceness);
  } catch (error) {
    reply({
      kind: 'server-error',
      name: 'Error',
      message: `could not lower the metrics worker's priority by ${niceness}: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

try {
  lowerPriority(job.niceness);
  const sources = job.sources.map(({ definitions, descriptor }) => new (catalog(definitions))({ shared: descriptor }));
  if (job.onScrape !== undefined && port !== null) {
    const pull = askOwner(job.onScrape, port);
    // The server awaits a source's pull before each collection (one step for all, the same function).
    for (const source of sources) Object.defineProperty(source, '~pull', { value: pull });
  }
  const server = createMetricsServer({
    ...job.server,
    sources,
    onError: (error) =>
      reply({
        kind: 'server-error',
        name: error instanceof Error ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
      }),
  });
  server.listen().then(
    (address) => reply({ kind: 'listening', address }),
    (error: unknown) => reply({ kind: 'error', message: String(error) }),
  );
  port?.on('message', (message: MetricsWorkerCommand) => {
    if (message.kind !== 'close') return;
    server.close().then(
      () => {
        reply({ kind: 'closed' });
        port.close();
      },
      (error: unknown) => reply({ kind: 'error', message: String(error) }),
    );
  });
} catch (error) {
  reply({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
}
