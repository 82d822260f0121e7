import type { FamilyStats, ReaderSource, SeriesReader } from '../storage/series-reader.js';

/** Records folded into a metric's overflow series, per metric (from `family.overflowed`). */
export const OVERFLOW_RECORDS_METRIC = 'ttquant_metrics_overflow_records_total';

/** Values dropped as invalid, per metric (from `family.dropped`). */
export const DROPPED_VALUES_METRIC = 'ttquant_metrics_dropped_values_total';

/** Exemplars dropped, per metric that declares exemplars (from `family.exemplarsDropped`). */
export const DROPPED_EXEMPLARS_METRIC = 'ttquant_metrics_exemplars_dropped_total';

const EMPTY = new Float64Array(0);
const LABEL_NAMES: readonly string[] = Object.freeze(['metric']);

// One self-metric, labelled `metric`, one series per counted family (offset = its index),
// read straight from the families' stats: no catalog, no handles, nothing between the stat and
// the exposed value.
class StatCounter implements SeriesReader {
  readonly kind = 'counter' as const;
  readonly name: string;
  readonly help: string;
  readonly unit = '';
  readonly labelNames = LABEL_NAMES;
  readonly overflowable = false;
  readonly series: readonly number[];
  readonly generation = 0;
  readonly startTimes: Float64Array;
  readonly values: Float64Array;
  readonly sums = EMPTY;
  readonly bucketCounts = EMPTY;
  readonly bounds = EMPTY;
  readonly stride = 1;
  readonly stats: Readonly<FamilyStats> = Object.freeze({ dropped: 0, overflowed: 0, exemplarsDropped: 0 });
  readonly #metrics: readonly string[];
  readonly #counted: readonly Readonly<FamilyStats>[];
  readonly #read: (stats: Readonly<FamilyStats>) => number;

  constructor(
    name: string,
    help: string,
    counted: readonly SeriesReader[],
    read: (stats: Readonly<FamilyStats>) => number,
    now: number,
  ) {
    this.name = name;
    this.help = help;
    this.#metrics = counted.map((reader) => reader.name);
    this.#counted = counted.map((reader) => reader.stats);
    this.#read = read;
    this.series = Object.freeze(counted.map((_, i) => i));
    this.startTimes = new Float64Array(counted.length).fill(now);
    this.values = new Float64Array(counted.length);
  }

  labelValues(offset: number): readonly string[] | null {
    return [this.#metrics[offset] as string];
  }

  // The stats are totals for the life of the process, so each collection copies them; a stat that
  // went back (it cannot today) would leave the counter where it was, so it never decreases.
  collect(): void {
    const values = this.values;
    for (let i = 0; i < values.length; i++) {
      const total = this.#read(this.#counted[i] as Readonly<FamilyStats>);
      if (total > (values[i] as number)) values[i] = total;
    }
  }
}

/**
 * The SDK's own self-metrics, exposed beside the catalogs so nothing is lost silently: how many
 * records each metric folded into its overflow series, how many values it dropped as invalid, and
 * how many exemplars it dropped (metrics that declare exemplars only).
 * Every counted metric has its series (at 0) from the first scrape, so an alert on
 * `increase(...) > 0` sees the first fold. Built from the families' readers, below the writers
 * that expose it.
 *
 * @param sources - the catalogs being exposed; their metric names must be distinct
 * @returns a source to expose after them, or `undefined` when they hold no metric
 * @internal used by the Prometheus writer, the OTel producer and the prom-client bridge
 */
export function selfMetricsSource(sources: readonly ReaderSource[]): ReaderSource | undefined {
  const readers = sources.flatMap((source) => source['~families'].map((family) => family['~reader']));
  if (readers.length === 0) return undefined;
  const overflowing = readers.filter((reader) => reader.overflowable);
  const withExemplars = readers.filter((reader) => reader.exemplars !== undefined);
  // Start time of every self-metrics series, as binding them would have given.
  const now = Date.now();
  const counters = [
    new StatCounter(
      DROPPED_VALUES_METRIC,
      'Values dropped as invalid (negative or non-finite), per metric',
      readers,
      (stats) => stats.dropped,
      now,
    ),
  ];
  if (overflowing.length > 0) {
    counters.push(
      new StatCounter(
        OVERFLOW_RECORDS_METRIC,
        'Records folded into the metric\'s otel_metric_overflow="true" series because a label budget was full',
        overflowing,
        (stats) => stats.overflowed,
        now,
      ),
    );
  }
  if (withExemplars.length > 0) {
    counters.push(
      new StatCounter(
        DROPPED_EXEMPLARS_METRIC,
        'Exemplars dropped (labels not declared or not strings, or over 128 characters); their samples were recorded',
        withExemplars,
        (stats) => stats.exemplarsDropped,
        now,
      ),
    );
  }
  return {
    '~families': Object.freeze(counters.map((counter) => Object.freeze({ '~reader': counter }))),
    '~runCollectHooks'(): void {
      for (const counter of counters) counter.collect();
    },
  };
}
