import { marketDataDefinitions } from '@ttquant/metrics';
import { monitoringConfig } from '../config.js';
import { externalMetrics } from '../external-metrics.js';
import { records } from './recording.js';
import { select } from './selectors.js';
import { type AlertGroup, alert } from './types.js';

const md = marketDataDefinitions;
const t = monitoringConfig.thresholds;
const venue = ['job', 'exchange'] as const;

/** market_data_alerts: latency, a silent stream, a thin stream. */
export const marketDataAlerts: AlertGroup = {
  name: 'market_data_alerts',
  alerts: [
    alert({
      alert: 'HighMarketDataLatency',
      expr: `${records.marketDataLatency.p99} > ${t.marketDataLatencyMs.warning}`,
      for: '1m',
      severity: 'warning',
      summary: 'Market data from {{ $labels.exchange }} is arriving late.',
      description: `The p99 exchange-to-receive latency of {{ $labels.exchange }} market data is {{ printf "%.0f" $value }} ms, above ${t.marketDataLatencyMs.warning} ms for 1 minute.`,
    }),
    alert({
      alert: 'CriticalMarketDataLatency',
      // histogram_quantile never returns more than the highest finite bucket bound (5000), so "above
      // 5000 ms" is written `>= 5000`: true exactly when at least 1% of messages took longer.
      expr: `${records.marketDataLatency.p99} >= ${t.marketDataLatencyMs.critical}`,
      for: '30s',
      severity: 'critical',
      summary: `Market data from {{ $labels.exchange }} is more than ${t.marketDataLatencyMs.critical} ms late.`,
      description: `At least 1% of {{ $labels.exchange }} market data messages took longer than ${t.marketDataLatencyMs.critical} ms from the exchange for 30 seconds (p99 {{ printf "%.0f" $value }} ms); strategies are trading on stale prices.`,
      inhibits: { alert: 'HighMarketDataLatency', equal: venue },
    }),
    alert({
      alert: 'MarketDataStreamDown',
      // Three ways a stream dies: messages stop, the WebSocket stays disconnected, or the process
      // cannot be scraped at all (its series then vanish, so the first two arms cannot see it).
      expr: [
        `${records.marketDataRate} == 0`,
        `max by (job, exchange) (${select(md.connectionStatus.name, 'marketData')}) == 0`,
        `${select(externalMetrics.up.name, 'marketData')} == 0`,
      ].join(' or '),
      for: '2m',
      severity: 'critical',
      summary:
        'The market data stream {{ if $labels.exchange }}from {{ $labels.exchange }}{{ else }}of {{ $labels.instance }}{{ end }} is down.',
      description:
        '{{ if $labels.exchange }}No market data messages arrived from {{ $labels.exchange }}, or its WebSocket stayed disconnected, for 2 minutes.{{ else }}Prometheus could not scrape the market data service {{ $labels.instance }} for 2 minutes.{{ end }}',
    }),
    alert({
      alert: 'LowMarketDataRate',
      // A rate of exactly 0 is MarketDataStreamDown's case.
      expr: `${records.marketDataRate} < ${t.marketDataMinRate} and ${records.marketDataRate} > 0`,
      for: '5m',
      severity: 'warning',
      summary: 'Market data from {{ $labels.exchange }} is arriving unusually slowly.',
      description: `{{ $labels.exchange }} delivered {{ printf "%.2f" $value }} market data messages per second, below ${t.marketDataMinRate} per second for 5 minutes.`,
    }),
  ],
};
