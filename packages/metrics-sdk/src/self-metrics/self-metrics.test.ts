import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { MetricDefinitionError } from '../define/errors.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge } from '../define/metric.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { CatalogMetricProducer } from '../otel/producer.js';
import { DROPPED_VALUES_METRIC, OVERFLOW_RECORDS_METRIC } from './self-metrics.js';

const Feed = catalog({
  ticks: counter('ticks_total', 'Ticks.', { symbol: open({ budget: 1 }) }),
  spread: gauge('spread', 'Spread.', { venue: closed('a', 'b') }),
});
const quiet = () => new Feed({ onInvalidValue: () => undefined, onOverflow: () => undefined });
const selfMetricLines = (text: string) => text.split('\n').filter((line) => line.startsWith('ttquant_metrics_'));

describe('self-metrics', () => {
  it('exist at 0 from the first scrape: dropped for every metric, overflow for those with an open label', () => {
    expect(selfMetricLines(new PrometheusWriter([quiet()]).renderText())).toEqual([
      'ttquant_metrics_dropped_values_total{metric="ticks_total"} 0',
      'ttquant_metrics_dropped_values_total{metric="spread"} 0',
      'ttquant_metrics_overflow_records_total{metric="ticks_total"} 0',
    ]);
  });

  it('equal the families’ counts at each collection and never go back', () => {
    const feed = quiet();
    const writer = new PrometheusWriter([feed]);
    feed.ticks.inc({ symbol: 'A' });
    feed.ticks.inc({ symbol: 'B' });
    feed.ticks.add({ symbol: 'A' }, -1);
    feed.spread.set({ venue: 'a' }, Number.NaN);
    expect(selfMetricLines(writer.renderText())).toEqual([
      'ttquant_metrics_dropped_values_total{metric="ticks_total"} 1',
      'ttquant_metrics_dropped_values_total{metric="spread"} 1',
      'ttquant_metrics_overflow_records_total{metric="ticks_total"} 1',
    ]);
    feed.ticks.reset();
    feed.ticks.inc({ symbol: 'C' });
    feed.ticks.inc({ symbol: 'C' });
    expect(selfMetricLines(writer.renderText())).toEqual([
      'ttquant_metrics_dropped_values_total{metric="ticks_total"} 1',
      'ttquant_metrics_dropped_values_total{metric="spread"} 1',
      'ttquant_metrics_overflow_records_total{metric="ticks_total"} 3',
    ]);
  });

  it('reach OpenTelemetry too, as cumulative monotonic sums', async () => {
    const feed = quiet();
    feed.ticks.inc({ symbol: 'A' });
    feed.ticks.inc({ symbol: 'B' });
    const metrics = (await new CatalogMetricProducer([feed]).collect()).resourceMetrics.scopeMetrics[0]?.metrics ?? [];
    const overflow = metrics.find((m) => m.descriptor.name === OVERFLOW_RECORDS_METRIC);
    expect(overflow?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{ metric: 'ticks_total' }, 1]]);
    expect(metrics.map((m) => m.descriptor.name)).toContain(DROPPED_VALUES_METRIC);
  });

  it('are left out on request, and a catalog without open labels gets no overflow counter', () => {
    const closedOnly = catalog({ spread: gauge('spread', 'Spread.', { venue: closed('a', 'b') }) });
    expect(selfMetricLines(new PrometheusWriter([quiet()], { selfMetrics: false }).renderText())).toEqual([]);
    expect(selfMetricLines(new PrometheusWriter([new closedOnly()]).renderText())).toEqual([
      'ttquant_metrics_dropped_values_total{metric="spread"} 0',
    ]);
  });

  it('refuse a catalog that already uses a self-metric name', () => {
    const Clash = catalog({ mine: counter(DROPPED_VALUES_METRIC, 'Mine.', {}) });
    expect(() => new PrometheusWriter([new Clash()])).toThrow(MetricDefinitionError);
    expect(() => new CatalogMetricProducer([new Clash()])).toThrow(MetricDefinitionError);
    expect(() => new PrometheusWriter([new Clash()], { selfMetrics: false })).not.toThrow();
  });
});
