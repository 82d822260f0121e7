// A scrape-load target: one process that holds a 10,000-series registry, serves it on 127.0.0.1
// (an ephemeral port) and records into it on its main thread the whole time, the way a trading
// service does, while measuring its own event-loop delay. Spawned by load-driver.ts with an IPC
// channel:
//
//   node --import tsx scrape-target.ts --impl ours|prom-client [--series 10000]
//
// → {type:'ready', url}; then on request: 'reset' (start a new phase), 'snapshot' (report the
// phase; `pause` stops recording first, so a following scrape must account for every record made),
// 'exit'. The target exits on its own when the parent goes away.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as prom from 'prom-client';
import { samples as latencySamples } from '../../bench/peers.js';
import { exchange } from '../../src/catalogs/domains.js';
import { catalog } from '../../src/define/catalog.js';
import { closed, open } from '../../src/define/labels.js';
import { counter, histogram } from '../../src/define/metric.js';
import { createMetricsServer } from '../../src/server/metrics-server.js';
import { throwOnInvalidValue } from '../../src/storage/invalid.js';
import {
  BUCKETS,
  COUNTER_HELP,
  COUNTER_NAME,
  DEFAULT_SERIES,
  HISTOGRAM_HELP,
  HISTOGRAM_NAME,
  type LoadImpl,
  loadLabelSets,
  symbolsFor,
  type TargetCommand,
  type TargetMessage,
  type TargetStats,
  TYPES,
} from './fixture.js';

/** The hot path of either implementation: bound handles (ours) or bound children (prom-client). */
interface Recorders {
  readonly counters: readonly { inc(): void }[];
  readonly histograms: readonly { observe(value: number): void }[];
  /** Base URL of the running server. */
  readonly url: string;
  readonly close: () => Promise<void>;
}

// Record calls per burst are (inc + observe) × BURST. A burst of our bound handles takes ~12 µs and
// one of prom-client's children ~0.8 ms (bench/hot: 1.8 + 10.2 ns vs 386 + 374 ns a call), far below a
// scrape, so the burst size does not decide the event-loop delay; scrapes do.
const BURST = 1_000;
const SAMPLE_MASK = 4095;

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function send(message: TargetMessage): void {
  process.send?.(message);
}

let serverErrors = 0;

function onServerError(error: unknown): void {
  serverErrors++;
  process.stderr.write(`scrape-target: ${error instanceof Error ? error.message : String(error)}\n`);
}

async function ours(series: number): Promise<Recorders> {
  const labels = { exchange, symbol: open({ budget: symbolsFor(series) }), type: closed(...TYPES) };
  class LoadCatalog extends catalog({
    requests: counter(COUNTER_NAME, COUNTER_HELP, labels),
    latency: histogram(HISTOGRAM_NAME, HISTOGRAM_HELP, labels, { unit: 'ms', buckets: BUCKETS }),
  }) {}
  // A throwing hook: a dropped value would mean the load test measured the slow path.
  const cat = new LoadCatalog({ onInvalidValue: throwOnInvalidValue });
  const sets = loadLabelSets(series);
  const server = createMetricsServer({
    sources: [cat],
    service: 'scrape-load',
    host: '127.0.0.1',
    port: 0,
    // Only the 10,000 series, as the prom-client peer serves only its registry.
    runtimeMetrics: false,
    onError: onServerError,
  });
  const { url } = await server.listen();
  return {
    counters: sets.map((l) => cat.requests.bind(l)),
    histograms: sets.map((l) => cat.latency.bind(l)),
    url,
    close: () => server.close(),
  };
}

