// scrape-load: N concurrent scrapers (autocannon, on loopback) hammer /metrics of a 10,000-series
// registry for a bounded time while the serving process records on its main thread. Ours
// (createMetricsServer) against prom-client 15 (a Registry served by node:http, its README's
// endpoint), each in its own child process with the same series, labels, values and recording loop
// (packages/metrics-sdk/test/load/). Reports the scrape rate and latency the scrapers saw, and the
// event-loop delay and record rate of the recording thread.
//
// Not a *.bench.ts: it spawns its own target processes and needs no --expose-gc. bench/run.ts calls
// scrapeLoadSuite(); alone: `npx tsx bench/scrape-load.ts [--quick] [--out file.json]`.

import { pathToFileURL } from 'node:url';
import type { LoadImpl } from '../test/load/fixture.js';
import { bodyMismatches, describeRun, runScrapeLoad, type ScrapeLoadRun } from '../test/load/load-driver.js';
import { finish, type Group, median, progress, type Row, type SuiteResult, suiteArgs } from './harness.js';

/** Options of {@link scrapeLoadSuite}. */
export interface ScrapeLoadOptions {
  /** Short smoke run (3 s of load, 1 s idle). */
  readonly quick: boolean;
  /** Concurrent scrapers; default 50. */
  readonly connections?: number;
  /** Seconds of load per implementation; default 10 (3 when quick). */
  readonly durationSeconds?: number;
  /** Seconds of recording without scrapes before the load, the baseline; default 2 (1 when quick). */
  readonly idleSeconds?: number;
  /** Rounds over all implementations; figures are medians over them. Default 3 (1 when quick). */
  readonly rounds?: number;
  /** Registry size; default 10,000 series. */
  readonly series?: number;
}

const IMPLS: readonly { readonly impl: LoadImpl; readonly id: string; readonly label: string }[] = [
  { impl: 'ours', id: 'ours', label: '**ours** `createMetricsServer`' },
  { impl: 'prom-client', id: 'prom', label: 'prom-client 15 `register.metrics()` on node:http' },
];

// Prometheus' default scrape_timeout: a scrape slower than this is a failed scrape for Prometheus.
const TIMEOUT_SECONDS = 10;

/**
 * Runs the load against ours and prom-client in turn, for some rounds, and returns the tables (medians
 * over the rounds).
 *
 * @param options - load shape; `quick` for a smoke run
 * @returns the suite result bench/run.ts renders (rows `ours`, `prom`)
 * @throws Error when a target fails, or a final scrape misses a series or a record
 */
