// The registry every scrape-load target serves: 10,000 series by default, half of them counter
// series and half 12-bucket histogram series (the same shape as bench/scrape's "10k series"), over
// the label pattern exchange × symbol × type. Shared by the target process, the driver and the bench,
// so ours and the prom-client peer expose exactly the same series.

import { exchange, networkLatencyMs } from '../../src/catalogs/domains.js';

/** Wire name of the counter family. */
export const COUNTER_NAME = 'load_scrape_total';
/** Wire name of the histogram family (`_bucket`, `_sum`, `_count` are appended on the wire). */
export const HISTOGRAM_NAME = 'load_scrape_latency_ms';
export const COUNTER_HELP = 'Load-test counter series.';
export const HISTOGRAM_HELP = 'Load-test histogram series, in milliseconds.';
/** The 12 finite bucket bounds (the catalogs' network latencies). */
export const BUCKETS: readonly number[] = networkLatencyMs;
export const TYPES = ['trade', 'book'] as const;
/** Default registry size: series in both families together. */
export const DEFAULT_SERIES = 10_000;

export type Exchange = (typeof exchange.values)[number];
export type LoadType = (typeof TYPES)[number];

/** One label set; one counter series and one histogram series each. */
export type LoadLabels = { readonly exchange: Exchange; readonly symbol: string; readonly type: LoadType };

/**
 * Symbols per (exchange, type) pair for a registry of `series` series.
 *
 * @param series - total series, counter and histogram families together
 * @returns the open `symbol` budget that makes exactly that many series
 * @throws Error when `series` does not split evenly over the label pattern
 */
export function symbolsFor(series: number): number {
  const symbols = series / 2 / (exchange.values.length * TYPES.length);
  if (!Number.isInteger(symbols) || symbols < 1) {
    throw new Error(`series must be a multiple of ${2 * exchange.values.length * TYPES.length}, got ${series}`);
  }
  return symbols;
}

/**
 * The label sets of a registry of `series` series: `series / 2` of them.
 *
 * @param series - total series
 * @returns the label sets, in a fixed order
 */
export function loadLabelSets(series: number): readonly LoadLabels[] {
  const symbols = symbolsFor(series);
  const out: LoadLabels[] = [];
  for (const ex of exchange.values) {
    for (let s = 0; s < symbols; s++) {
      for (const type of TYPES) out.push({ exchange: ex, symbol: `SYM${String(s).padStart(4, '0')}USDT`, type });
    }
  }
  return out;
}

/** Event-loop delay of the target's main thread over one phase, in ms. */
export interface EventLoopDelay {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
  /** Timer samples behind the percentiles. */
  readonly samples: number;
}

/** What a target reports about one phase (since the last reset) and its whole life. */
export interface TargetStats {
  readonly impl: LoadImpl;
  /** Record calls (inc + observe) made in this phase. */
  readonly phaseRecords: number;
  /** Length of this phase, ms, by the target's clock. */
  readonly phaseMs: number;
  readonly eventLoopDelay: EventLoopDelay;
  /** Every `inc()` since start: the sum of all counter series must equal it once recording is paused. */
  readonly counterIncs: number;
  /** Every `observe()` since start: the sum of all `_count` series must equal it once paused. */
  readonly observations: number;
  /** Render or server errors the target saw since start (its server's `onError`, a rejected render). */
  readonly serverErrors: number;
  /** Peak resident set size of the target, MiB. */
  readonly maxRssMiB: number;
}

/** The implementation a target serves and records with. */
export type LoadImpl = 'ours' | 'prom-client';

/** Parent → target. */
export type TargetCommand =
  | { readonly type: 'reset' }
  | { readonly type: 'snapshot'; readonly pause: boolean }
  | { readonly type: 'exit' };

/** Target → parent. */
export type TargetMessage =
  | { readonly type: 'ready'; readonly url: string; readonly series: number }
  | { readonly type: 'reset' }
  | { readonly type: 'snapshot'; readonly stats: TargetStats }
  | { readonly type: 'error'; readonly message: string };
