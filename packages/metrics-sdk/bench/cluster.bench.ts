// cluster: the primary of a Node cluster serving one /metrics for 4 worker processes of 10k series
// each. Ours (aggregateClusterMetrics: binary snapshots over the IPC channel, merged into aggregate
// catalogs, then rendered) against prom-client 15's AggregatorRegistry.clusterMetrics() (JSON
// snapshots, merged into a new registry, then rendered), same workers, same run, in alternating
// blocks. Measured in the primary per scrape: wall time from the request to the rendered body, and
// the primary's CPU time; and the workers' CPU time per scrape (their snapshot work).

import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import * as prom from 'prom-client';
import { aggregateClusterMetrics } from '../src/cluster/cluster-metrics.js';
import { PrometheusWriter } from '../src/exposition/prometheus-text.js';
import { BenchDesk } from './cluster-desk.js';
import { finish, median, progress, type Row, suiteArgs } from './harness.js';

const args = suiteArgs();
const WORKERS = 4;
const SCRAPES = args.quick ? 4 : 12;
const BLOCKS = args.quick ? 1 : 3;
const MB = 2 ** 20;

cluster.setupPrimary({
  exec: fileURLToPath(new URL('./cluster-worker.ts', import.meta.url)),
  execArgv: ['--import', 'tsx'],
  serialization: 'advanced',
});
const ours = aggregateClusterMetrics({ catalogs: [BenchDesk], timeoutMs: 10_000 });
const theirs = new prom.AggregatorRegistry();
const workers: Worker[] = [];
for (let i = 0; i < WORKERS; i++) workers.push(cluster.fork({ BENCH_WORKER: String(i) }));
await Promise.all(workers.map((worker) => once(worker, 'online')));
while (ours.stats.workers < WORKERS) await new Promise((resolve) => setTimeout(resolve, 20));

const writer = new PrometheusWriter(ours.sources, { selfMetrics: false });

/** The workers' CPU time so far, ms. */
async function workersCpu(): Promise<number> {
  const usages = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<number>((resolve) => {
          const onMessage = (message: { cpu?: NodeJS.CpuUsage }) => {
            if (message.cpu === undefined) return;
            worker.off('message', onMessage);
            resolve((message.cpu.user + message.cpu.system) / 1000);
          };
          worker.on('message', onMessage);
          worker.send({ cmd: 'cpu' });
        }),
    ),
  );
  return usages.reduce((a, b) => a + b, 0);
}

type Variant = 'ours' | 'prom';
const scrape: Record<Variant, () => Promise<number>> = {
  ours: async () => {
    await ours.pull();
    return writer.render().length;
  },
  prom: async () => Buffer.byteLength(await theirs.clusterMetrics()),
};

const samples: Record<Variant, { wall: number[]; cpu: number[]; workers: number[]; bytes: number }> = {
  ours: { wall: [], cpu: [], workers: [], bytes: 0 },
  prom: { wall: [], cpu: [], workers: [], bytes: 0 },
};
for (const variant of ['ours', 'prom'] as const) for (let i = 0; i < 3; i++) await scrape[variant]();
for (let block = 0; block < BLOCKS; block++) {
  for (const variant of ['ours', 'prom'] as const) {
    progress(`cluster: ${variant}, block ${block + 1} of ${BLOCKS}`);
    const into = samples[variant];
    const workersBefore = await workersCpu();
    for (let i = 0; i < SCRAPES; i++) {
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      into.bytes = await scrape[variant]();
      into.wall.push(performance.now() - started);
      const cpu = process.cpuUsage(cpuBefore);
      into.cpu.push((cpu.user + cpu.system) / 1000);
    }
    into.workers.push(((await workersCpu()) - workersBefore) / SCRAPES);
  }
}

// Both bodies hold the same totals: the comparison is of the same work.
const ourText = writer.render().toString();
const promText = await theirs.clusterMetrics();
const total = (text: string) =>
  [...text.matchAll(/^bench_ticks_total\{[^}]*\} (\S+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
if (total(ourText) !== total(promText) || total(ourText) === 0) {
  throw new Error(`cluster: the two aggregates differ (${total(ourText)} vs ${total(promText)})`);
}

ours.close();
for (const worker of workers) worker.process.kill('SIGTERM');
await Promise.all(workers.map((worker) => once(worker, 'exit')));

const LABELS: Record<Variant, string> = {
  ours: '**ours** `aggregateClusterMetrics` (binary snapshots) + text render',
  prom: 'prom-client 15 `AggregatorRegistry.clusterMetrics()`',
};
const rows: Row[] = (['ours', 'prom'] as const).map((variant) => ({
  id: variant,
  label: LABELS[variant],
  value: median(samples[variant].wall),
  extra: {
    cpu: median(samples[variant].cpu),
    workers: median(samples[variant].workers),
    body: samples[variant].bytes / MB,
  },
}));
const cpuRows: Row[] = (['ours', 'prom'] as const).map((variant) => ({
  id: variant,
  label: LABELS[variant],
  value: median(samples[variant].cpu),
}));

finish(
  {
    suite: 'cluster',
    quick: args.quick,
    groups: [
      {
        title: `scrape of the primary: ${WORKERS} worker processes × 10k series (wall time, request to rendered body)`,
        unit: 'ms',
        refs: [{ id: 'prom', label: 'prom-client' }],
        extras: [
          { key: 'cpu', label: 'primary CPU (ms/scrape)' },
          { key: 'workers', label: 'workers’ CPU, all 4 (ms/scrape)' },
          { key: 'body', label: 'body MB' },
        ],
        rows,
      },
      {
        title: `primary CPU per scrape: ${WORKERS} worker processes × 10k series`,
        unit: 'ms',
        refs: [{ id: 'prom', label: 'prom-client' }],
        rows: cpuRows,
      },
    ],
    notes: [
      `Each worker holds the same series in both libraries: 6 000 counter, 3 000 gauge (summed) and 1 000 histogram series (6 buckets) over 2 exchanges × 3 000 symbols. ${BLOCKS} alternating blocks of ${SCRAPES} scrapes each after 3 warm-up scrapes per library; medians. In-process in the primary (no HTTP, the same for both); the totals of both bodies are checked equal.`,
      'Workers’ CPU: their CPU time over a block divided by its scrapes, all four together (taking and sending snapshots; prom-client: getMetricsAsJSON).',
    ],
  },
  args,
);
