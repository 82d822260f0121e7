// runtime: the cost of serving the Node.js runtime metrics once. Ours is one collection of
// RuntimeMetrics (its collect hook: procfs reads, cpuUsage, memoryUsage, heap spaces, handle counts,
// event-loop statistics) plus the PrometheusWriter render; prom-client's is `await registry.metrics()`
// of a registry holding `collectDefaultMetrics`, which reads the same figures in its metrics'
// `collect()` and renders them as strings. Both live in this one process, timed in interleaved rounds.

import * as prom from 'prom-client';
import { PrometheusWriter } from '../src/exposition/prometheus-text.js';
import { RuntimeMetrics } from '../src/runtime/runtime-metrics.js';
import { throwOnInvalidValue } from '../src/storage/invalid.js';
import { finish, type Group, progress, quantile, type Row, requireGc, suiteArgs, time } from './harness.js';

const args = suiteArgs();
requireGc();

const runtime = new RuntimeMetrics({ onInvalidValue: throwOnInvalidValue });
// Without the self-metrics: prom-client's body holds the runtime families only, so does ours.
const writer = new PrometheusWriter([runtime], { selfMetrics: false });
const registry = new prom.Registry();
prom.collectDefaultMetrics({ register: registry });

function sampleLines(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line !== '' && !line.startsWith('#')) n++;
  return n;
}

function families(text: string): number {
  return text.split('\n').filter((line) => line.startsWith('# TYPE ')).length;
}

// A first collection of each, so both bodies hold every series they will hold when timed (the
// event-loop statistics need a monitor sample, the lag a turn of the loop).
writer.render();
await registry.metrics();
await new Promise((resolve) => setTimeout(resolve, 50));
const ourBody = writer.renderText();
const theirBody = await registry.metrics();

interface Case {
  readonly id: string;
  readonly label: string;
  readonly run: () => unknown;
  readonly body?: string;
  readonly samples: number[];
}

const cases: Case[] = [
  {
    id: 'ours.collect',
    label: '**ours** collect hook only (`~runCollectHooks()`)',
    run: () => runtime['~runCollectHooks'](),
    samples: [],
  },
  {
    id: 'ours',
    label: '**ours** collect + `PrometheusWriter.render()`',
    run: () => writer.render(),
    body: ourBody,
    samples: [],
  },
  {
    id: 'prom',
    label: 'prom-client 15 `collectDefaultMetrics`, `await registry.metrics()`',
    run: () => registry.metrics(),
    body: theirBody,
    samples: [],
  },
];

// Interleaved rounds, so a burst of load from other processes lands on every case.
const ROUNDS = args.quick ? 1 : 3;
for (let round = 0; round < ROUNDS; round++) {
  for (const c of cases) {
    progress(`runtime round ${round + 1}/${ROUNDS}: ${c.id}`);
    const t = await time(c.run, { quick: args.quick });
    c.samples.push(...t.raw);
  }
}
runtime.stop();

const rows: Row[] = cases.map((c) => ({
  id: c.id,
  label: c.label,
  value: quantile(c.samples, 0.5) / 1000,
  p75: quantile(c.samples, 0.75) / 1000,
  p99: quantile(c.samples, 0.99) / 1000,
  extra:
    c.body === undefined
      ? undefined
      : { bytes: Buffer.byteLength(c.body), families: families(c.body), lines: sampleLines(c.body) },
}));

const groups: Group[] = [
  {
    title: 'one collection + render of the Node.js runtime metrics',
    unit: 'µs',
    refs: [{ id: 'prom', label: 'prom-client' }],
    extras: [
      { key: 'families', label: 'families' },
      { key: 'lines', label: 'sample lines' },
      { key: 'bytes', label: 'body bytes' },
    ],
    rows,
  },
];

finish(
  {
    suite: 'runtime: Node.js runtime metrics',
    quick: args.quick,
    groups,
    notes: [
      'Median of mitata samples over interleaved rounds, one collection per call. Both implementations read ' +
        '/proc/self/status, /proc/self/fd, process.cpuUsage(), the V8 heap statistics and heap spaces once per ' +
        'collection (prom-client through process.memoryUsage(), which reads the resident size once more), and ' +
        'both run their GC observer and event-loop monitor in this process throughout.',
      "prom-client's collect schedules a setImmediate per call for its lag gauge, which a tight loop piles up " +
        'until the loop turns: part of its tail (p75, p99). Ours schedules one at a time.',
      "prom-client's body also holds the three `_total` gauges we leave out (OMITTED_RUNTIME_METRICS), and " +
        'only the GC kinds that have run; ours holds all four kinds from the start.',
      'Ours returns a Buffer view of its reused output buffer; prom-client a new string.',
    ],
  },
  args,
);
