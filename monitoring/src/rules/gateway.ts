import { monitoringConfig } from '../config.js';
import { externalMetrics } from '../external-metrics.js';
import { records } from './recording.js';
import { select } from './selectors.js';
import { type AlertGroup, alert } from './types.js';

const t = monitoringConfig.thresholds;
const venue = ['job', 'exchange'] as const;

/** gateway_alerts: order latency, failures, risk rejections, a dead gateway. */
export const gatewayAlerts: AlertGroup = {
  name: 'gateway_alerts',
  alerts: [
    alert({
      alert: 'HighOrderLatency',
      expr: `${records.orderLatency.p99} > ${t.orderLatencyMs.warning}`,
      for: '1m',
      severity: 'warning',
      summary: 'Orders on {{ $labels.exchange }} are slow to be acknowledged.',
      description: `The p99 order processing latency on {{ $labels.exchange }} is {{ printf "%.0f" $value }} ms, above ${t.orderLatencyMs.warning} ms for 1 minute.`,
    }),
    alert({
      alert: 'CriticalOrderLatency',
      expr: `${records.orderLatency.p99} > ${t.orderLatencyMs.critical}`,
      for: '30s',
      severity: 'critical',
      summary: `Orders on {{ $labels.exchange }} take more than ${t.orderLatencyMs.critical} ms to be acknowledged.`,
      description: `The p99 order processing latency on {{ $labels.exchange }} is {{ printf "%.0f" $value }} ms, above ${t.orderLatencyMs.critical} ms for 30 seconds; orders reach the book too late.`,
      inhibits: { alert: 'HighOrderLatency', equal: venue },
    }),
    alert({
      alert: 'HighOrderFailureRate',
      expr: `${records.orderFailureRatio} > ${t.orderFailureRatio.warning}`,
      for: '2m',
      severity: 'warning',
      summary: 'Many orders on {{ $labels.exchange }} fail at the exchange.',
      description: `{{ $value | humanizePercentage }} of orders on {{ $labels.exchange }} failed at the exchange over the last 5 minutes, above ${t.orderFailureRatio.warning * 100}% for 2 minutes.`,
    }),
    alert({
      alert: 'CriticalOrderFailureRate',
      expr: `${records.orderFailureRatio} > ${t.orderFailureRatio.critical}`,
      for: '1m',
      severity: 'critical',
      summary: 'Most orders on {{ $labels.exchange }} are failing at the exchange.',
      description: `{{ $value | humanizePercentage }} of orders on {{ $labels.exchange }} failed at the exchange over the last 5 minutes, above ${t.orderFailureRatio.critical * 100}% for 1 minute.`,
      inhibits: { alert: 'HighOrderFailureRate', equal: venue },
    }),
    alert({
      alert: 'HighRiskRejectionRate',
      expr: `${records.riskRejectionRatio} > ${t.riskRejectionRatio}`,
      for: '2m',
      severity: 'warning',
      summary: 'The risk rules on {{ $labels.exchange }} reject many orders.',
      description: `{{ $value | humanizePercentage }} of orders on {{ $labels.exchange }} were rejected by the gateway risk rules over the last 5 minutes, above ${t.riskRejectionRatio * 100}% for 2 minutes.`,
    }),
    alert({
      alert: 'GatewayDown',
      expr: `${select(externalMetrics.up.name, 'gateway')} == 0`,
      for: '1m',
      severity: 'critical',
      summary: 'The order gateway {{ $labels.instance }} is down.',
      description:
        'Prometheus could not scrape the order gateway {{ $labels.instance }} for 1 minute; orders to its venue are not being placed.',
    }),
  ],
};
