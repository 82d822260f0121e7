import { type Exposition, readExposition } from '@ttquant/test-kit';
import { describe, expect, it } from 'vitest';
import { decodeExposition, flatSamples } from '../../test/fixtures/protobuf-exposition.js';
import { EngineMetrics } from '../catalogs/engine.js';
import { GatewayMetrics } from '../catalogs/gateway.js';
import { MarketDataMetrics } from '../catalogs/market-data.js';
import { StrategyMetrics } from '../catalogs/strategy.js';
import { type Catalog, type CatalogOptions, catalog } from '../define/catalog.js';
import { MetricDefinitionError, MetricsOptionError } from '../define/errors.js';
import { closed, type LabelDomain, open } from '../define/labels.js';
import { counter, gauge, histogram, type MetricDef } from '../define/metric.js';
import { codeGenerationAllowed } from '../storage/code-generation.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { nativeBucketKey } from '../storage/native-buckets.js';
import { CONTENT_TYPES } from './formats.js';
import { ProtobufWriter } from './prometheus-protobuf.js';
import { PrometheusWriter } from './prometheus-text.js';

// Every character the text format escapes, plus multi-byte UTF-8: protobuf carries it raw.
const HOSTILE = 'BTC"USD\\T\n€✓ 💹';

type Recordable = {
  add(labels: Record<string, string>, by: number): void;
  set(labels: Record<string, string>, value: number): void;
  observe(labels: Record<string, string>, value: number): void;
};

/** Two label sets of a declaration: each closed label's first and last value, open labels `BTCUSDT` and {@link HOSTILE}. */
function labelSets(labels: Readonly<Record<string, LabelDomain>>): Record<string, string>[] {
  const first: Record<string, string> = {};
  const second: Record<string, string> = {};
  for (const [key, domain] of Object.entries(labels)) {
    first[key] = domain.kind === 'closed' ? (domain.values[0] as string) : 'BTCUSDT';
    second[key] = domain.kind === 'closed' ? (domain.values.at(-1) as string) : HOSTILE;
  }
  return [first, second];
}

/** Records into every family of a catalog, two series each, through the unbound calls. */
function recordEvery(cat: Catalog, definitions: Readonly<Record<string, MetricDef>>): void {
  let i = 0;
  for (const [key, def] of Object.entries(definitions)) {
    const family = (cat as unknown as Record<string, Recordable>)[key] as Recordable;
    for (const labels of labelSets(def.labels)) {
      i++;
      if (def.kind === 'counter') family.add(labels, i * 3);
      else if (def.kind === 'gauge')
        family.set(labels, def.nonFinite === 'emit' && i % 2 === 0 ? Number.NaN : -i * 1.25);
      // Samples below, between, on and above the bounds: the +Inf bucket is never empty.
      else for (const v of [0, def.buckets[0] ?? 1, i * 0.37, 1e9]) family.observe(labels, v);
    }
  }
}

function tradingCatalogs(options: CatalogOptions): Catalog[] {
  const md = new MarketDataMetrics(options);
  const gw = new GatewayMetrics(options);
  const sm = new StrategyMetrics(options);
  const engine = new EngineMetrics(options);
  recordEvery(md, MarketDataMetrics.definitions);
  recordEvery(gw, GatewayMetrics.definitions);
  recordEvery(sm, StrategyMetrics.definitions);
  recordEvery(engine, EngineMetrics.definitions);
  return [md, gw, sm, engine];
}

// The edge cases in one catalog: an overflow series, NaN and ±Inf gauges, unlabelled metrics of
// every kind, empty families of every kind.
class Edges extends catalog({
  hits: counter('edge_hits_total', 'Hits, with a\\backslash and a\nline feed in HELP.', {
    cache: closed('l1', 'l2'),
    key: open({ budget: 2 }),
  }),
  ratio: gauge('edge_ratio', 'Ratio.', { case: closed('nan', 'inf', 'ninf', 'zero') }, { nonFinite: 'emit' }),
  up: gauge('edge_up', 'Up.', {}),
  starts: counter('edge_starts_total', 'Starts.', {}),
  lag: histogram('edge_lag_seconds', 'Lag.', {}, { buckets: [0.5, 1] }),
  none: counter('edge_none_total', 'Never recorded.', { key: open({ budget: 3 }) }),
  noneGauge: gauge('edge_none_gauge', 'Never recorded.', {}),
  noneLatency: histogram('edge_none_latency_ms', 'Never recorded.', { key: closed('a') }, { buckets: [1] }),
}) {}