export async function scrapeLoadSuite(options: ScrapeLoadOptions): Promise<SuiteResult> {
  const connections = options.connections ?? 50;
  const durationSeconds = options.durationSeconds ?? (options.quick ? 3 : 10);
  const idleSeconds = options.idleSeconds ?? (options.quick ? 1 : 2);
  const rounds = options.rounds ?? (options.quick ? 1 : 3);
  const series = options.series ?? 10_000;

  // Rounds interleave the implementations (ours, prom-client, ours, …), a fresh process
  // each time, so a burst of load from other processes lands on every implementation.
  const runs = new Map<string, ScrapeLoadRun[]>(IMPLS.map(({ id }) => [id, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const { impl, id } of IMPLS) {
      const run = await runScrapeLoad(impl, {
        connections,
        durationSeconds,
        timeoutSeconds: TIMEOUT_SECONDS,
        idleSeconds,
        series,
        progress: (text) => progress(`round ${round}/${rounds}, ${text}`),
      });
      // A bench whose server lost series or records would be comparing different work.
      const mismatches = bodyMismatches(run.final, run.underLoad, series);
      if (mismatches.length > 0) throw new Error(`scrape-load ${impl}: final scrape: ${mismatches.join('; ')}`);
      progress(describeRun(run));
      runs.get(id)?.push(run);
    }
  }

  /** The median over the rounds of one figure of one implementation. */
  const med = (id: string, figure: (run: ScrapeLoadRun) => number): number => median((runs.get(id) ?? []).map(figure));
  /** The sum over the rounds (counts: scrapes, errors). */
  const total = (id: string, figure: (run: ScrapeLoadRun) => number): number =>
    (runs.get(id) ?? []).reduce((sum, run) => sum + figure(run), 0);
  const promRate = med('prom', (r) => r.load.rate);

  const latencyRows: Row[] = IMPLS.map(({ id, label }) => ({
    id,
    label,
    value: med(id, (r) => r.load.latencyP50),
    p75: med(id, (r) => r.load.latencyP75),
    p99: med(id, (r) => r.load.latencyP99),
    extra: {
      max: med(id, (r) => r.load.latencyMax),
      rate: med(id, (r) => r.load.rate),
      rateRatio: med(id, (r) => r.load.rate) / promRate,
      mibs: med(id, (r) => r.load.throughputMiBs),
      scrapes: total(id, (r) => r.load.requests),
      errors: total(id, (r) => r.load.errors),
      timeouts: total(id, (r) => r.load.timeouts),
      non2xx: total(id, (r) => r.load.non2xx),
    },
  }));
  const loopRows: Row[] = IMPLS.map(({ id, label }) => ({
    id,
    label,
    value: med(id, (r) => r.underLoad.eventLoopDelay.p99),
    extra: {
      p50: med(id, (r) => r.underLoad.eventLoopDelay.p50),
      max: med(id, (r) => r.underLoad.eventLoopDelay.max),
      idleP99: med(id, (r) => r.idle?.eventLoopDelay.p99 ?? Number.NaN),
      records: med(id, (r) => recordsPerSecond(r.underLoad)) / 1e6,
      idleRecords: med(id, (r) => (r.idle === undefined ? Number.NaN : recordsPerSecond(r.idle))) / 1e6,
      first: med(id, (r) => r.firstScrapeMs),
      after: med(id, (r) => r.finalScrapeMs),
      rss: med(id, (r) => r.underLoad.maxRssMiB),
    },
  }));

  const refs = [{ id: 'prom', label: 'prom-client' }];
  const shape = `${connections} concurrent scrapers × ${durationSeconds} s, ${series / 1000}k series, recording meanwhile`;
  const groups: Group[] = [
    {
      title: `scrape latency seen by the scrapers: ${shape}`,
      unit: 'ms',
      refs,
      extras: [
        { key: 'max', label: 'max' },
        { key: 'rate', label: 'scrapes/s' },
        { key: 'rateRatio', label: 'scrapes/s ÷ prom-client’s' },
        { key: 'mibs', label: 'MiB/s' },
        { key: 'scrapes', label: `scrapes (${rounds} round${rounds === 1 ? '' : 's'})` },
        { key: 'errors', label: 'errors' },
        { key: 'timeouts', label: 'timeouts' },
        { key: 'non2xx', label: 'non-2xx' },
      ],
      rows: latencyRows,
    },
    {
      title: `event-loop delay of the recording thread during that load (${connections} scrapers)`,
      unit: 'ms',
      stat: 'p99',
      refs,
      extras: [
        { key: 'p50', label: 'p50' },
        { key: 'max', label: 'max' },
        { key: 'idleP99', label: `p99 with no scrapes (${idleSeconds} s)` },
        { key: 'records', label: 'M records/s under load' },
        { key: 'idleRecords', label: 'M records/s, no scrapes' },
        { key: 'first', label: 'first scrape (ms)' },
        { key: 'after', label: 'scrape right after the load (ms)' },
        { key: 'rss', label: 'peak RSS (MiB)' },
      ],
      rows: loopRows,
    },
  ];

  return {
    suite: 'scrape-load: concurrent scrapers while recording',
    quick: options.quick,
    groups,
    notes: [
      `Each implementation runs in its own child process (Node ${process.version}): a registry of ${series.toLocaleString('en-US')} series ` +
        `(${(series / 2).toLocaleString('en-US')} counter + ${(series / 2).toLocaleString('en-US')} histogram series × 12 buckets, labels exchange/symbol/type), ` +
        'served on 127.0.0.1, while its main thread records without pause: bursts of 1,000 × (counter inc + histogram observe) ' +
        'through bound handles (ours) or `labels()` children (prom-client), each burst scheduled with setImmediate. Neither serves process metrics.',
      `autocannon ${connections} keep-alive connections, each scraping back to back for ${durationSeconds} s, ` +
        `request timeout ${TIMEOUT_SECONDS} s (Prometheus' default scrape_timeout). autocannon runs in the parent process on the same cores and decodes ` +
        'every body on one JS thread, so at ~7 MB a body it can be the limit of the scrape rate; the recording-thread figures are the server side.',
      'Latency is per response (ms); scrapes/s is responses ÷ run time. The first scrape of each process runs before the phases and is listed on its own; ' +
        '"scrape right after the load" also waits for whatever the server still renders for scrapers that left when the load stopped.',
      `${rounds} round(s), each implementation in a fresh process per round, interleaved; every figure is the median over the rounds, ` +
        'except scrapes, errors, timeouts and non-2xx, which are totals.',
      'Event-loop delay: `perf_hooks.monitorEventLoopDelay({ resolution: 1 })` in the target, reset when the load starts; ' +
        'its samples are 1 ms timer ticks, so p99 reads as "1% of ticks came this late" and max is the longest stall. ' +
        `The "no scrapes" columns come from ${idleSeconds} s of recording alone, just before the load.`,
      'After the load the target pauses recording and one more scrape must show every series and account for every record ' +
        '(sum of the counter series = inc calls, sum of `_count` = observe calls); the suite fails otherwise.',
    ],
  };
}

function recordsPerSecond(stats: ScrapeLoadRun['underLoad']): number {
  return stats.phaseRecords / (stats.phaseMs / 1000);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = suiteArgs();
  finish(await scrapeLoadSuite({ quick: args.quick }), args);
}
