// Hostile input through the record path: any Unicode label values (empty, quotes,
// backslashes, newlines, very long), any double (NaN, ±Infinity, -0, 1e308, denormals), budgets
// small enough that the overflow series is always in play. Recording never throws, every call is
// either stored or counted as dropped, and the body parses with promtool and python with the stored
// values read back exactly.

import {
  describeWithTools,
  openPythonParser,
  type PythonParser,
  promtoolCheckMetrics,
  pyFloat,
} from '@ttquant/test-kit';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { catalog } from '../../src/define/catalog.js';
import { closed, open } from '../../src/define/labels.js';
import { counter, gauge, histogram } from '../../src/define/metric.js';
import { PrometheusWriter } from '../../src/exposition/prometheus-text.js';

const Hostile = catalog({
  fills: counter('hostile_fills_total', 'Fills.', { venue: closed('a', 'b'), symbol: open({ budget: 8 }) }),
  price: gauge('hostile_price', 'Price.', { symbol: open({ budget: 8 }) }),
  latency: histogram('hostile_latency_seconds', 'Latency.', { symbol: open({ budget: 8 }) }, { buckets: [0.001, 1] }),
});

const labelValue = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 3,
    arbitrary: fc.string({ unit: fc.constantFrom('\\', '"', '\n', '\r', '{', '}', '=', ',', '#'), maxLength: 8 }),
  },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }).map((s) => s.repeat(2_500)) },
);
const edgeDouble = fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0, 1e308, -1e308, 5e-324, -5e-324, 2.2e-308);
const value = fc.oneof(fc.double(), edgeDouble);
const call = fc.record({
  kind: fc.constantFrom('fills', 'price', 'latency'),
  venue: fc.constantFrom('a', 'b'),
  symbol: labelValue,
  value,
});

describeWithTools('hostile records', ['promtool', 'python-prometheus-client'], () => {
  let python: PythonParser;
  beforeAll(() => {
    python = openPythonParser();
  });
  afterAll(async () => {
    await python?.close();
  });

  it('never throw, lose nothing uncounted, and the body parses with the values intact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 60 }), async (calls) => {
        const m = new Hostile({ onInvalidValue: () => undefined, onOverflow: () => undefined });
        // What the storage must hold, by a model independent of it: accepted sums and drop counts.
        let fillSum = 0;
        let latencyCount = 0;
        const dropped = { fills: 0, price: 0, latency: 0 };
        for (const c of calls) {
          if (c.kind === 'fills') {
            m.fills.add({ venue: c.venue, symbol: c.symbol }, c.value);
            if (c.value >= 0 && Number.isFinite(c.value)) fillSum += c.value;
            else dropped.fills++;
          } else if (c.kind === 'price') {
            m.price.set({ symbol: c.symbol }, c.value);
            if (!Number.isFinite(c.value)) dropped.price++;
          } else {
            m.latency.observe({ symbol: c.symbol }, c.value);
            if (c.value >= 0 && Number.isFinite(c.value)) latencyCount++;
            else dropped.latency++;
          }
        }
        expect([m.fills.dropped, m.price.dropped, m.latency.dropped]).toEqual([
          dropped.fills,
          dropped.price,
          dropped.latency,
        ]);
        const body = new PrometheusWriter([m]).renderText();
        const [lint, families] = await Promise.all([promtoolCheckMetrics(body), python.parse(body)]);
        expect(lint).toEqual({ code: 0, findings: [] });
        const samples = families.flatMap((f) => f.samples);
        const sumOf = (name: string) =>
          samples.filter((s) => s.name === name).reduce((total, s) => total + pyFloat(s.value), 0);
        // Same additions (all ≥ 0) in a different order: equal up to rounding, relative to the sum.
        const fills = sumOf('hostile_fills_total');
        if (Number.isFinite(fillSum)) expect(Math.abs(fills - fillSum)).toBeLessThanOrEqual(fillSum * 1e-12);
        else expect(fills).toBe(fillSum);
        expect(sumOf('hostile_latency_seconds_count')).toBe(latencyCount);
        const droppedSample = (metric: string) =>
          samples.find((s) => s.name === 'ttquant_metrics_dropped_values_total' && s.labels['metric'] === metric);
        expect(pyFloat(droppedSample('hostile_fills_total')?.value ?? 'nan')).toBe(dropped.fills);
        // Every stored series reads back with its exact labels and value.
        const store = m.price['~store'];
        const priceSamples = samples.filter((s) => s.name === 'hostile_price');
        expect(priceSamples).toHaveLength(store.series.length);
        for (const s of priceSamples) {
          const symbol = s.labels['symbol'];
          const offset =
            symbol === undefined
              ? store.layout.overflowOffset
              : store.series.find((o) => store.layout.axes[0]?.interner?.values[o] === symbol);
          expect(offset).toBeDefined();
          expect(Object.is(pyFloat(s.value), store.values[offset as number])).toBe(true);
        }
      }),
      { numRuns: 25, plugins: [fc.interruptAfterTimeLimit(60_000, { failOnInterrupt: true })] },
    );
  }, 90_000);
});
