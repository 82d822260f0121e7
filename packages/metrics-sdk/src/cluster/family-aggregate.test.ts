import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { buildAggregate } from './cluster-metrics.js';
import type { FamilySnapshot } from './cluster-protocol.js';
import { WorkerFamily } from './family-aggregate.js';
import { takeSnapshot } from './snapshot.js';

// The primary's merge without processes: snapshots taken from catalogs of this process, as the
// workers take them, applied and merged as the primary does. The cluster test runs the real thing.

class Desk extends catalog({
  ticks: counter('t_ticks_total', 'Ticks.', { venue: closed('a', 'b'), symbol: open({ budget: 4 }) }),
  latency: histogram('t_latency_ms', 'Latency.', {}, { buckets: [1, 10], native: true }),
  depth: gauge('t_depth', 'Depth.', {}, { clusterAggregation: 'sum' }),
  low: gauge('t_low', 'Low.', {}, { clusterAggregation: 'min' }),
  high: gauge('t_high', 'High.', {}, { clusterAggregation: 'max' }),
  price: gauge('t_price', 'Price.', {}),
}) {}

/** A simulated primary over `workers` catalogs of this process. */
function primaryOver(workers: readonly Desk[]) {
  const aggregate = buildAggregate(Desk, 0, 8);
  const states = workers.map(() => aggregate.families.map(() => new WorkerFamily()));
  const pull = (live: readonly number[] = workers.map((_, w) => w)) => {
    for (const w of live) {
      const known = [(states[w] ?? []).map((family) => ({ series: family.mapped, generation: family.generation }))];
      const [snapshot] = takeSnapshot([workers[w] as Desk], known);
      snapshot?.forEach((family, f) => {
        aggregate.families[f]?.apply(states[w]?.[f] as WorkerFamily, family, String(w));
      });
    }
    aggregate.families.forEach((family, f) => {
      family.merge(live.map((w) => states[w]?.[f] as WorkerFamily));
    });
    return new PrometheusWriter([aggregate.catalog], { selfMetrics: false }).render().toString();
  };
  const retire = (w: number) => {
    aggregate.families.forEach((family, f) => {
      family.retire(states[w]?.[f] as WorkerFamily);
    });
  };
  return { aggregate, pull, retire };
}

describe('FamilyAggregate', () => {
  it('sums counters and histograms, combines each gauge as declared, and keeps an exited worker’s counts', () => {
    const workers = [new Desk(), new Desk(), new Desk()];
    workers.forEach((desk, w) => {
      desk.ticks.inc({ venue: 'a', symbol: `S${w}` });
      desk.ticks.add({ venue: 'b', symbol: 'X' }, w + 1);
      desk.latency.observe({}, 0.5 * (w + 1));
      desk.depth.set({}, 10 * (w + 1));
      desk.low.set({}, 5 - w);
      desk.high.set({}, 5 - w);
      desk.price.set({}, 100 + w);
    });
    const primary = primaryOver(workers);
    let text = primary.pull();
    expect(text).toContain('t_ticks_total{venue="b",symbol="X"} 6\n');
    for (const w of [0, 1, 2]) expect(text).toContain(`t_ticks_total{venue="a",symbol="S${w}"} 1\n`);
    expect(text).toContain('t_latency_ms_count 3\n');
    expect(text).toContain('t_latency_ms_sum 3\n');
    expect(text).toContain('t_depth 60\n');
    expect(text).toContain('t_low 3\n');
    expect(text).toContain('t_high 5\n');
    expect(text).toContain('t_price{worker="1"} 101\n');

    // Worker 0 exits: its counts stay, its gauges leave.
    primary.retire(0);
    workers[1]?.ticks.add({ venue: 'b', symbol: 'X' }, 10);
    text = primary.pull([1, 2]);
    expect(text).toContain('t_ticks_total{venue="b",symbol="X"} 16\n');
    expect(text).toContain('t_ticks_total{venue="a",symbol="S0"} 1\n');
    expect(text).toContain('t_latency_ms_count 3\n');
    expect(text).toContain('t_depth 50\n');
    expect(text).toContain('t_high 4\n');
    expect(text).not.toContain('t_price{worker="0"}');
    expect(primary.aggregate.catalog['~families'][1]?.['~reader'].native?.zeroCounts).toBeDefined();
  });

  it('maps a worker’s series again after it removed some (its generation changed)', () => {
    const worker = new Desk();
    worker.ticks.inc({ venue: 'a', symbol: 'A' });
    worker.ticks.add({ venue: 'a', symbol: 'B' }, 2);
    const primary = primaryOver([worker]);
    primary.pull();
    worker.ticks.remove({ venue: 'a', symbol: 'A' });
    worker.ticks.add({ venue: 'a', symbol: 'B' }, 3);
    const text = primary.pull();
    expect(text).toContain('t_ticks_total{venue="a",symbol="B"} 5\n');
    expect(text).toContain('t_ticks_total{venue="a",symbol="A"} 0\n');
  });

  it('folds the union of the workers’ values past a budget into the overflow series, counted', () => {
    const workers = [0, 1, 2].map((w) => {
      const desk = new Desk();
      for (let s = 0; s < 3; s++) desk.ticks.inc({ venue: 'a', symbol: `W${w}S${s}` });
      return desk;
    });
    const primary = primaryOver(workers);
    const text = primary.pull();
    expect(text).toContain('t_ticks_total{otel_metric_overflow="true"} 5\n');
    expect(primary.aggregate.catalog['~families'][0]?.['~reader'].stats.overflowed).toBe(5);
  });

  it('refuses a snapshot of the wrong shape before changing anything', () => {
    const primary = primaryOver([new Desk()]);
    const ticks = primary.aggregate.families[0];
    const good = takeSnapshot([new Desk()], undefined)[0]?.[0] as FamilySnapshot;
    const bad: FamilySnapshot[] = [
      { ...good, count: 1 },
      { ...good, values: [1] as unknown as Float64Array, count: 1 },
      { ...good, labels: [['a', 7 as unknown as string]] },
      { ...good, labels: [['a']] },
    ];
    for (const snapshot of bad) {
      expect(() => ticks?.apply(new WorkerFamily(), snapshot, '0')).toThrow(/t_ticks_total: the snapshot's arrays/);
    }
    // The overflow series of a metric that has none (no open label) is refused, not created at -1.
    const latency = primary.aggregate.families[1];
    const overflowOfNone = { ...(takeSnapshot([new Desk()], undefined)[0]?.[1] as FamilySnapshot), labels: [null] };
    expect(() => latency?.apply(new WorkerFamily(), { ...overflowOfNone, from: 0 }, '0')).toThrow(/no open label/);
    // A closed label value the declaration does not allow is refused by the catalog itself.
    const unknownVenue = { ...good, count: 1, values: Float64Array.of(1), labels: [['z', 'A']] };
    expect(() => ticks?.apply(new WorkerFamily(), unknownVenue, '0')).toThrow(/venue/);
  });
});
