import cluster from 'node:cluster';
import { MetricsOptionError } from '../define/errors.js';
import {
  expectFunction,
  expectKeys,
  expectObject,
  expectSources,
  type OptionProblem,
} from '../define/option-checks.js';
import type { MetricSource } from '../exposition/sources.js';
import type { HelloMessage, KnownSeries, SnapshotMessage } from './cluster-protocol.js';
import { isMessage } from './cluster-protocol.js';
import { takeSnapshot } from './snapshot.js';

// Snapshots this process sent, across links: the primary applies a worker's snapshots in this order.
let sequence = 0;

/** Options of {@link serveMetricsToPrimary}. */
export interface ClusterWorkerOptions {
  /** This worker's catalogs: instances of the classes the primary aggregates, in the same order. */
  readonly sources: readonly MetricSource[];
  /** Called when a snapshot cannot be taken or sent. Default: a process warning. */
  readonly onError?: (error: Error) => void;
}

/** A cluster worker's link to the primary; see {@link serveMetricsToPrimary}. */
export interface ClusterWorkerMetrics {
  /**
   * Sends a snapshot now, unasked: call it before a planned exit so the primary keeps every count
   * (what a worker records after its last snapshot is lost when it exits).
   */
  flush(): Promise<void>;
  /** Stops answering the primary. */
  close(): void;
}

/**
 * Makes this cluster worker's catalogs part of the primary's `/metrics` (see
 * `aggregateClusterMetrics`): the primary asks for a snapshot at each collection, and this worker
 * answers with its series' values in typed arrays (the label values of a series only the first
 * time). Nothing runs here between collections, and recording is untouched.
 *
 * @param options - the catalogs
 * @returns the link, with `flush()` for a planned exit
 * @throws MetricsOptionError when not in a cluster worker, or for a wrong option
 */
export function serveMetricsToPrimary(options: ClusterWorkerOptions): ClusterWorkerMetrics {
  const given = expectObject(options, 'options', optionError);
  expectKeys(given, 'options', ['sources', 'onError'], optionError);
  const sources = expectSources(given['sources'], 'sources', optionError);
  const onError =
    given['onError'] === undefined
      ? (error: Error) => process.emitWarning(error.message, 'ClusterMetricsWarning')
      : expectFunction<(error: Error) => void>(given['onError'], 'onError', optionError);
  const send = process.send?.bind(process);
  if (!cluster.isWorker || send === undefined) {
    throw new MetricsOptionError('cluster', 'a cluster worker', 'serveMetricsToPrimary: call it in a cluster worker');
  }
  const snapshot = (id: number, known: readonly (readonly KnownSeries[])[] | undefined): Promise<void> =>
    new Promise((resolve, reject) => {
      const message: SnapshotMessage = {
        kind: 'ttquant-metrics-snapshot',
        id,
        sequence: ++sequence,
        catalogs: takeSnapshot(sources, known),
      };
      send(message, undefined, undefined, (error: Error | null) => (error === null ? resolve() : reject(error)));
    });
  const report = (error: unknown): void =>
    onError(new Error('serveMetricsToPrimary: a snapshot could not be sent', { cause: error }));
  const onMessage = (message: unknown): void => {
    if (!isMessage(message, 'pull')) return;
    try {
      snapshot(message.id, message.known).catch(report);
    } catch (error) {
      report(error);
    }
  };
  process.on('message', onMessage);
  const hello: HelloMessage = {
    kind: 'ttquant-metrics-hello',
    catalogs: sources.map((source) => source['~families'].map((family) => family.name)),
  };
  send(hello);
  return {
    flush: () => snapshot(0, undefined),
    close() {
      process.off('message', onMessage);
    },
  };
}

function optionError(problem: OptionProblem): MetricsOptionError {
  return new MetricsOptionError(problem.option, problem.expected, `serveMetricsToPrimary: ${problem.message}`);
}
