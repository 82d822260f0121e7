// offthread: how long a scrape stalls the recording thread. A registry of 100k and of 1M counter
// series is scraped back to back over HTTP (the first, cold scrape included) by a client in a worker
// thread, while this thread records on a 1 ms timer and perf_hooks.monitorEventLoopDelay measures
// its event loop. Three servers, same run: ours in a worker thread (serveMetricsFromWorker over a
// shared catalog), ours on this thread (createMetricsServer), and prom-client 15's registry served
// by node:http. Also: the render of the shared catalog (what the worker does per scrape), and the
// memory of a shared catalog against an unshared one.

import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import * as prom from 'prom-client';
import { catalog } from '../src/define/catalog.js';
import { closed, open } from '../src/define/labels.js';
import { counter } from '../src/define/metric.js';
import { PrometheusWriter } from '../src/exposition/prometheus-text.js';
import { createMetricsServer } from '../src/server/metrics-server.js';
import { serveMetricsFromWorker } from '../src/server/worker-server.js';
import { finish, type Group, median, progress, type Row, requireGc, suiteArgs } from './harness.js';

const args = suiteArgs();
const gc = requireGc();
const SIZES = args.quick ? [100_000] : [100_000, 1_000_000];
const SCRAPES = args.quick ? 3 : 5;
const EXCHANGES = ['binance', 'okx'] as const;
const MB = 2 ** 20;

/** Two counters of `size / 2` series each: 2 exchanges × `size / 4` symbols. */
function catalogClass(size: number) {
  const labels = { exchange: closed(...EXCHANGES), symbol: open({ budget: size / 4 }) };
  return catalog({
    a: counter('offthread_a_total', 'Bench counter A.', labels),
    b: counter('offthread_b_total', 'Bench counter B.', labels),
  });
}

type Cat = InstanceType<ReturnType<typeof catalogClass>>;

function fill(cat: Cat, size: number): void {
  for (const exchange of EXCHANGES) {
    for (let s = 0; s < size / 4; s++) {
      cat.a.bind({ exchange, symbol: `SYM${s}` }).add(s + 1);
      cat.b.bind({ exchange, symbol: `SYM${s}` }).add(s + 2);
    }
  }
}

