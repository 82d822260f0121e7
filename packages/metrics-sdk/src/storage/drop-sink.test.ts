import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { counter, gauge, histogram } from '../define/metric.js';
import type { InvalidValueEvent } from './invalid.js';

const Feed = catalog({
  ticks: counter('ticks_total', 'Ticks.', {}),
  spread: gauge('spread', 'Spread.', {}),
  sizes: histogram('sizes', 'Sizes.', {}, { buckets: [1] }),
});

describe('DropSink', () => {
  it('counts a bound or unbound drop on its own family and catalog only', () => {
    const events: InvalidValueEvent[] = [];
    const other: InvalidValueEvent[] = [];
    const a = new Feed({ onInvalidValue: (event) => events.push(event) });
    const b = new Feed({ onInvalidValue: (event) => other.push(event) });
    a.ticks.bind().add(-1);
    a.ticks.add({}, Number.NaN);
    a.spread.bind().set(Number.POSITIVE_INFINITY);
    a.sizes.bind().observe(-2);
    a.sizes.observe({}, Number.NEGATIVE_INFINITY);
    expect([a.ticks.dropped, a.spread.dropped, a.sizes.dropped]).toEqual([2, 1, 2]);
    expect([b.ticks.dropped, b.spread.dropped, b.sizes.dropped]).toEqual([0, 0, 0]);
    expect(other).toEqual([]);
    expect(events.map((event) => [event.metric, event.reason])).toEqual([
      ['ticks_total', 'negative'],
      ['ticks_total', 'not-finite'],
      ['spread', 'not-finite'],
      ['sizes', 'negative'],
      ['sizes', 'not-finite'],
    ]);
  });
});
