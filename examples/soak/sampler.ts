import { readFile } from 'node:fs/promises';
import { readTickCounts } from '../market-data/buffer-metrics.js';
import type { TickCounts } from '../market-data/tick-store.js';
import { directoryBytes } from '../shared/directory-bytes.js';

// One sample of every process of the pipeline and of market data's tick stores. RSS comes from
// /proc/<pid>/status (every process, the exchange included, which has no /metrics); heap used and
// event-loop delay from each service's own /metrics, as a scraper would see them; the body's byte
// length is the scrape's cost. The tick store is measured twice: the size of its PGlite data
// directory on disk (a walk, works with any market-data version) and `db_tick_store_bytes` when
// market data exposes it (retention's own measure; absent before retention lands).

/** What the sampler reads of one process. */
export interface ProcessTarget {
  /** Process name, e.g. `market-data-binance`. */
  readonly name: string;
  /** Its PID (the service itself: its RSS is the service's). */
  readonly pid: number;
  /** Its metrics base URL (`…/metrics` is scraped); undefined for a process without /metrics. */
  readonly metricsUrl: string | undefined;
}

/** A market-data process's tick store. */
export interface StoreTarget {
  /** The market-data process that owns it. */
  readonly name: string;
  /** Its PGlite data directory (DB_DATA_DIR). */
  readonly dataDir: string;
}

/** One process at one instant; a value is undefined when it could not be read (the reason in `error`). */
export interface ProcessSample {
  readonly name: string;
  readonly rssBytes: number | undefined;
  readonly heapUsedBytes: number | undefined;
  /** Event-loop delay, seconds: `nodejs_eventloop_lag_p99_seconds`, else `nodejs_eventloop_lag_seconds`. */
  readonly loopDelaySeconds: number | undefined;
  /** Byte length of the /metrics body. */
  readonly bodyBytes: number | undefined;
  /** `market_data_received_total` summed over its labels (market data only): ticks taken in so far. */
  readonly ticksReceived: number | undefined;
  /** What went wrong reading it, if anything. */
  readonly error?: string;
}

/** One tick store at one instant. */
export interface StoreSample {
  readonly name: string;
  /** Sum of the sizes of the files under the data directory. */
  readonly diskBytes: number;
  /** `db_tick_store_bytes` summed over `exchange`; undefined when market data does not expose it. */
  readonly reportedBytes: number | undefined;
  /** `db_retention_deleted_ticks_total` summed over `exchange`; undefined when not exposed. */
  readonly deletedTicks: number | undefined;
  /**
   * The tick accounting of the same scrape, summed over venues (`received + restored = written +
   * duplicates + dropped + buffered` holds in each one); undefined when it was not scraped.
   */
  readonly ticks: TickCounts | undefined;
}

/** Every process and store at one instant. */
export interface Sample {
  /** Milliseconds since the soak's pipeline was up. */
  readonly atMs: number;
  readonly processes: readonly ProcessSample[];
  readonly stores: readonly StoreSample[];
}

/** How long one scrape may take before the process's sample says so. */
const SCRAPE_TIMEOUT_MS = 3_000;

/**
 * Takes one sample of every process and store, all read concurrently.
 *
 * @param processes - the pipeline's processes
 * @param stores - market data's tick stores
 * @param atMs - the sample's time, ms since the pipeline was up
 * @returns the sample; a process that cannot be read gets undefined values and an `error`
 */
export async function takeSample(
  processes: readonly ProcessTarget[],
  stores: readonly StoreTarget[],
  atMs: number,
): Promise<Sample> {
  const scraped = new Map<string, string>();
  const processSamples = await Promise.all(
    processes.map(async (target) => {
      const sample = await sampleProcess(target);
      if (sample.body !== undefined) scraped.set(target.name, sample.body);
      return sample.sample;
    }),
  );
  const storeSamples = await Promise.all(
    stores.map(async (store): Promise<StoreSample> => {
      const body = scraped.get(store.name);
      return {
        name: store.name,
        diskBytes: await directoryBytes(store.dataDir),
        reportedBytes: body === undefined ? undefined : sumOf(body, 'db_tick_store_bytes'),
        deletedTicks: body === undefined ? undefined : sumOf(body, 'db_retention_deleted_ticks_total'),
        ticks: body === undefined ? undefined : readTickCounts((metric, labels) => sumOf(body, metric, labels)),
      };
    }),
  );
  return { atMs, processes: processSamples, stores: storeSamples };
}

async function sampleProcess(target: ProcessTarget): Promise<{ sample: ProcessSample; body?: string }> {
  const errors: string[] = [];
  let rssBytes: number | undefined;
  try {
    rssBytes = await residentBytes(target.pid);
  } catch (error) {
    errors.push(`rss: ${(error as Error).message}`);
  }
  let body: string | undefined;
  if (target.metricsUrl !== undefined) {
    try {
      body = await scrape(`${target.metricsUrl}/metrics`);
    } catch (error) {
      errors.push(`scrape: ${(error as Error).message}`);
    }
  }
  const sample: ProcessSample = {
    name: target.name,
    rssBytes,
    heapUsedBytes: body === undefined ? undefined : sumOf(body, 'nodejs_heap_size_used_bytes'),
    loopDelaySeconds:
      body === undefined
        ? undefined
        : (sumOf(body, 'nodejs_eventloop_lag_p99_seconds') ?? sumOf(body, 'nodejs_eventloop_lag_seconds')),
    bodyBytes: body === undefined ? undefined : Buffer.byteLength(body),
    ticksReceived: body === undefined ? undefined : sumOf(body, 'market_data_received_total'),
    ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
  };
  return body === undefined ? { sample } : { sample, body };
}

/**
 * A process's resident set size, from `/proc/<pid>/status` (Linux).
 *
 * @param pid - the process
 * @returns VmRSS in bytes
 * @throws Error when the file cannot be read (process gone, not Linux) or has no VmRSS line
 */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (match === null) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(match[1]) * 1024;
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.text();
}

// `name{labels} value`: the sample lines of text format 0.0.4; comments and other lines are skipped.
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)/;

/**
 * The sum of one metric's samples in an exposition body, over all its label sets (or those with
 * the given label values).
 *
 * @param body - a text-format /metrics body
 * @param metric - the sample name, e.g. `db_tick_store_bytes`
 * @param labels - label values a sample must have to count (values as the exposition writes them)
 * @returns the sum, or undefined when the body has no such sample (a metric not exposed)
 * @throws Error when a sample of it has a value that is not a number
 */
export function sumOf(body: string, metric: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([name, value]) => `${name}="${value}"`);
  let sum: number | undefined;
  for (const line of body.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const match = SAMPLE_LINE.exec(line);
    if (match === null || match[1] !== metric) continue;
    const pairs = (match[2] ?? '').split(',');
    if (!wanted.every((pair) => pairs.includes(pair))) continue;
    const value = Number(match[3]);
    if (Number.isNaN(value) && match[3] !== 'NaN') throw new Error(`${metric}: value "${match[3]}" is not a number`);
    sum = (sum ?? 0) + value;
  }
  return sum;
}
