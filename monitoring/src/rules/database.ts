import { monitoringConfig } from '../config.js';
import { externalMetrics as ext } from '../external-metrics.js';
import { select } from './selectors.js';
import { type AlertGroup, alert } from './types.js';

const t = monitoringConfig.thresholds;

/** database_alerts: connections, an unreachable database, long-running queries. */
export const databaseAlerts: AlertGroup = {
  name: 'database_alerts',
  alerts: [
    alert({
      alert: 'HighDatabaseConnections',
      expr: `sum by (job, instance) (${select(ext.pgConnections.name, 'database')}) > ${t.databaseConnections}`,
      for: '5m',
      severity: 'warning',
      summary: 'The database behind {{ $labels.instance }} has many open connections.',
      description: `{{ $value }} connections are open on the database behind {{ $labels.instance }}, above ${t.databaseConnections} for 5 minutes.`,
    }),
    alert({
      alert: 'DatabaseDown',
      // pg_up is 0 when the exporter runs but cannot reach PostgreSQL; up is 0 when the exporter
      // itself is gone, and then pg_up vanishes.
      expr: `${select(ext.pgUp.name, 'database')} == 0 or ${select(ext.up.name, 'database')} == 0`,
      for: '1m',
      severity: 'critical',
      summary: 'The database behind {{ $labels.instance }} is unreachable.',
      description:
        'For 1 minute the postgres exporter {{ $labels.instance }} either could not reach PostgreSQL or could not be scraped; market data is not being stored.',
    }),
    alert({
      alert: 'SlowQueries',
      expr: `max by (job, instance, datname) (${select(ext.pgMaxTxDuration.name, 'database', { state: 'active' })}) > ${t.slowQuerySeconds}`,
      for: '5m',
      severity: 'warning',
      summary: 'Long-running queries on database {{ $labels.datname }}.',
      description: `The oldest active transaction on database {{ $labels.datname }} ({{ $labels.instance }}) has been running for {{ $value | humanizeDuration }}, over ${t.slowQuerySeconds} s, for 5 minutes.`,
    }),
  ],
};
