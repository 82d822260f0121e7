// Escaping round-trips for OpenMetrics: hostile label values, HELP texts and sample values are
// recorded through the public DSL, rendered by OpenMetricsWriter, then read back by Debian's strict
// OpenMetrics parser (python3-prometheus-client, prometheus_client.openmetrics.parser). See
// escape.prop.test.ts for the same properties of the 0.0.4 writer.

import { describeWithTools, parseOpenMetricsWithPython, pyFloat } from '@ttquant/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge } from '../define/metric.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { OpenMetricsWriter } from './openmetrics-text.js';

const BATCH = 50;
const NOW_MS = 1_700_000_000_250;

const Probe = catalog({
  labels: counter('hostile_labels_total', 'Counter whose open labels carry generated values.', {
    side: closed('buy', 'sell'),
    tag: open({ budget: 64 }),
    note: open({ budget: 64 }),
  }),
  values: gauge(
    'value_probe',
    'Gauge that stores any double, non-finite included.',
    { i: open({ budget: 64 }) },
    {
      nonFinite: 'emit',
    },
  ),
});

const ExemplarProbe = catalog({
  exemplars: counter(
    'exemplar_probe_total',
    'Counter whose exemplars carry generated values.',
    { i: open({ budget: 64 }) },
    { exemplars: ['trace_id', 'note'] },
  ),
});

function helpCatalog(helps: readonly string[]) {
  return catalog(Object.fromEntries(helps.map((help, k) => [`help${k}`, gauge(`help_probe_${k}`, help, {})])));
}

// Characters OpenMetrics treats specially, separators a lax parser could trip on, and ` # `, which
// sends python's parser down its exemplar path (a label state machine instead of rindex('}')).
const special = fc.constantFrom(
  '\\',
  '"',
  '\n',
  '\\n',
  '\\"',
  '\r',
  '\t',
  ' ',
  ' # ',
  ',',
  '=',
  '{',
  '}',
  '#',
  '\0',
  '\u2028',
  '💹',
);

// Lone surrogates are left out: they have no UTF-8 encoding, so no UTF-8 wire format carries them
// (see escape.prop.test.ts).
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: special, maxLength }),
    fc.string({ unit: fc.oneof(special, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength }),
  );

// Python's parser (0.16) finds the end of an exemplar's labels at the first `}` it meets, even one
// inside a quoted value, and then rejects the line; OpenMetrics allows `}` in any label value, and
// Prometheus's own parser reads it (test/conformance/exemplars.test.ts). Exemplar values given to
// the python parser therefore spell `}` as `)`.
const exemplarValue = text(70).map((value) => value.replaceAll('}', ')'));

const labelValue = fc.oneof(
  { weight: 8, arbitrary: text(40) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: text(2_000).map((s) => s.padEnd(1_000, '\\"\n')) },
);

// Unlike the classic parser, the OpenMetrics parser keeps a HELP text's leading and trailing
// whitespace, so no markers are needed; catalog() only refuses a blank help text.
const helpText = text(200).map((s) => (s.trim() === '' ? `${s}.` : s));

function render(tags: readonly string[], helps: readonly string[], doubles: readonly number[]): string {
  const options = { onInvalidValue: throwOnInvalidValue, now: () => NOW_MS };
  const probe = new Probe(options);
  tags.forEach((tag, i) => {
    // `note` takes the next value, so one line holds two hostile values side by side.
    probe.labels.add({ side: 'buy', tag, note: tags[(i + 1) % tags.length] as string }, i + 1);
  });
  doubles.forEach((value, i) => {
    probe.values.set({ i: String(i) }, value);
  });
  const Help = helpCatalog(helps);
  const help = new Help(options);
  helps.forEach((_, k) => {
    help[`help${k}`]?.bind().set(k);
  });
  return new OpenMetricsWriter([probe, help], { selfMetrics: false }).renderText();
}

describe('escaping in the rendered OpenMetrics text', () => {
  it('escapes backslash, quote and newline in label values and HELP alike', () => {
    expect(render(['a\\b"c\nd'], ['h\\e"l\np'], [])).toBe(
      [
        '# TYPE hostile_labels counter',
        '# HELP hostile_labels Counter whose open labels carry generated values.',
        'hostile_labels_total{side="buy",tag="a\\\\b\\"c\\nd",note="a\\\\b\\"c\\nd"} 1',
        'hostile_labels_created{side="buy",tag="a\\\\b\\"c\\nd",note="a\\\\b\\"c\\nd"} 1700000000.25',
        '# TYPE value_probe gauge',
        '# HELP value_probe Gauge that stores any double, non-finite included.',
        '# TYPE help_probe_0 gauge',
        '# HELP help_probe_0 h\\\\e\\"l\\np',
        'help_probe_0 0',
        '# EOF',
        '',
      ].join('\n'),
    );
  });
});

