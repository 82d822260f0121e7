// The messages between the primary of a Node cluster and its workers about metrics. They travel
// over the cluster's IPC channel with `serialization: 'advanced'` (the structured clone), so the
// values of a snapshot arrive as typed arrays, copied once, never as JSON.

/** What the primary has of one family of a worker: the series it has labels for, and their generation. */
export interface KnownSeries {
  readonly series: number;
  readonly generation: number;
}

/** One family of a worker's snapshot: every series' values, in the worker's series order. */
export interface FamilySnapshot {
  readonly name: string;
  /** The worker's generation of this family: it changes when series are removed there. */
  readonly generation: number;
  /** Series in the snapshot. */
  readonly count: number;
  /** Index of the first series whose labels follow: the ones the primary did not know yet. */
  readonly from: number;
  /** Label values of series `from`, `from + 1`, …, in declared order; `null` for the overflow series. */
  readonly labels: readonly (readonly string[] | null)[];
  /** Per series: a counter's or gauge's value, a histogram's sum. */
  readonly values: Float64Array;
  /** Histogram only: per series, `stride` per-bucket counts. */
  readonly counts: Float64Array;
  /** Histogram with native resolution only: per series, its schema, window and buckets. */
  readonly native?: {
    readonly schemas: Int8Array;
    readonly lows: Int32Array;
    readonly zeroCounts: Float64Array;
    readonly counts: Float64Array;
  };
  /** Dropped values, overflowed records, dropped exemplars. */
  readonly stats: Float64Array;
}

/** A worker's snapshot of one catalog. */
export type CatalogSnapshot = readonly FamilySnapshot[];

/** Worker → primary, once: this worker serves metrics, with these families per catalog. */
export interface HelloMessage {
  readonly kind: 'ttquant-metrics-hello';
  readonly catalogs: readonly (readonly string[])[];
}

/** Primary → worker: send a snapshot. */
export interface PullMessage {
  readonly kind: 'ttquant-metrics-pull';
  readonly id: number;
  /** Per catalog, per family. */
  readonly known: readonly (readonly KnownSeries[])[];
}

/** Worker → primary: a snapshot, in answer to a pull (`id`) or unasked (`id` 0: a flush before exit). */
export interface SnapshotMessage {
  readonly kind: 'ttquant-metrics-snapshot';
  readonly id: number;
  /** The worker's count of snapshots sent: the primary applies them in this order. */
  readonly sequence: number;
  readonly catalogs: readonly CatalogSnapshot[];
}

/** Whether an IPC message is one of this protocol's, of the given kind. */
export function isMessage<K extends 'hello' | 'pull' | 'snapshot'>(
  message: unknown,
  kind: K,
): message is { hello: HelloMessage; pull: PullMessage; snapshot: SnapshotMessage }[K] {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { kind?: unknown }).kind === `ttquant-metrics-${kind}`
  );
}
