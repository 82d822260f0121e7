// Drives a scrape-load run: spawns a scrape-target.ts process (Node 24 with tsx), points autocannon
// at its /metrics with N concurrent connections for a bounded time, asks the target how its
// recording thread fared, and takes one final scrape after recording is paused. Used by
// scrape-load.test.ts and bench/scrape-load.ts.

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import {
  BUCKETS,
  COUNTER_NAME,
  DEFAULT_SERIES,
  HISTOGRAM_NAME,
  type LoadImpl,
  type TargetCommand,
  type TargetMessage,
  type TargetStats,
} from './fixture.js';

const loadDir = fileURLToPath(new URL('.', import.meta.url));
const packageDir = resolve(loadDir, '../..');
const TARGET = resolve(loadDir, 'scrape-target.ts');
const STDERR_TAIL = 8_192;
const MiB = 2 ** 20;

/** A running scrape-target process. */
export interface Target {
  readonly impl: LoadImpl;
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly pid: number;
  /** Starts a new phase: resets the event-loop histogram and the phase's record count. */
  reset(): Promise<void>;
  /**
   * Reports the current phase.
   *
   * @param pause - stop recording first, so a following scrape must account for every record
   */
  snapshot(pause: boolean): Promise<TargetStats>;
  /** Asks the target to exit and waits; kills it by PID (SIGKILL) if it has not exited in 5 s. */
  stop(): Promise<void>;
}

/**
 * Spawns a target with `process.execPath` (the Node 24 that runs vitest or the bench under npx) and
 * tsx as an ESM loader, in one process, so its PID is the one to stop.
 *
 * @param impl - which implementation serves and records
 * @param series - registry size (counter and histogram series together)
 * @returns the target, once it listens and has recorded into every series
 */