/** Listens on 127.0.0.1, an ephemeral port, and returns the base URL and a close function. */
async function listen(server: Server): Promise<Pick<Recorders, 'url' | 'close'>> {
  server.on('error', onServerError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function isMetricsPath(request: IncomingMessage): boolean {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  return (query < 0 ? url : url.slice(0, query)) === '/metrics';
}

function notFound(response: ServerResponse): void {
  response.statusCode = 404;
  response.end('Not Found\n');
}

async function promClient(series: number): Promise<Recorders> {
  const registry = new prom.Registry();
  const labelNames = ['exchange', 'symbol', 'type'] as const;
  const c = new prom.Counter({ name: COUNTER_NAME, help: COUNTER_HELP, labelNames, registers: [registry] });
  const h = new prom.Histogram({
    name: HISTOGRAM_NAME,
    help: HISTOGRAM_HELP,
    labelNames,
    buckets: [...BUCKETS],
    registers: [registry],
  });
  const sets = loadLabelSets(series);
  // The usual prom-client endpoint (its README's example): await register.metrics(), then end().
  const server = createServer((request, response) => {
    if (!isMetricsPath(request)) return notFound(response);
    registry.metrics().then(
      (text) => {
        response.setHeader('Content-Type', registry.contentType);
        response.end(text);
      },
      (error: unknown) => {
        onServerError(error);
        response.statusCode = 500;
        response.end('metrics render failed\n');
      },
    );
  });
  return {
    counters: sets.map((l) => c.labels(l.exchange, l.symbol, l.type)),
    histograms: sets.map((l) => h.labels(l.exchange, l.symbol, l.type)),
    ...(await listen(server)),
  };
}

function start(impl: LoadImpl, series: number): Promise<Recorders> {
  if (impl === 'ours') return ours(series);
  if (impl === 'prom-client') return promClient(series);
  throw new Error(`--impl must be ours or prom-client; got ${String(impl)}`);
}

async function main(): Promise<void> {
  if (process.send === undefined) throw new Error('scrape-target must be spawned with an IPC channel');
  const impl = (argument('impl') ?? 'ours') as LoadImpl;
  const series = Number(argument('series') ?? DEFAULT_SERIES);
  const recorders = await start(impl, series);
  const { counters, histograms } = recorders;
  const n = counters.length;
  const samples = latencySamples(SAMPLE_MASK + 1);

  let counterIncs = 0;
  let observations = 0;
  let phaseRecords = 0;
  let cursor = 0;
  let sample = 0;
  let recording = true;

  function record(count: number): void {
    for (let i = 0; i < count; i++) {
      counters[cursor].inc();
      histograms[cursor].observe(samples[sample]);
      cursor = cursor + 1 === n ? 0 : cursor + 1;
      sample = (sample + 1) & SAMPLE_MASK;
    }
    counterIncs += count;
    observations += count;
    phaseRecords += 2 * count;
  }

  // One pass over every series first, so all 10,000 exist on the wire before the first scrape
  // (prom-client creates a child's series on its first record).
  record(n);

  // setImmediate, not a loop: each burst yields to I/O, so scrapes and IPC are served in between,
  // as a feed handler yields between socket reads.
  function burst(): void {
    if (!recording) return;
    record(BURST);
    setImmediate(burst);
  }

  // 1 ms resolution: the default 10 ms would hide delays below 10 ms.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let phaseStart = performance.now();

  function stats(): TargetStats {
    return {
      impl,
      phaseRecords,
      phaseMs: performance.now() - phaseStart,
      eventLoopDelay: {
        p50: delay.percentile(50) / 1e6,
        p99: delay.percentile(99) / 1e6,
        max: delay.max / 1e6,
        mean: delay.mean / 1e6,
        samples: delay.count,
      },
      counterIncs,
      observations,
      serverErrors,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  }

  let exiting = false;
  async function exit(code: number): Promise<void> {
    if (exiting) return;
    exiting = true;
    recording = false;
    delay.disable();
    // A stuck connection must not keep the process alive: the parent waits for the exit.
    setTimeout(() => process.exit(code), 2_000).unref();
    await recorders.close().catch(onServerError);
    process.exit(code);
  }

  process.on('message', (command: TargetCommand) => {
    if (command.type === 'reset') {
      delay.reset();
      phaseRecords = 0;
      phaseStart = performance.now();
      send({ type: 'reset' });
    } else if (command.type === 'snapshot') {
      if (command.pause) recording = false;
      send({ type: 'snapshot', stats: stats() });
    } else if (command.type === 'exit') {
      void exit(0);
    }
  });
  // The parent died or let go: never outlive it.
  process.on('disconnect', () => void exit(0));

  setImmediate(burst);
  send({ type: 'ready', url: recorders.url, series });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`scrape-target: ${message}\n`);
  send({ type: 'error', message });
  process.exitCode = 1;
  process.disconnect?.();
});
