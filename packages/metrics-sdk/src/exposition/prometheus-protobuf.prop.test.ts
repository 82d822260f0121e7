import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeExposition } from '../../test/fixtures/protobuf-exposition.js';
import { catalog } from '../define/catalog.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { codeGenerationAllowed } from '../storage/code-generation.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { ProtobufWriter } from './prometheus-protobuf.js';

const BOUNDS = [0.001, 1, 250, 1e6];

class Props extends catalog({
  total: counter('prop_total', 'Counter.', { key: open({ budget: 8 }), side: closed('buy', 'sell') }),
  level: gauge('prop_level', 'Gauge.', { key: open({ budget: 8 }) }, { nonFinite: 'emit' }),
  latency: histogram('prop_latency_seconds', 'Histogram.', { key: open({ budget: 8 }) }, { buckets: BOUNDS }),
}) {}

// Any Unicode (whole code points: a lone surrogate is not a string protobuf can carry), with the
// characters the text format escapes mixed in.
const labelValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: fc.constantFrom('"', '\\', '\n', '€', '💹', 'a'), maxLength: 12 }),
);

const series = fc.record({
  key: labelValue,
  side: fc.constantFrom('buy' as const, 'sell' as const),
  increments: fc.array(fc.double({ min: 0, max: 1e300, noNaN: true }), { maxLength: 4 }),
  level: fc.double(),
  samples: fc.array(fc.double({ min: 0, max: 1e7, noNaN: true }), { maxLength: 12 }),
  startMs: fc.double({ min: 1, max: 4e12, noNaN: true }),
});

const canDecode = codeGenerationAllowed();

describe.skipIf(!canDecode)(
  canDecode
    ? 'ProtobufWriter round trip through protobufjs'
    : 'ProtobufWriter round trip through protobufjs (skipped: protobufjs compiles its decoders, and code generation from strings is disallowed here)',
  () => {
    it('decodes to the recorded labels, values, counts and created times, canonically encoded', () => {
      fc.assert(
        fc.property(fc.uniqueArray(series, { selector: (s) => s.key, minLength: 1, maxLength: 8 }), (all) => {
          let clock = 0;
          const m = new Props({ onInvalidValue: throwOnInvalidValue, now: () => clock });
          for (const s of all) {
            clock = s.startMs;
            const labels = { key: s.key, side: s.side };
            m.total.add(labels, 0);
            for (const by of s.increments) m.total.add(labels, by);
            m.level.set({ key: s.key }, s.level);
            m.latency.bind({ key: s.key });
            for (const v of s.samples) m.latency.observe({ key: s.key }, v);
          }
          const body = new ProtobufWriter([m], { selfMetrics: false }).render();
          const { families, reencoded } = decodeExposition(body);
          expect(Buffer.from(reencoded).equals(body)).toBe(true);
          const [total, level, latency] = families;
          expect(families.map((f) => [f.name, f.type])).toEqual([
            ['prop_total', 'COUNTER'],
            ['prop_level', 'GAUGE'],
            ['prop_latency_seconds', 'HISTOGRAM'],
          ]);
          all.forEach((s, i) => {
            const created = { seconds: Math.floor(s.startMs / 1000) } as { seconds?: number; nanos?: number };
            const nanos = Math.min(Math.round((s.startMs - (created.seconds as number) * 1000) * 1e6), 999_999_999);
            if (nanos > 0) created.nanos = nanos;
            if (created.seconds === 0) delete created.seconds;

            const c = total?.metric?.[i];
            expect(c?.label).toEqual([
              { name: 'key', value: s.key },
              { name: 'side', value: s.side },
            ]);
            expect(c?.counter?.value).toBe(s.increments.reduce((a, b) => a + b, 0));
            expect(c?.counter?.createdTimestamp ?? {}).toEqual(created);

            const g = level?.metric?.[i];
            expect(g?.label).toEqual([{ name: 'key', value: s.key }]);
            expect(Object.is(g?.gauge?.value, s.level)).toBe(true);

            const h = latency?.metric?.[i]?.histogram;
            expect(h?.sampleCount ?? 0).toBe(s.samples.length);
            expect(h?.sampleSum ?? 0).toBe(s.samples.reduce((a, b) => a + b, 0));
            expect(h?.bucket).toEqual(
              BOUNDS.map((bound) => ({
                upperBound: bound,
                cumulativeCount: s.samples.filter((v) => v <= bound).length,
              })),
            );
            expect(h?.createdTimestamp ?? {}).toEqual(created);
          });
        }),
        { numRuns: 300 },
      );
    });
  },
);
