// Escaping round-trips: hostile label values, HELP texts and sample values are recorded through the
// public DSL, rendered by PrometheusWriter, then read back by both consumers we target: promtool (Go's
// text parser, via `check metrics`) and Debian's python3-prometheus-client classic parser.

import {
  describeWithTools,
  openPythonParser,
  type PythonParser,
  promtoolCheckMetrics,
  pyFloat,
} from '@ttquant/test-kit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge } from '../define/metric.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { PrometheusWriter } from './prometheus-text.js';

const BATCH = 50;

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

function helpCatalog(helps: readonly string[]) {
  return catalog(Object.fromEntries(helps.map((help, k) => [`help${k}`, gauge(`help_probe_${k}`, help, {})])));
}

// Characters the text format treats specially, plus separators a lax parser could trip on.
const special = fc.constantFrom('\\', '"', '\n', '\\n', '\r', '\t', ' ', ',', '=', '{', '}', '#', '\0', '\u2028', '💹');

// Lone surrogates (unpaired U+D800–U+DFFF) are left out on purpose: they are not Unicode scalar values,
// have no UTF-8 encoding (Buffer.from writes U+FFFD for them), so no UTF-8 wire format can carry them.
// 'grapheme' and 'binary' units never produce them; 'binary' covers every other code point, controls
// included.
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: special, maxLength }),
    fc.string({ unit: fc.oneof(special, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength }),
  );

const labelValue = fc.oneof(
  { weight: 8, arbitrary: text(40) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: text(2_000).map((s) => s.padEnd(1_000, '\\"\n')) },
);

// python's classic parser drops a HELP text's leading whitespace (`split(None, 3)`) and trailing
// whitespace (`line.strip()`), where Go's parser keeps both: markers keep generated text off the ends.
const helpText = text(200).map((s) => `[${s}]`);

function render(tags: readonly string[], helps: readonly string[], doubles: readonly number[]): string {
  const probe = new Probe({ onInvalidValue: throwOnInvalidValue });
  tags.forEach((tag, i) => {
    // `note` takes the next value, so one line holds two hostile values side by side.
    probe.labels.add({ side: 'buy', tag, note: tags[(i + 1) % tags.length] as string }, i + 1);
  });
  doubles.forEach((value, i) => {
    probe.values.set({ i: String(i) }, value);
  });
  const Help = helpCatalog(helps);
  const help = new Help({ onInvalidValue: throwOnInvalidValue });
  helps.forEach((_, k) => {
    help[`help${k}`]?.bind().set(k);
  });
  return new PrometheusWriter([probe, help], { selfMetrics: false }).renderText();
}

describe('escaping in the rendered text', () => {
  it('escapes backslash, quote and newline in label values, and passes other Unicode through', () => {
    const body = render(['a\\b"c\nd', 'é💹\t'], [], []);
    expect(body).toBe(
      [
        '# HELP hostile_labels_total Counter whose open labels carry generated values.',
        '# TYPE hostile_labels_total counter',
        'hostile_labels_total{side="buy",tag="a\\\\b\\"c\\nd",note="é💹\t"} 1',
        'hostile_labels_total{side="buy",tag="é💹\t",note="a\\\\b\\"c\\nd"} 2',
        '# HELP value_probe Gauge that stores any double, non-finite included.',
        '# TYPE value_probe gauge',
        '',
      ].join('\n'),
    );
  });

  it('escapes backslash and newline in HELP, but not quotes', () => {
    const body = render([], ['a\\b"c\nd'], []);
    expect(body).toContain('# HELP help_probe_0 a\\\\b"c\\nd\n# TYPE help_probe_0 gauge\nhelp_probe_0 0\n');
  });
});

describeWithTools('escaping round-trips through promtool and python', ['promtool', 'python-prometheus-client'], () => {
  // One python process for every body; promtool is spawned per body (it reads one body per run).
  let python: PythonParser;
  beforeAll(() => {
    python = openPythonParser();
  });
  afterAll(async () => {
    await python?.close();
  });

  it('hostile label values and HELP texts come back exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(labelValue, { minLength: BATCH, maxLength: BATCH }),
        fc.array(helpText, { minLength: 5, maxLength: 5 }),
        async (tags, helps) => {
          const body = render(tags, helps, []);
          // Both parsers at once, in parallel.
          const [lint, families] = await Promise.all([promtoolCheckMetrics(body), python.parse(body)]);
          // 1 would be a parse error in Go's text parser; the names here are lint-clean, so 0.
          expect(lint).toEqual({ code: 0, findings: [] });
          const counter = families.find((f) => f.name === 'hostile_labels');
          const got = (counter?.samples ?? []).map((s) => [s.labels, pyFloat(s.value)]);
          const want = tags.map((tag, i) => [{ side: 'buy', tag, note: tags[(i + 1) % tags.length] }, i + 1]);
          expect(got).toEqual(want);
          const gotHelp = families.filter((f) => f.name.startsWith('help_probe_')).map((f) => f.help);
          expect(gotHelp).toEqual(helps);
        },
      ),
      // A failure shrinks by re-running promtool and python; the limit bounds that on a busy machine,
      // and failOnInterrupt keeps an unfinished run from passing as green.
      { numRuns: 20, plugins: [fc.interruptAfterTimeLimit(60_000, { failOnInterrupt: true })] },
    );
  }, 90_000);

  it('sample values come back as the same double, NaN, ±Inf and -0 included', async () => {
    const edge = [Number.NaN, Infinity, -Infinity, -0, 0, 1e308, 5e-324, 0.1 + 0.2, Number.MAX_VALUE, 2 ** 53 + 2];
    const check = async (doubles: readonly number[]): Promise<void> => {
      const body = render([], [], doubles);
      const [lint, families] = await Promise.all([promtoolCheckMetrics(body), python.parse(body)]);
      expect(lint).toEqual({ code: 0, findings: [] });
      const samples = families.find((f) => f.name === 'value_probe')?.samples ?? [];
      expect(samples.map((s) => s.labels['i'])).toEqual(doubles.map((_, i) => String(i)));
      samples.forEach((s, i) => {
        // Object.is: NaN equals NaN, and -0 differs from 0.
        expect(Object.is(pyFloat(s.value), doubles[i]), `${s.value} vs ${doubles[i]}`).toBe(true);
      });
    };
    await check(edge);
    const body = render([], [], edge);
    expect(body).toContain(
      [
        'value_probe{i="0"} NaN',
        'value_probe{i="1"} +Inf',
        'value_probe{i="2"} -Inf',
        'value_probe{i="3"} -0',
        'value_probe{i="4"} 0',
        'value_probe{i="5"} 1e+308',
        'value_probe{i="6"} 5e-324',
        'value_probe{i="7"} 0.30000000000000004',
        'value_probe{i="8"} 1.7976931348623157e+308',
        'value_probe{i="9"} 9007199254740994',
      ].join('\n'),
    );
    await fc.assert(fc.asyncProperty(fc.array(fc.double(), { minLength: BATCH, maxLength: BATCH }), check), {
      numRuns: 3,
      plugins: [fc.interruptAfterTimeLimit(30_000, { failOnInterrupt: true })],
    });
  }, 60_000);
});