function edges(options: CatalogOptions): Edges {
  const m = new Edges(options);
  m.hits.add({ cache: 'l1', key: 'a' }, 1);
  m.hits.add({ cache: 'l2', key: HOSTILE }, 2);
  m.hits.add({ cache: 'l1', key: 'c' }, 4); // past the budget of 2: the overflow series
  m.hits.add({ cache: 'l2', key: 'd' }, 8);
  m.ratio.set({ case: 'nan' }, Number.NaN);
  m.ratio.set({ case: 'inf' }, Number.POSITIVE_INFINITY);
  m.ratio.set({ case: 'ninf' }, Number.NEGATIVE_INFINITY);
  m.ratio.set({ case: 'zero' }, 0);
  m.up.set({}, 1);
  m.starts.add({}, 2 ** 40);
  for (const v of [0.25, 0.5, 0.75, 2]) m.lag.observe({}, v);
  return m;
}

/** Parses a text body's `le` as a number and spells it back, to compare with a decoded bound. */
function normalizedText(exposition: Exposition): { name: string; labels: Record<string, string>; value: number }[] {
  return exposition.samples.map(({ name, labels, value }) => {
    const le = labels['le'];
    if (le === undefined) return { name, labels: { ...labels }, value };
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    return { name, labels: { ...labels, le: String(bound) }, value };
  });
}

/** Asserts that the protobuf body says what the text body says, family by family and sample by sample. */
function expectSameAsText(sources: readonly Catalog[]): void {
  const text = readExposition(new PrometheusWriter(sources).render());
  const body = new ProtobufWriter(sources).render();
  const { families, reencoded } = decodeExposition(body);
  // protobufjs writes the decoded messages back byte for byte: every field is known, in field
  // order, and every length is minimal.
  expect(Buffer.from(reencoded).equals(body)).toBe(true);

  // Families without series are in the text (HELP and TYPE) and not in protobuf, like client_golang.
  const withSamples = text.families().filter((name) => text.family(name).length > 0);
  expect(families.map((f) => f.name)).toEqual(withSamples);
  for (const family of families) {
    const name = family.name as string;
    expect(family.type?.toLowerCase(), name).toBe(text.types.get(name));
    expect(family.help, name).toBe(text.help.get(name));
    expect(family.unit, name).toBeUndefined();
    for (const metric of family.metric ?? []) expect(metric.timestampMs, name).toBeUndefined();
  }
  const decoded = flatSamples(families);
  const expected = normalizedText(text);
  expect(decoded.length).toBe(expected.length);
  decoded.forEach((sample, i) => {
    const want = expected[i];
    expect({ name: sample.name, labels: sample.labels }).toEqual({ name: want?.name, labels: want?.labels });
    // Object.is: NaN equals NaN, and -0 differs from 0.
    expect(Object.is(sample.value, want?.value), `${sample.name} ${sample.value} vs ${want?.value}`).toBe(true);
  });
}

// Quiet: the overflow warning is the point of other tests.
const QUIET = { onInvalidValue: throwOnInvalidValue, onOverflow: () => {} };
const OPTIONS: CatalogOptions = { ...QUIET, now: () => 1_700_000_000_000 };
const canDecode = codeGenerationAllowed();