describeWithTools(
  'OpenMetrics escaping round-trips through the strict python parser',
  ['python-prometheus-client'],
  () => {
    it('hostile label values and HELP texts come back exactly', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(labelValue, { minLength: BATCH, maxLength: BATCH }),
          fc.array(helpText, { minLength: 5, maxLength: 5 }),
          async (tags, helps) => {
            const families = await parseOpenMetricsWithPython(render(tags, helps, []));
            const counter = families.find((f) => f.name === 'hostile_labels');
            const totals = (counter?.samples ?? []).filter((s) => s.name === 'hostile_labels_total');
            const got = totals.map((s) => [s.labels, pyFloat(s.value)]);
            const want = tags.map((tag, i) => [{ side: 'buy', tag, note: tags[(i + 1) % tags.length] }, i + 1]);
            expect(got).toEqual(want);
            const gotHelp = families.filter((f) => f.name.startsWith('help_probe_')).map((f) => f.help);
            expect(gotHelp).toEqual(helps);
          },
        ),
        // One python process per body; a failure shrinks by re-running it, so the time limit bounds
        // that, and failOnInterrupt keeps an unfinished run from passing as green.
        { numRuns: 20, plugins: [fc.interruptAfterTimeLimit(60_000, { failOnInterrupt: true })] },
      );
    }, 90_000);

    it('hostile exemplar label values come back exactly, or are dropped and counted past 128 characters', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(exemplarValue, { minLength: BATCH, maxLength: BATCH }), async (notes) => {
          const probe = new ExemplarProbe({ onInvalidValue: throwOnInvalidValue, now: () => NOW_MS });
          notes.forEach((note, i) => {
            probe.exemplars.bind({ i: String(i) }).incWithExemplar({ trace_id: `t${i}`, note });
          });
          const families = await parseOpenMetricsWithPython(
            new OpenMetricsWriter([probe], { selfMetrics: false }).render(),
          );
          const totals = (families.find((f) => f.name === 'exemplar_probe')?.samples ?? []).filter(
            (s) => s.name === 'exemplar_probe_total',
          );
          // Characters as OpenMetrics counts them: code points of the names and values given.
          const length = (i: number): number =>
            [...`trace_idt${i}`].length + ((notes[i] as string) === '' ? 0 : [...`note${notes[i]}`].length);
          const kept = notes.map((note, i) =>
            length(i) <= 128 ? { trace_id: `t${i}`, ...(note === '' ? {} : { note }) } : null,
          );
          expect(totals.map((s) => s.exemplar?.labels ?? null)).toEqual(kept);
          expect(probe.exemplars.exemplarsDropped).toBe(kept.filter((k) => k === null).length);
        }),
        { numRuns: 10, plugins: [fc.interruptAfterTimeLimit(60_000, { failOnInterrupt: true })] },
      );
    }, 90_000);

    it('sample values come back as the same double, NaN, ±Inf and -0 included', async () => {
      const edge = [
        Number.NaN,
        Infinity,
        -Infinity,
        -0,
        0,
        1e308,
        5e-324,
        0.1 + 0.2,
        Number.MAX_VALUE,
        2 ** 53 + 2,
        -7,
      ];
      const check = async (doubles: readonly number[]): Promise<void> => {
        const families = await parseOpenMetricsWithPython(render([], [], doubles));
        const samples = families.find((f) => f.name === 'value_probe')?.samples ?? [];
        expect(samples.map((s) => s.labels['i'])).toEqual(doubles.map((_, i) => String(i)));
        samples.forEach((s, i) => {
          // Object.is: NaN equals NaN, and -0 differs from 0 (written -0.0, see openmetrics-text.ts).
          expect(Object.is(pyFloat(s.value), doubles[i]), `${s.value} vs ${doubles[i]}`).toBe(true);
        });
      };
      await check(edge);
      await fc.assert(fc.asyncProperty(fc.array(fc.double(), { minLength: BATCH, maxLength: BATCH }), check), {
        numRuns: 3,
        plugins: [fc.interruptAfterTimeLimit(30_000, { failOnInterrupt: true })],
      });
    }, 60_000);
  },
);