export async function startTarget(impl: LoadImpl, series = DEFAULT_SERIES): Promise<Target> {
  const child = spawn(process.execPath, ['--import', 'tsx', TARGET, '--impl', impl, '--series', String(series)], {
    cwd: packageDir,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`scrape-target (${impl}) did not start`);

  function next<T extends TargetMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<TargetMessage, { type: T }>> {
    return new Promise((done, fail) => {
      const timer = setTimeout(
        () => finish(new Error(`scrape-target (${impl}): no '${type}' in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onMessage = (message: TargetMessage): void => {
        if (message.type === type) finish(undefined, message as Extract<TargetMessage, { type: T }>);
        else if (message.type === 'error') finish(new Error(`scrape-target (${impl}): ${message.message}`));
      };
      const onExit = (code: number | null, signal: string | null): void =>
        finish(new Error(`scrape-target (${impl}) exited (${code ?? signal}) before '${type}':\n${stderr}`));
      function finish(error: Error | undefined, message?: Extract<TargetMessage, { type: T }>): void {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error !== undefined) fail(error);
        else done(message as Extract<TargetMessage, { type: T }>);
      }
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  function command(message: TargetCommand): void {
    if (child.connected) child.send(message);
  }

  async function stop(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    command({ type: 'exit' });
    const timer = setTimeout(() => {
      try {
        process.kill(pid as number, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  }

  try {
    // tsx compiles the target and its imports on first start: allow for a slow, busy machine.
    const ready = await next('ready', 60_000);
    return {
      impl,
      url: ready.url,
      pid,
      reset: async () => {
        const reply = next('reset', 30_000);
        command({ type: 'reset' });
        await reply;
      },
      snapshot: async (pause) => {
        // A server may still be rendering for scrapers that already left (prom-client does).
        const reply = next('snapshot', 120_000);
        command({ type: 'snapshot', pause });
        return (await reply).stats;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** How hard and how long to scrape. */
export interface LoadOptions {
  /** Concurrent connections, each scraping back to back (keep-alive). */
  readonly connections: number;
  readonly durationSeconds: number;
  /** Per-request timeout; autocannon's default is 10 s. */
  readonly timeoutSeconds?: number;
}

/** What the scrapers saw. */
export interface LoadFigures {
  readonly connections: number;
  /** Actual length of the run, s. */
  readonly durationSeconds: number;
  /** Responses received (any status). */
  readonly requests: number;
  /** Responses per second over the run. */
  readonly rate: number;
  readonly latencyP50: number;
  readonly latencyP75: number;
  readonly latencyP99: number;
  readonly latencyMax: number;
  /** Response bytes per second, MiB/s. */
  readonly throughputMiBs: number;
  /** Connection errors, timeouts included (autocannon's `errors`). */
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}

/**
 * Runs autocannon (in this process) against `${url}/metrics`.
 *
 * @param url - the target's base URL
 * @param options - connections, duration, timeout
 * @returns the figures
 */
export async function scrapeLoad(url: string, options: LoadOptions): Promise<LoadFigures> {
  const result = await autocannon({
    url: `${url}/metrics`,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: options.timeoutSeconds ?? 10,
  });
  return {
    connections: result.connections,
    durationSeconds: result.duration,
    requests: result.requests.total,
    rate: result.requests.total / result.duration,
    latencyP50: result.latency.p50,
    latencyP75: result.latency.p75,
    latencyP99: result.latency.p99,
    latencyMax: result.latency.max,
    throughputMiBs: result.throughput.total / MiB / result.duration,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

/** The sample lines of one /metrics body, by family, with the sums that account for records. */
export interface BodySummary {
  readonly bytes: number;
  readonly counterLines: number;
  readonly counterSum: number;
  readonly bucketLines: number;
  readonly sumLines: number;
  readonly countLines: number;
  readonly countSum: number;
  /** Sample lines of other families (none, or self-metrics families a server adds). */
  readonly otherLines: number;
  /** Sample lines with no `name value` shape or a value that is not a number. */
  readonly malformed: number;
}

/**
 * Splits a text-format body into the load families' sample lines and sums their values.
 *
 * @param body - a /metrics body
 * @returns line counts and sums
 */
export function summarizeBody(body: string): BodySummary {
  const counter = `${COUNTER_NAME}{`;
  const bucket = `${HISTOGRAM_NAME}_bucket{`;
  const sum = `${HISTOGRAM_NAME}_sum{`;
  const count = `${HISTOGRAM_NAME}_count{`;
  let counterLines = 0;
  let counterSum = 0;
  let bucketLines = 0;
  let sumLines = 0;
  let countLines = 0;
  let countSum = 0;
  let otherLines = 0;
  let malformed = 0;
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    // Label values here hold no spaces, so the value is what follows the last space.
    const space = line.lastIndexOf(' ');
    const value = space < 0 ? Number.NaN : Number(line.slice(space + 1));
    if (Number.isNaN(value)) {
      malformed++;
      continue;
    }
    if (line.startsWith(counter)) {
      counterLines++;
      counterSum += value;
    } else if (line.startsWith(bucket)) bucketLines++;
    else if (line.startsWith(sum)) sumLines++;
    else if (line.startsWith(count)) {
      countLines++;
      countSum += value;
    } else otherLines++;
  }
  return {
    bytes: Buffer.byteLength(body),
    counterLines,
    counterSum,
    bucketLines,
    sumLines,
    countLines,
    countSum,
    otherLines,
    malformed,
  };
}

/**
 * The differences between a final body and what the target recorded, as readable strings.
 *
 * @param summary - the final body's summary
 * @param stats - the target's snapshot taken with recording paused, right before that body
 * @param series - registry size
 * @returns one string per mismatch; empty when every series and every record is there
 */
export function bodyMismatches(summary: BodySummary, stats: TargetStats, series: number): string[] {
  const perFamily = series / 2;
  const expected: [string, number, number][] = [
    ['counter sample lines', summary.counterLines, perFamily],
    ['histogram _bucket lines', summary.bucketLines, perFamily * (BUCKETS.length + 1)],
    ['histogram _sum lines', summary.sumLines, perFamily],
    ['histogram _count lines', summary.countLines, perFamily],
    ['sum of the counter series (= inc calls)', summary.counterSum, stats.counterIncs],
    ['sum of the _count series (= observe calls)', summary.countSum, stats.observations],
    ['malformed sample lines', summary.malformed, 0],
  ];
  return expected
    .filter(([, got, want]) => got !== want)
    .map(([what, got, want]) => `${what}: ${got}, expected ${want}`);
}

/** One complete run against one implementation. */
export interface ScrapeLoadRun {
  readonly impl: LoadImpl;
  readonly series: number;
  /**
   * The first scrape of the process, ms, before any phase (it renders every series' label bytes
   * once and runs cold code); kept out of the measured phases, reported on its own.
   */
  readonly firstScrapeMs: number;
  /**
   * The final scrape, ms, right after the load: one render plus whatever the server still had queued
   * for scrapers that left when the load stopped.
   */
  readonly finalScrapeMs: number;
  readonly load: LoadFigures;
  /** The recording thread with no scrapes, when an idle phase was asked for. */
  readonly idle: TargetStats | undefined;
  /** The recording thread during the load (reported right after it, recording then paused). */
  readonly underLoad: TargetStats;
  /** A scrape taken after the load, with recording paused. */
  readonly final: BodySummary;
}

/** Options of {@link runScrapeLoad}. */
export interface RunOptions extends LoadOptions {
  readonly series?: number;
  /** Seconds of recording without scrapes before the load, for a baseline; 0 skips it. */
  readonly idleSeconds?: number;
  readonly progress?: (text: string) => void;
}

/**
 * Starts a target, takes one warm-up scrape, optionally measures an idle phase, runs the load, pauses recording, takes a final
 * scrape, and stops the target (also when anything fails).
 *
 * @param impl - which implementation
 * @param options - load shape, registry size, idle phase
 * @returns the figures of the run
 */
export async function runScrapeLoad(impl: LoadImpl, options: RunOptions): Promise<ScrapeLoadRun> {
  const series = options.series ?? DEFAULT_SERIES;
  const progress = options.progress ?? (() => undefined);
  progress(`${impl}: starting the target (${series} series)`);
  const target = await startTarget(impl, series);
  try {
    const started = performance.now();
    await fetchMetrics(target.url, impl);
    const firstScrapeMs = performance.now() - started;
    let idle: TargetStats | undefined;
    const idleSeconds = options.idleSeconds ?? 0;
    if (idleSeconds > 0) {
      progress(`${impl}: ${idleSeconds} s recording without scrapes`);
      await target.reset();
      await new Promise((done) => setTimeout(done, idleSeconds * 1000));
      idle = await target.snapshot(false);
    }
    progress(`${impl}: ${options.connections} connections for ${options.durationSeconds} s`);
    await target.reset();
    const load = await scrapeLoad(target.url, options);
    const underLoad = await target.snapshot(true);
    const finalStarted = performance.now();
    const final = summarizeBody(await fetchMetrics(target.url, impl));
    const finalScrapeMs = performance.now() - finalStarted;
    return { impl, series, firstScrapeMs, finalScrapeMs, load, idle, underLoad, final };
  } finally {
    await target.stop();
  }
}

async function fetchMetrics(url: string, impl: LoadImpl): Promise<string> {
  // Generous: after a load, prom-client first finishes every render its departed scrapers asked for.
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(300_000) });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`scrape of ${impl}: HTTP ${response.status}: ${body.slice(0, 200)}`);
  return body;
}

/**
 * One line of figures for a log.
 *
 * @param run - a finished run
 * @returns e.g. `ours: 50 scrapers × 4.0 s → 120 req/s, latency p50 …`
 */
export function describeRun(run: ScrapeLoadRun): string {
  const { load, underLoad } = run;
  const el = underLoad.eventLoopDelay;
  const f = (x: number, digits = 1): string => x.toFixed(digits);
  return (
    `${run.impl}: ${load.connections} scrapers × ${f(load.durationSeconds)} s against ${run.series} series → ` +
    `${load.requests} scrapes, ${f(load.rate)} req/s, latency p50 ${f(load.latencyP50)} ms / p99 ${f(load.latencyP99)} ms / ` +
    `max ${f(load.latencyMax)} ms, ${f(load.throughputMiBs)} MiB/s, errors ${load.errors}, timeouts ${load.timeouts}, ` +
    `non-2xx ${load.non2xx}; recording thread: ${(underLoad.phaseRecords / (underLoad.phaseMs / 1000) / 1e6).toFixed(2)} M records/s, ` +
    `event-loop delay p50 ${f(el.p50, 2)} ms / p99 ${f(el.p99, 2)} ms / max ${f(el.max, 2)} ms; ` +
    `first scrape ${f(run.firstScrapeMs, 0)} ms, scrape after the load ${f(run.finalScrapeMs, 0)} ms, final body ${f(run.final.bytes / MiB, 2)} MiB, peak RSS ${f(underLoad.maxRssMiB, 0)} MiB`
  );
}