// The client: scrapes `count` times back to back and posts each scrape's time and body size.
const CLIENT = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const out = [];
  for (let i = 0; i < workerData.count; i++) {
    const started = performance.now();
    const response = await fetch(workerData.url, { headers: { accept: 'text/plain;version=0.0.4', 'accept-encoding': 'gzip' } });
    const body = await response.arrayBuffer();
    out.push({ ms: performance.now() - started, bytes: body.byteLength, status: response.status });
  }
  parentPort.postMessage(out);
})();
`;

interface Scrape {
  readonly ms: number;
  readonly bytes: number;
  readonly status: number;
}

interface Served {
  readonly url: string;
  readonly close: () => Promise<void>;
}

interface Measured {
  readonly scrapes: Scrape[];
  /** Event-loop delay of this thread, ms. */
  readonly max: number;
  readonly p999: number;
  /** CPU this thread used, ms per second of the run: the recording timer plus any exposition work. */
  readonly cpu: number;
}

/**
 * Scrapes `url` from a client thread while this thread records (or, with no url, only records for
 * `idleMs`, the baseline); returns the scrapes, this thread's event-loop delay and its CPU time.
 */
async function measure(url: string | undefined, record: () => void, idleMs = 0): Promise<Measured> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const timer = setInterval(record, 1);
  const cpuBefore = process.threadCpuUsage();
  const started = performance.now();
  delay.enable();
  let scrapes: Scrape[] = [];
  if (url === undefined) await new Promise((resolve) => setTimeout(resolve, idleMs));
  else {
    const client = new Worker(CLIENT, { eval: true, workerData: { url, count: SCRAPES } });
    [scrapes] = (await once(client, 'message')) as [Scrape[]];
    await client.terminate();
  }
  delay.disable();
  const cpu = process.threadCpuUsage(cpuBefore);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  return {
    scrapes,
    max: delay.max / 1e6,
    p999: delay.percentile(99.9) / 1e6,
    cpu: (cpu.user + cpu.system) / 1000 / seconds,
  };
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

type Variant = 'worker' | 'thread' | 'prom';

const LABELS: Readonly<Record<Variant, string>> = {
  worker: '**ours** in a worker thread `serveMetricsFromWorker` (shared catalog)',
  thread: '**ours** on the recording thread `createMetricsServer`',
  prom: 'prom-client 15 `register.metrics()` on node:http',
};

/** Builds the registry of one variant, serves it, and returns how to record into it. */
async function serve(variant: Variant, size: number): Promise<Served & { record: () => void }> {
  if (variant === 'prom') {
    const registry = new prom.Registry();
    const labelNames = ['exchange', 'symbol'] as const;
    const a = new prom.Counter({ name: 'offthread_a_total', help: 'A.', labelNames, registers: [registry] });
    const b = new prom.Counter({ name: 'offthread_b_total', help: 'B.', labelNames, registers: [registry] });
    for (const exchange of EXCHANGES) {
      for (let s = 0; s < size / 4; s++) {
        a.labels(exchange, `SYM${s}`).inc(s + 1);
        b.labels(exchange, `SYM${s}`).inc(s + 2);
      }
    }
    const hot = a.labels('binance', 'SYM0');
    const server = createServer((_request, response) => {
      registry.metrics().then((body) => response.end(body));
    });
    const url = await listen(server);
    return {
      url,
      record: () => {
        for (let i = 0; i < 100; i++) hot.inc();
      },
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }
  const Cat = catalogClass(size);
  const cat = variant === 'worker' ? new Cat({ shared: { threads: 2 } }) : new Cat();
  fill(cat, size);
  const hot = cat.a.bind({ exchange: 'binance', symbol: 'SYM0' });
  const record = () => {
    for (let i = 0; i < 100; i++) hot.inc();
  };
  if (variant === 'worker') {
    const server = await serveMetricsFromWorker({
      sources: [cat],
      service: 'offthread',
      port: 0,
      runtimeMetrics: false,
      selfMetrics: false,
      collectIntervalMs: 0,
    });
    return { url: `${server.address.url}/metrics`, record, close: () => server.close() };
  }
  const server = createMetricsServer({
    sources: [cat],
    service: 'offthread',
    port: 0,
    runtimeMetrics: false,
    selfMetrics: false,
  });
  const address = await server.listen();
  return { url: `${address.url}/metrics`, record, close: () => server.close() };
}

const groups: Group[] = [];
const renderRows: Row[] = [];
const memoryRows: Row[] = [];
for (const size of SIZES) {
  const label = size >= 1e6 ? `${size / 1e6}M` : `${size / 1e3}k`;
  const rows: Row[] = [];
  {
    // The floor: the same recording with no server and no scrapes. On a machine with few cores the
    // client and server threads also take CPU from this one; compare the worker row with this.
    const Cat = catalogClass(4);
    const hot = new Cat().a.bind({ exchange: 'binance', symbol: 'SYM0' });
    gc();
    const idle = await measure(
      undefined,
      () => {
        for (let i = 0; i < 100; i++) hot.inc();
      },
      2_000,
    );
    rows.push({
      id: 'idle',
      label: 'no server, no scrapes: the recording thread alone (2 s)',
      value: idle.max,
      extra: { p999: idle.p999, cpu: idle.cpu },
    });
  }
  for (const variant of ['worker', 'thread', 'prom'] as const) {
    progress(`offthread ${label}: ${variant}`);
    gc();
    const served = await serve(variant, size);
    // The garbage of building the registry is collected before, not during, the measurement.
    gc();
    const { scrapes, max, p999, cpu } = await measure(served.url, served.record);
    await served.close();
    if (scrapes.some((s) => s.status !== 200)) throw new Error(`${variant} ${label}: a scrape failed`);
    rows.push({
      id: variant === 'worker' ? 'ours.worker' : variant === 'thread' ? 'ours.thread' : 'prom',
      label: LABELS[variant],
      value: max,
      extra: {
        p999,
        cpu,
        first: scrapes[0]?.ms ?? 0,
        scrape: median(scrapes.slice(1).map((s) => s.ms)),
        body: (scrapes[0]?.bytes ?? 0) / MB,
      },
    });
  }
  groups.push({
    title: `event-loop delay of the recording thread while a client scrapes ${label} series ${SCRAPES} times back to back (first scrape included)`,
    unit: 'ms',
    stat: 'max',
    refs: [
      { id: 'ours.thread', label: 'in-thread' },
      { id: 'prom', label: 'prom-client' },
    ],
    extras: [
      { key: 'p999', label: 'p99.9 (ms)' },
      { key: 'cpu', label: 'this thread’s CPU (ms/s)' },
      { key: 'first', label: 'first scrape (ms)' },
      { key: 'scrape', label: 'later scrapes, median (ms)' },
      { key: 'body', label: 'body MB' },
    ],
    rows,
  });

  // What the worker does per scrape: sum the slabs, then render.
  progress(`offthread ${label}: render and memory`);
  gc();
  const before = process.memoryUsage();
  const Cat = catalogClass(size);
  const shared = new Cat({ shared: { threads: 2 } });
  fill(shared, size);
  gc();
  const sharedMemory = process.memoryUsage();
  const unshared = new Cat();
  fill(unshared, size);
  gc();
  const after = process.memoryUsage();
  const footprint = (from: NodeJS.MemoryUsage, to: NodeJS.MemoryUsage) =>
    (to.heapUsed - from.heapUsed + to.arrayBuffers - from.arrayBuffers) / MB;
  memoryRows.push(
    {
      id: `shared.${label}`,
      label: `${label} series, shared (2 slabs and the snapshot slab)`,
      value: footprint(before, sharedMemory),
      extra: {
        buffers: (sharedMemory.arrayBuffers - before.arrayBuffers) / MB,
        rss: (sharedMemory.rss - before.rss) / MB,
      },
    },
    {
      id: `unshared.${label}`,
      label: `${label} series, unshared`,
      value: footprint(sharedMemory, after),
      extra: {
        buffers: (after.arrayBuffers - sharedMemory.arrayBuffers) / MB,
        rss: (after.rss - sharedMemory.rss) / MB,
      },
    },
  );
  const writer = new PrometheusWriter([shared], { selfMetrics: false });
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < (args.quick ? 3 : 7); i++) {
    const started = performance.now();
    shared['~runCollectHooks']();
    bytes = writer.render().length;
    times.push(performance.now() - started);
  }
  const ms = median(times.slice(1));
  renderRows.push({
    id: `render.${label}`,
    label: `${label} series: sum 2 slabs and render text`,
    value: ms,
    extra: { first: times[0] ?? 0, body: bytes / MB, rate: bytes / MB / (ms / 1000) },
  });
}

groups.push(
  {
    title: 'render of a shared catalog, the work the metrics worker does per scrape',
    unit: 'ms',
    refs: [],
    extras: [
      { key: 'first', label: 'first (ms)' },
      { key: 'body', label: 'body MB' },
      { key: 'rate', label: 'MB/s' },
    ],
    rows: renderRows,
  },
  {
    title: 'memory of a catalog (heap + array buffers after GC, and the process RSS growth)',
    unit: 'MB',
    refs: [],
    extras: [
      { key: 'buffers', label: 'of which array buffers' },
      { key: 'rss', label: 'RSS growth (MB)' },
    ],
    rows: memoryRows,
  },
);

finish(
  {
    suite: 'offthread',
    quick: args.quick,
    groups,
    notes: [
      'The client is a worker thread (fetch, `Accept-Encoding: gzip`; body MB is the body uncompressed); this thread records 100 increments every 1 ms meanwhile, and its event-loop delay is sampled at 1 ms resolution from the first request to the last answer. prom-client gets no gzip (its README serves the plain body).',
      "Memory: heapUsed + arrayBuffers growth after GC while building and filling the catalog, and the RSS growth over the same steps (pages the process touched; RSS is not given back after GC, so it is an upper bound); a shared catalog holds one slab per thread (2 here) and one for the owning thread's snapshot in SharedArrayBuffers.",
    ],
  },
  args,
);
