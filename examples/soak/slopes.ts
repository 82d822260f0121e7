import type { Sample } from './sampler.js';

// The trend of every sampled series after warm-up: a least-squares slope per hour (a leak shows as a
// steady positive slope; a sawtooth from GC or retention averages out) and the maximum, which the
// bounds on the other services' memory are checked against.

/** What a series measures, and the unit its values are reported in. */
export type SeriesKind = 'rss' | 'heap' | 'loop' | 'body' | 'store-disk' | 'store-reported';

/** Reporting unit per kind: bytes as MB or KB, delay as ms. */
export const KIND_UNITS: Readonly<Record<SeriesKind, { unit: string; scale: number; label: string }>> = {
  rss: { unit: 'MB', scale: 1 / 2 ** 20, label: 'RSS' },
  heap: { unit: 'MB', scale: 1 / 2 ** 20, label: 'heap used' },
  loop: { unit: 'ms', scale: 1_000, label: 'event-loop delay p99' },
  body: { unit: 'KB', scale: 1 / 1024, label: '/metrics body' },
  'store-disk': { unit: 'MB', scale: 1 / 2 ** 20, label: 'tick store on disk' },
  'store-reported': { unit: 'MB', scale: 1 / 2 ** 20, label: 'db_tick_store_bytes' },
};

/** The trend of one series after warm-up, in its kind's unit. */
export interface SeriesTrend {
  /** The process (or, for a store, the market-data process that owns it). */
  readonly name: string;
  readonly kind: SeriesKind;
  /** `MB`, `KB` or `ms`. */
  readonly unit: string;
  /** Least-squares slope, unit per hour; undefined with fewer than two points. */
  readonly slopePerHour: number | undefined;
  /** Largest value after warm-up. */
  readonly max: number | undefined;
  /**
   * The largest value in the second half after warm-up minus the largest in the first half: about 0
   * (or below) for a series that has stopped growing, whatever its sawtooth; a series still growing
   * at a slope S rises by about S times half the window. Undefined with fewer than four points.
   */
  readonly maxRise: number | undefined;
  /** First and last value after warm-up. */
  readonly first: number | undefined;
  readonly last: number | undefined;
  /** Points after warm-up. */
  readonly points: number;
}

/** One point of a series: time in ms since start, value in the kind's unit. */
export interface Point {
  readonly atMs: number;
  readonly value: number;
}

/**
 * The least-squares slope of points, per hour.
 *
 * @param points - at least two, at different times
 * @returns value units per hour, or undefined with fewer than two distinct times
 */
export function slopePerHour(points: readonly Point[]): number | undefined {
  if (points.length < 2) return undefined;
  const hours = points.map((p) => p.atMs / 3_600_000);
  const meanX = hours.reduce((a, b) => a + b, 0) / points.length;
  const meanY = points.reduce((a, p) => a + p.value, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  points.forEach((p, i) => {
    const dx = (hours[i] as number) - meanX;
    sxy += dx * (p.value - meanY);
    sxx += dx * dx;
  });
  return sxx === 0 ? undefined : sxy / sxx;
}

/**
 * How much higher a series peaks in the second half of its points than in the first.
 *
 * @param points - the points after warm-up, in time order
 * @returns max(second half) - max(first half), or undefined with fewer than four points
 */
export function maxRise(points: readonly Point[]): number | undefined {
  if (points.length < 4) return undefined;
  const half = Math.floor(points.length / 2);
  const peak = (part: readonly Point[]) => Math.max(...part.map((p) => p.value));
  return peak(points.slice(half)) - peak(points.slice(0, half));
}

/**
 * Every series of the samples, as points in the kind's unit (a value that could not be read is left out).
 *
 * @param samples - the soak's samples
 * @returns series keyed `<kind> <name>`, in the order first seen
 */
export function seriesOf(samples: readonly Sample[]): Map<string, { name: string; kind: SeriesKind; points: Point[] }> {
  const out = new Map<string, { name: string; kind: SeriesKind; points: Point[] }>();
  const add = (name: string, kind: SeriesKind, atMs: number, raw: number | undefined) => {
    const key = `${kind} ${name}`;
    let series = out.get(key);
    if (series === undefined) {
      series = { name, kind, points: [] };
      out.set(key, series);
    }
    if (raw !== undefined && Number.isFinite(raw)) series.points.push({ atMs, value: raw * KIND_UNITS[kind].scale });
  };
  for (const sample of samples) {
    for (const p of sample.processes) {
      add(p.name, 'rss', sample.atMs, p.rssBytes);
      add(p.name, 'heap', sample.atMs, p.heapUsedBytes);
      add(p.name, 'loop', sample.atMs, p.loopDelaySeconds);
      add(p.name, 'body', sample.atMs, p.bodyBytes);
    }
    for (const s of sample.stores) {
      add(s.name, 'store-disk', sample.atMs, s.diskBytes);
      add(s.name, 'store-reported', sample.atMs, s.reportedBytes);
    }
  }
  // A series never read (the exchange's heap, a store metric not exposed) has no trend to report.
  for (const [key, series] of out) if (series.points.length === 0) out.delete(key);
  return out;
}

/**
 * The trend of every series after warm-up.
 *
 * @param samples - the soak's samples
 * @param warmupMs - samples before this time are left out
 * @returns one trend per series that has points after warm-up
 */
export function trends(samples: readonly Sample[], warmupMs: number): SeriesTrend[] {
  const out: SeriesTrend[] = [];
  for (const { name, kind, points } of seriesOf(samples).values()) {
    const after = points.filter((p) => p.atMs >= warmupMs);
    out.push({
      name,
      kind,
      unit: KIND_UNITS[kind].unit,
      slopePerHour: slopePerHour(after),
      max: after.length === 0 ? undefined : Math.max(...after.map((p) => p.value)),
      maxRise: maxRise(after),
      first: after[0]?.value,
      last: after.at(-1)?.value,
      points: after.length,
    });
  }
  return out;
}
