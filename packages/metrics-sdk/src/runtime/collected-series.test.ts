import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { open } from '../define/labels.js';
import { gauge } from '../define/metric.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { GaugeSlot, KeyedGauges } from './collected-series.js';

class TestMetrics extends catalog({
  plain: gauge('test_plain', 'No labels.', {}),
  byType: gauge('test_by_type', 'Per type.', { type: open({ budget: 2 }) }),
}) {}

function fresh(): { m: TestMetrics; text: () => string } {
  const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue, onOverflow: () => {} });
  const writer = new PrometheusWriter([m], { selfMetrics: false });
  return { m, text: () => writer.renderText() };
}

describe('GaugeSlot', () => {
  it('creates its series on the first value only', () => {
    const { m, text } = fresh();
    const slot = new GaugeSlot(m.plain);
    expect(m.plain['~store'].series).toEqual([]);
    slot.set(4);
    slot.set(5);
    expect(text()).toContain('\ntest_plain 5\n');
  });
});

describe('KeyedGauges', () => {
  it('keeps a key that disappears at 0, and continues it when it comes back', () => {
    const { m, text } = fresh();
    const gauges = new KeyedGauges((type) => m.byType.bind({ type }));
    gauges.clear();
    gauges.add('Socket', 2);
    gauges.add('Server', 1);
    expect(text()).toContain('test_by_type{type="Socket"} 2\ntest_by_type{type="Server"} 1\n');
    const start = m.byType['~store'].startTimes.slice();

    gauges.clear();
    gauges.add('Socket', 3);
    expect(text()).toContain('test_by_type{type="Socket"} 3\ntest_by_type{type="Server"} 0\n');

    gauges.clear();
    gauges.add('Server', 1);
    expect(text()).toContain('test_by_type{type="Socket"} 0\ntest_by_type{type="Server"} 1\n');
    // The series were never re-created: same start times, same generation.
    expect(m.byType['~store'].startTimes).toEqual(start);
    expect(m.byType['~store'].generation).toBe(0);
  });

  it('adds every key past the budget into the one overflow series', () => {
    const { m, text } = fresh();
    const gauges = new KeyedGauges((type) => m.byType.bind({ type }));
    for (let round = 0; round < 2; round++) {
      gauges.clear();
      for (const [key, n] of [
        ['a', 1],
        ['b', 2],
        ['c', 4],
        ['d', 8],
      ] as const)
        gauges.add(key, n);
    }
    const body = text();
    expect(body).toContain('test_by_type{type="a"} 1\ntest_by_type{type="b"} 2\n');
    expect(body).toContain('test_by_type{otel_metric_overflow="true"} 12\n');
    // Each key past the budget is bound once, so it is counted once, not once per collection.
    expect(m.byType.overflowed).toBe(2);
  });
});
