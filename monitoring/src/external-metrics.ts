import { DROPPED_EXEMPLARS_METRIC, DROPPED_VALUES_METRIC, OVERFLOW_RECORDS_METRIC } from '@ttquant/metrics';
import type { JobKey } from './config.js';

// Metrics the rules read that are not in our catalogs: the ones Prometheus adds to every target, the
// ones of Debian's exporters, and the SDK's own self-metrics that @ttquant/metrics appends to every
// exposition beside the catalogs. Exporter names and labels were read from live bodies on Debian 12:
// prometheus-node-exporter 1.5.0 and prometheus-postgres-exporter 0.11.1 (against PostgreSQL 15).
// The consistency test accepts these and nothing else besides the catalogs.

/** A metric exposed by something other than the four catalogs. */
export interface ExternalMetric {
  readonly name: string;
  /** Who exposes it: Prometheus, an exporter, or the SDK itself (`@ttquant/metrics`). */
  readonly source: 'prometheus' | 'node-exporter' | 'postgres-exporter' | '@ttquant/metrics';
  readonly kind: 'counter' | 'gauge';
  /** Its own labels; `job` and `instance` are added by the scrape and always allowed. */
  readonly labels: readonly string[];
}

const metric = (
  name: string,
  source: ExternalMetric['source'],
  kind: ExternalMetric['kind'],
  labels: readonly string[] = [],
): ExternalMetric => ({ name, source, kind, labels });

/** External metrics the rules use, by short key. */
export const externalMetrics = {
  /** 1 when the last scrape of the target succeeded, else 0 (Prometheus writes it per target). */
  up: metric('up', 'prometheus', 'gauge'),
  cpuSeconds: metric('node_cpu_seconds_total', 'node-exporter', 'counter', ['cpu', 'mode']),
  memAvailable: metric('node_memory_MemAvailable_bytes', 'node-exporter', 'gauge'),
  memTotal: metric('node_memory_MemTotal_bytes', 'node-exporter', 'gauge'),
  fsAvail: metric('node_filesystem_avail_bytes', 'node-exporter', 'gauge', ['device', 'fstype', 'mountpoint']),
  fsSize: metric('node_filesystem_size_bytes', 'node-exporter', 'gauge', ['device', 'fstype', 'mountpoint']),
  /** 1 when the exporter could reach PostgreSQL on its last scrape. */
  pgUp: metric('pg_up', 'postgres-exporter', 'gauge'),
  /** Backends per database and state (active, idle, idle in transaction, …). */
  pgConnections: metric('pg_stat_activity_count', 'postgres-exporter', 'gauge', ['datname', 'state', 'server']),
  /** Age in seconds of the oldest transaction per database and state. */
  pgMaxTxDuration: metric('pg_stat_activity_max_tx_duration', 'postgres-exporter', 'gauge', [
    'datname',
    'state',
    'server',
  ]),
  /**
   * Records folded into a metric's `otel_metric_overflow="true"` series because an open label's
   * budget was full; `metric` names that metric. Exists at 0 for each metric with an open label.
   */
  overflowRecords: metric(OVERFLOW_RECORDS_METRIC, '@ttquant/metrics', 'counter', ['metric']),
  /** Values dropped as invalid (negative or non-finite), per metric. Exists at 0 for every metric. */
  droppedValues: metric(DROPPED_VALUES_METRIC, '@ttquant/metrics', 'counter', ['metric']),
  /**
   * Exemplars dropped (labels not declared or not strings, or over 128 characters), per metric.
   * Exists at 0 for every metric that declares exemplars.
   */
  exemplarsDropped: metric(DROPPED_EXEMPLARS_METRIC, '@ttquant/metrics', 'counter', ['metric']),
} as const;

/**
 * The jobs whose processes expose catalogs through `@ttquant/metrics`, and with them its
 * self-metrics: the rules on those metrics select exactly these jobs.
 */
export const SDK_JOBS: readonly JobKey[] = ['marketData', 'gateway', 'strategyEngine'];
