import { OVERFLOW_LABEL } from '@ttquant/metrics';
import { monitoringConfig } from '../config.js';
import { type ExternalMetric, externalMetrics, SDK_JOBS } from '../external-metrics.js';
import { quote } from './selectors.js';
import { type AlertGroup, alert } from './types.js';

// Alerts on the SDK's own self-metrics: records it had to fold into an overflow series, values it
// had to drop, and exemplars it had to drop. The SDK has already kept the process safe; these say that the numbers on the
// dashboards are now less precise than they look, and where.
//
// Window and `for`: every self-metrics series exists at 0 from the first scrape, so `increase > 0`
// sees the first fold or drop. A 10-minute window keeps the condition true for 10 minutes after the
// last one, longer than the 5-minute `for`, so a single fold or drop is enough to fire: both are
// defects worth a look, never noise. 5 minutes, like the original system's other warnings, because nothing
// here is urgent.

/** The window over which folds and drops are counted, in minutes. */
const WINDOW_MINUTES = 10;

/** Labels of one alert: one per process and affected metric. */
const BY = 'job, instance, metric';

/** `name{job=~"a|b|c"}` over the jobs whose processes run the SDK (job names are plain words). */
const sdkSelector = (metric: ExternalMetric): string =>
  `${metric.name}{job=~${quote(SDK_JOBS.map((job) => monitoringConfig.jobs[job].name).join('|'))}}`;

const increased = (metric: ExternalMetric): string =>
  `sum by (${BY}) (increase(${sdkSelector(metric)}[${WINDOW_MINUTES}m])) > 0`;

/** instrumentation_alerts: cardinality overflow, dropped values and dropped exemplars reported by the SDK. */
export const instrumentationAlerts: AlertGroup = {
  name: 'instrumentation_alerts',
  alerts: [
    alert({
      alert: 'MetricsCardinalityOverflow',
      expr: increased(externalMetrics.overflowRecords),
      for: '5m',
      severity: 'warning',
      summary: 'The label budget of {{ $labels.metric }} is full on {{ $labels.instance }}.',
      description: `{{ $labels.instance }} ({{ $labels.job }}) folded {{ printf "%.0f" $value }} records of {{ $labels.metric }} into its ${OVERFLOW_LABEL}="true" series over the last ${WINDOW_MINUTES} minutes: an open label reached its cardinality budget, so new label sets no longer get series of their own.`,
    }),
    alert({
      alert: 'MetricsValuesDropped',
      expr: increased(externalMetrics.droppedValues),
      for: '5m',
      severity: 'warning',
      summary: 'Invalid values of {{ $labels.metric }} are being dropped on {{ $labels.instance }}.',
      description: `{{ $labels.instance }} ({{ $labels.job }}) dropped {{ printf "%.0f" $value }} negative or non-finite values of {{ $labels.metric }} over the last ${WINDOW_MINUTES} minutes; the code that records them has a bug.`,
    }),
    alert({
      alert: 'MetricsExemplarsDropped',
      expr: increased(externalMetrics.exemplarsDropped),
      for: '5m',
      severity: 'warning',
      summary: 'Exemplars of {{ $labels.metric }} are being dropped on {{ $labels.instance }}.',
      description: `{{ $labels.instance }} ({{ $labels.job }}) dropped {{ printf "%.0f" $value }} exemplars of {{ $labels.metric }} over the last ${WINDOW_MINUTES} minutes (labels not declared, not strings, or over 128 characters); the samples were recorded, but their links to traces are missing.`,
    }),
  ],
};
