import { gatewayDefinitions, type HistogramDef, marketDataDefinitions } from '@ttquant/metrics';
import { type JobKey, monitoringConfig } from '../config.js';
import { histogramQuantile } from '../histogram-queries.js';
import { select } from './selectors.js';
import type { RecordingRule, RuleGroup } from './types.js';

// Expressions that a dashboard panel and an alert both use are recorded once, so the panel shows
// exactly what the alert judges. Names follow Prometheus' `level:metric:operations` convention; a
// counter's `_total` is dropped once `rate` is applied.

const md = marketDataDefinitions;
const gw = gatewayDefinitions;

/** The name of each recorded quantile (`p50`, `p95`, `p99`), from the monitoring config. */
export type QuantileKey = keyof typeof monitoringConfig.latencyQuantiles;

const counterBase = (name: string): string => name.replace(/_total$/, '');

// Latency records aggregate by venue: one market-data process and one gateway serve each venue.
const latencyRecords = (metric: string): Readonly<Record<QuantileKey, string>> =>
  Object.fromEntries(
    Object.keys(monitoringConfig.latencyQuantiles).map((key) => [key, `job_exchange:${metric}:${key}_1m`]),
  ) as Record<QuantileKey, string>;

/**
 * Names of the recorded series, for alerts and dashboards.
 *
 * @example
 * ```ts
 * `${records.orderLatency.p99} > 500`; // 'job_exchange:order_processing_latency_ms:p99_1m > 500'
 * ```
 */
export const records = {
  /** Market data messages per second, per venue. */
  marketDataRate: `job_exchange:${counterBase(md.received.name)}:rate1m`,
  /** Exchange-to-receive latency quantiles (ms) over 1 minute, per venue. */
  marketDataLatency: latencyRecords(md.latency.name),
  /** Order processing latency quantiles (ms) over 1 minute, per venue, new orders and cancels together. */
  orderLatency: latencyRecords(gw.orderLatency.name),
  /** Orders that failed at the exchange over orders received, 5-minute rates, per venue (0–1). */
  orderFailureRatio: `job_exchange:${counterBase(gw.ordersFailed.name)}:ratio_rate5m`,
  /** Orders rejected by risk rules over orders received, 5-minute rates, per venue (0–1). */
  riskRejectionRatio: `job_exchange:${counterBase(gw.ordersRiskRejected.name)}:ratio_rate5m`,
} as const;

const byVenueRate = (name: string, job: JobKey, window: string): string =>
  `sum by (job, exchange) (rate(${select(name, job)}[${window}]))`;

// Classic buckets or the native form, whichever Prometheus holds (see histogram-queries.ts).
const quantileRules = (histogram: HistogramDef, job: JobKey, names: Readonly<Record<QuantileKey, string>>) =>
  Object.entries(monitoringConfig.latencyQuantiles).map(
    ([key, q]): RecordingRule => ({
      record: names[key as QuantileKey],
      expr: histogramQuantile(q, {
        def: histogram,
        select: (series) => select(series, job),
        window: '1m',
        by: ['job', 'exchange'],
      }),
    }),
  );

/** Recording rule groups, written to generated/recording-rules.yml. */
export const recordingGroups: readonly RuleGroup<RecordingRule>[] = [
  {
    name: 'market_data_records',
    rules: [
      { record: records.marketDataRate, expr: byVenueRate(md.received.name, 'marketData', '1m') },
      ...quantileRules(md.latency, 'marketData', records.marketDataLatency),
    ],
  },
  {
    name: 'gateway_records',
    rules: [
      ...quantileRules(gw.orderLatency, 'gateway', records.orderLatency),
      {
        record: records.orderFailureRatio,
        expr: `${byVenueRate(gw.ordersFailed.name, 'gateway', '5m')} / ${byVenueRate(gw.orders.name, 'gateway', '5m')}`,
      },
      {
        record: records.riskRejectionRatio,
        expr: `${byVenueRate(gw.ordersRiskRejected.name, 'gateway', '5m')} / ${byVenueRate(gw.orders.name, 'gateway', '5m')}`,
      },
    ],
  },
];