describe('ProtobufWriter', () => {
  it('is the prometheus-protobuf writer', () => {
    const writer = new ProtobufWriter([new Edges()]);
    expect(writer.format).toBe('prometheus-protobuf');
    expect(writer.contentType).toBe(CONTENT_TYPES['prometheus-protobuf']);
    expect(writer.contentType).toBe(
      'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
    );
  });

  it('writes a one-series counter family byte for byte', () => {
    class Tiny extends catalog({ hits: counter('hits_total', 'Hits.', { k: closed('a') }) }) {}
    const m = new Tiny({ onInvalidValue: throwOnInvalidValue, now: () => 1500 });
    m.hits.add({ k: 'a' }, 2);
    const body = new ProtobufWriter([m], { selfMetrics: false }).render();
    // prettier-ignore
    const expected = [
      0x34, // MetricFamily length: 52
      0x0a,
      0x0a,
      ...Buffer.from('hits_total'), // 1 name (len 10)
      0x12,
      0x05,
      ...Buffer.from('Hits.'), // 2 help (len 5)
      0x18,
      0x00, // 3 type: COUNTER (0)
      0x22,
      0x1d, // 4 metric (len 29)
      0x0a,
      0x06,
      0x0a,
      0x01,
      0x6b,
      0x12,
      0x01,
      0x61, // 1 label: LabelPair { 1 name "k", 2 value "a" }
      0x1a,
      0x13, // 3 counter (len 19)
      0x09,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x40, // 1 value: double 2.0, little-endian
      0x1a,
      0x08, // 3 created_timestamp (len 8): 1500 ms
      0x08,
      0x01, // 1 seconds: 1
      0x10,
      0x80,
      0xca,
      0xb5,
      0xee,
      0x01, // 2 nanos: 500000000 = 0x1dcd6500 in 7-bit groups, low first
    ];
    expect([...body]).toEqual(expected);
  });

  it('leaves out the +Inf bucket and families without series, like client_golang', () => {
    class Tiny extends catalog({
      lag: histogram('lag_seconds', 'Lag.', {}, { buckets: [1] }),
      idle: gauge('idle', 'Never set.', {}),
    }) {}
    const m = new Tiny({ onInvalidValue: throwOnInvalidValue, now: () => 2000 });
    m.lag.observe({}, 0.5);
    m.lag.observe({}, 5);
    const body = new ProtobufWriter([m], { selfMetrics: false }).render();
    // prettier-ignore
    const expected = [
      0x35, // MetricFamily length: 53
      0x0a,
      0x0b,
      ...Buffer.from('lag_seconds'), // 1 name
      0x12,
      0x04,
      ...Buffer.from('Lag.'), // 2 help
      0x18,
      0x04, // 3 type: HISTOGRAM (4)
      0x22,
      0x1e, // 4 metric (len 30), no label field
      0x3a,
      0x1c, // 7 histogram (len 28)
      0x08,
      0x02, // 1 sample_count: 2
      0x11,
      0,
      0,
      0,
      0,
      0,
      0,
      0x16,
      0x40, // 2 sample_sum: 5.5
      0x1a,
      0x0b,
      0x08,
      0x01,
      0x11,
      0,
      0,
      0,
      0,
      0,
      0,
      0xf0,
      0x3f, // 3 bucket { 1 cumulative_count 1, 2 upper_bound 1.0 }
      0x7a,
      0x02,
      0x08,
      0x02, // 15 created_timestamp { 1 seconds: 2 } (nanos 0: left out)
    ];
    expect([...body]).toEqual(expected);
  });

  describe.skipIf(!canDecode)(
    canDecode
      ? 'decoded by protobufjs'
      : 'decoded by protobufjs (skipped: protobufjs compiles its decoders, and code generation from strings is disallowed here)',
    () => {
      it('gives counters and histograms the created timestamp of each series from the catalog clock', () => {
        let t = 1_700_000_000_123.5;
        const m = edges({ ...QUIET, now: () => (t += 1000) });
        const body = new ProtobufWriter([m], { selfMetrics: false }).render();
        const all = new Map(decodeExposition(body).families.map((f) => [f.name, f.metric ?? []]));
        // One clock reading per series, in the order the series were created.
        const created = (name: string): unknown[] =>
          (all.get(name) ?? []).map((metric) => (metric.counter ?? metric.histogram)?.createdTimestamp);
        expect(created('edge_hits_total')).toEqual([
          { seconds: 1_700_000_001, nanos: 123_500_000 },
          { seconds: 1_700_000_002, nanos: 123_500_000 },
          { seconds: 1_700_000_003, nanos: 123_500_000 },
        ]);
        expect(created('edge_starts_total')).toEqual([{ seconds: 1_700_000_009, nanos: 123_500_000 }]);
        expect(created('edge_lag_seconds')).toEqual([{ seconds: 1_700_000_010, nanos: 123_500_000 }]);
        // Gauges have none.
        expect(all.get('edge_up')).toEqual([{ gauge: { value: 1 } }]);
      });

      it('says what the text writer says for the four trading catalogs with every family recorded', () => {
        expectSameAsText(tradingCatalogs(OPTIONS));
      });

      it('says what the text writer says for overflow, hostile labels, NaN/±Inf, unlabelled and empty families', () => {
        const m = edges(OPTIONS);
        expectSameAsText([m]);
        const decoded = decodeExposition(new ProtobufWriter([m], { selfMetrics: false }).render()).families;
        const hits = decoded.find((f) => f.name === 'edge_hits_total');
        expect(hits?.metric?.map((metric) => metric.label)).toEqual([
          [
            { name: 'cache', value: 'l1' },
            { name: 'key', value: 'a' },
          ],
          [
            { name: 'cache', value: 'l2' },
            { name: 'key', value: HOSTILE },
          ],
          [{ name: 'otel_metric_overflow', value: 'true' }],
        ]);
        const ratio = decoded.find((f) => f.name === 'edge_ratio')?.metric?.map((metric) => metric.gauge?.value);
        expect(ratio).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0]);
        expect(decoded.map((f) => f.name)).not.toContain('edge_none_total');
      });

      it('writes the classic part of a histogram declared with native resolution, as the text writer does', () => {
        class Native extends catalog({
          only: histogram('native_only_seconds', 'Native only.', {}, { buckets: [], native: true }),
          both: histogram('native_both_seconds', 'Both.', { k: closed('a') }, { buckets: [1], native: true }),
        }) {}
        const m = new Native(OPTIONS);
        for (const v of [0, 0.5, 3]) {
          m.only.observe({}, v);
          m.both.observe({ k: 'a' }, v);
        }
        expectSameAsText([m]);
      });

      it("writes a native histogram's schema, zero bucket and buckets: one span of count deltas", () => {
        class Native extends catalog({
          latency: histogram('native_latency_ms', 'Native.', {}, { buckets: [10], native: { schema: 3 } }),
          idle: histogram('native_idle_ms', 'Nothing yet.', { k: closed('a') }, { buckets: [], native: true }),
        }) {}
        const m = new Native(OPTIONS);
        const values = [0, 0.7, 1, 1.3, 2, 2, 9.5, 120, 120.5];
        for (const v of values) m.latency.observe({}, v);
        m.idle.bind({ k: 'a' });
        const families = decodeExposition(new ProtobufWriter([m], { selfMetrics: false }).render()).families;
        const latency = families.find((f) => f.name === 'native_latency_ms')?.metric?.[0]?.histogram;
        expect([latency?.schema, latency?.zeroThreshold, latency?.zeroCount, latency?.sampleCount]).toEqual([
          3,
          2 ** -128,
          1,
          values.length,
        ]);
        // Spans and deltas back to key → count, against each sample's key computed on its own.
        const keys = new Map<number, number>();
        let key = 0;
        let count = 0;
        let d = 0;
        for (const [s, span] of (latency?.positiveSpan ?? []).entries()) {
          key = s === 0 ? (span.offset ?? 0) : key + (span.offset ?? 0);
          for (let j = 0; j < (span.length ?? 0); j++, key++) {
            count += latency?.positiveDelta?.[d++] ?? 0;
            if (count !== 0) keys.set(key, count);
          }
        }
        const expected = new Map<number, number>();
        for (const v of values.filter((x) => x > 0)) {
          const k = nativeBucketKey(v, 3);
          expected.set(k, (expected.get(k) ?? 0) + 1);
        }
        expect([...keys]).toEqual([...expected].sort((a, b) => a[0] - b[0]));
        // The classic bucket is still there, so the histogram reads the same in text.
        expect(latency?.bucket?.map((b) => [b.upperBound, b.cumulativeCount])).toEqual([[10, 7]]);
        // Nothing recorded: an empty span marks it native (as client_golang writes it).
        const idle = families.find((f) => f.name === 'native_idle_ms')?.metric?.[0]?.histogram;
        expect([idle?.schema, idle?.zeroCount, idle?.positiveSpan, idle?.positiveDelta ?? []]).toEqual([
          3,
          0,
          [{ offset: 0, length: 0 }],
          [],
        ]);
      });

      it('picks up series created after an earlier render, and reuses its buffer', () => {
        const m = new Edges(OPTIONS);
        const writer = new ProtobufWriter([m]);
        m.hits.add({ cache: 'l1', key: 'a' }, 1);
        const first = Buffer.from(writer.render());
        expect(decodeExposition(first).families.find((f) => f.name === 'edge_hits_total')?.metric).toHaveLength(1);
        // Many more series and samples than the first body was sized for; budget 2 holds a and k0,
        // k1 and k2 fold into the overflow series.
        for (let i = 0; i < 200; i++) m.hits.add({ cache: 'l1', key: `k${i % 3}` }, i);
        for (let i = 0; i < 500; i++) m.lag.observe({}, i / 100);
        expectSameAsText([m]);
        const second = writer.render();
        const hits = decodeExposition(second).families.find((f) => f.name === 'edge_hits_total')?.metric ?? [];
        expect(hits.map((metric) => metric.counter?.value)).toEqual([1, 6633, 13267]);
        // The same body twice in a row from the reused buffer.
        expect(Buffer.from(second).equals(writer.render())).toBe(true);
      });

      it('appends the self-metrics by default, as the text writer does', () => {
        const m = edges(OPTIONS);
        const names = decodeExposition(new ProtobufWriter([m]).render()).families.map((f) => f.name);
        expect(names).toContain('ttquant_metrics_overflow_records_total');
        expect(names).toContain('ttquant_metrics_dropped_values_total');
      });
    },
  );

  it('checks its options exactly like PrometheusWriter', () => {
    const m = new Edges();
    const cases: [unknown, unknown][] = [
      ['x', undefined],
      [[m, 5], undefined],
      [[m], null],
      [[m], { selfMetric: true }],
      [[m], { selfMetrics: 'yes' }],
    ];
    const failure = (make: () => unknown): MetricsOptionError => {
      try {
        make();
      } catch (error) {
        expect(error).toBeInstanceOf(MetricsOptionError);
        return error as MetricsOptionError;
      }
      throw new Error('expected a MetricsOptionError');
    };
    const paths = cases.map(([sources, options]) => {
      const ours = failure(() => new ProtobufWriter(sources as Catalog[], options as object));
      const text = failure(() => new PrometheusWriter(sources as Catalog[], options as object));
      expect(ours.option).toBe(text.option);
      expect(ours.expected).toBe(text.expected);
      expect(ours.message).toBe(text.message.replace(/^PrometheusWriter:/, 'ProtobufWriter:'));
      expect(ours.message.startsWith('ProtobufWriter: ')).toBe(true);
      return ours.option;
    });
    expect(paths).toEqual(['sources', 'sources[1]', 'options', 'options.selfMetric', 'options.selfMetrics']);
  });

  it('rejects two sources whose names collide, as the text writer does', () => {
    class Other extends catalog({ count: gauge('edge_lag_seconds_count', 'Collides.', {}) }) {}
    expect(() => new ProtobufWriter([new Edges(), new Other()])).toThrow(MetricDefinitionError);
  });
});
