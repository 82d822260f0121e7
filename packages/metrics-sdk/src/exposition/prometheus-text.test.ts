import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { MetricDefinitionError } from '../define/errors.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { PrometheusWriter } from './prometheus-text.js';

class Small extends catalog({
  lag: histogram('job_lag_seconds', 'Lag of the job.', {}, { buckets: [0.5, 1] }),
  hits: counter('cache_hits_total', 'Cache hits.', { cache: closed('l1', 'l2'), key: open({ budget: 4 }) }),
}) {}

describe('PrometheusWriter', () => {
  it('writes an unlabelled histogram with le as its only label and bare _sum/_count', () => {
    const m = new Small({ onInvalidValue: throwOnInvalidValue });
    const lag = m.lag.bind();
    lag.observe(0.5);
    lag.observe(3);
    expect(new PrometheusWriter([m], { selfMetrics: false }).renderText()).toBe(
      [
        '# HELP job_lag_seconds Lag of the job.',
        '# TYPE job_lag_seconds histogram',
        'job_lag_seconds_bucket{le="0.5"} 1',
        'job_lag_seconds_bucket{le="1"} 1',
        'job_lag_seconds_bucket{le="+Inf"} 2',
        'job_lag_seconds_sum 3.5',
        'job_lag_seconds_count 2',
        '# HELP cache_hits_total Cache hits.',
        '# TYPE cache_hits_total counter',
        '',
      ].join('\n'),
    );
  });

  it('picks up series created after an earlier render, and reuses its buffer', () => {
    const m = new Small({ onInvalidValue: throwOnInvalidValue });
    const writer = new PrometheusWriter([m]);
    m.hits.inc({ cache: 'l1', key: 'a' });
    const first = writer.renderText();
    expect(first).toContain('cache_hits_total{cache="l1",key="a"} 1\n');
    m.hits.inc({ cache: 'l2', key: 'b"q' });
    m.hits.inc({ cache: 'l1', key: 'a' });
    const second = writer.renderText();
    expect(second.split('\n').filter((l) => l.startsWith('cache_hits_total'))).toEqual([
      'cache_hits_total{cache="l1",key="a"} 2',
      'cache_hits_total{cache="l2",key="b\\"q"} 1',
    ]);
    // Many more series than the first body was sized for: the buffer grows and stays correct.
    for (let i = 0; i < 200; i++) m.hits.add({ cache: 'l1', key: `k${i % 3}` }, i);
    const third = writer.renderText();
    // Budget 4 holds a, b"q, k0 and k1; k2 folds into the overflow series.
    expect(third).toContain('cache_hits_total{cache="l1",key="k0"} 6633\n');
    expect(third).toContain('cache_hits_total{otel_metric_overflow="true"} 6567\n');
  });

  it('rejects two sources whose series names collide, histogram suffixes included', () => {
    class Other extends catalog({ count: gauge('job_lag_seconds_count', 'Collides with a histogram series.', {}) }) {}
    let error: unknown;
    try {
      new PrometheusWriter([new Small(), new Other()]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MetricDefinitionError);
    expect((error as MetricDefinitionError).issues).toEqual([
      { path: 'job_lag_seconds_count', message: 'exposed by two catalogs' },
    ]);
  });
});
