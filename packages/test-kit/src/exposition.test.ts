import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readExposition } from './exposition.js';

const BODY = [
  '# HELP orders_total Orders sent, by venue\\\\side.\\nSecond line.',
  '# TYPE orders_total counter',
  'orders_total{exchange="binance",side="buy"} 3',
  'orders_total{exchange="binance",side="sell"} 4',
  'orders_total{exchange="okx",side="buy"} 0.5',
  '# a plain comment',
  '',
  '# TYPE up gauge',
  'up 1',
  '# TYPE latency_ms histogram',
  'latency_ms_bucket{le="1"} 2',
  'latency_ms_bucket{le="+Inf"} 5',
  'latency_ms_sum 12.5',
  'latency_ms_count 5',
  '',
].join('\n');

describe('readExposition: values by exact labels', () => {
  const exposed = readExposition(BODY);

  it('reads the series with exactly the given labels', () => {
    expect(exposed.value('orders_total', { exchange: 'binance', side: 'sell' })).toBe(4);
    expect(exposed.value('orders_total', { side: 'buy', exchange: 'okx' })).toBe(0.5); // order is free
    expect(exposed.value('up')).toBe(1);
    expect(exposed.value('latency_ms_bucket', { le: '+Inf' })).toBe(5);
  });

  it('answers undefined for a series that does not exist, also for a subset or superset of labels', () => {
    expect(exposed.value('orders_total', { exchange: 'okx', side: 'sell' })).toBeUndefined();
    expect(exposed.value('orders_total', { exchange: 'binance' })).toBeUndefined();
    expect(exposed.value('orders_total')).toBeUndefined();
    expect(exposed.value('up', { job: 'x' })).toBeUndefined();
    expect(exposed.value('orders')).toBeUndefined();
  });

  it('sums and selects by partial labels, and a sum over nothing is undefined, not 0', () => {
    expect(exposed.sum('orders_total')).toBe(7.5);
    expect(exposed.sum('orders_total', { exchange: 'binance' })).toBe(7);
    expect(exposed.sum('orders_total', { side: 'buy' })).toBe(3.5);
    expect(exposed.sum('orders_total', { exchange: 'kraken' })).toBeUndefined();
    expect(exposed.select('orders_total', { side: 'buy' }).map((s) => s.labels.exchange)).toEqual(['binance', 'okx']);
    expect(exposed.names()).toEqual(['orders_total', 'up', 'latency_ms_bucket', 'latency_ms_sum', 'latency_ms_count']);
  });

  it('reads TYPE and HELP lines, unescaping HELP', () => {
    expect(exposed.types.get('orders_total')).toBe('counter');
    expect(exposed.types.get('latency_ms')).toBe('histogram');
    expect(exposed.help.get('orders_total')).toBe('Orders sent, by venue\\side.\nSecond line.');
  });

  it('groups samples under the HELP/TYPE lines of their family, and keeps families without samples', () => {
    expect(exposed.families()).toEqual(['orders_total', 'up', 'latency_ms']);
    expect(exposed.family('latency_ms').map((s) => s.name)).toEqual([
      'latency_ms_bucket',
      'latency_ms_bucket',
      'latency_ms_sum',
      'latency_ms_count',
    ]);
    expect(exposed.family('orders_total')).toHaveLength(3);
    const empty = readExposition('# HELP idle_total Never recorded.\n# TYPE idle_total counter\nup 1\n');
    expect(empty.families()).toEqual(['idle_total']);
    expect(empty.family('idle_total')).toEqual([]); // `up` follows its lines but is not named as its own
    expect(empty.family('up')).toEqual([]); // no HELP or TYPE line
    expect(empty.value('up')).toBe(1);
  });

  it('refuses to pick one of two identical series', () => {
    expect(() => readExposition('a{x="1"} 1\na{x="1"} 2\n').value('a', { x: '1' })).toThrow(
      'exposition: a{x="1"} appears twice',
    );
  });
});

describe('readExposition: the line grammar', () => {
  it('unescapes \\\\, \\" and \\n in label values', () => {
    const [sample] = readExposition('m{path="C:\\\\dir",quote="say \\"hi\\"",lines="a\\nb"} 1').samples;
    expect(sample?.labels).toEqual({ path: 'C:\\dir', quote: 'say "hi"', lines: 'a\nb' });
  });

  it('reads +Inf, -Inf, NaN, exponents and signed zero', () => {
    const exposed = readExposition('a +Inf\nb -Inf\nc NaN\nd 1.5e-7\ne -0\nf 1e+308\ng .5\n');
    expect(exposed.value('a')).toBe(Number.POSITIVE_INFINITY);
    expect(exposed.value('b')).toBe(Number.NEGATIVE_INFINITY);
    expect(exposed.value('c')).toBeNaN();
    expect(exposed.value('d')).toBe(1.5e-7);
    expect(Object.is(exposed.value('e'), -0)).toBe(true);
    expect(exposed.value('f')).toBe(1e308);
    expect(exposed.value('g')).toBe(0.5);
  });

  it('reads timestamps, a trailing comma, blanks around tokens, and label values with } , = and #', () => {
    const exposed = readExposition('m{ a = "}" , b="x,y=z #" , } 2 1700000000000\nn{} 3\n\t\nk:v 4  \n');
    expect(exposed.samples[0]).toEqual({ name: 'm', labels: { a: '}', b: 'x,y=z #' }, value: 2, timestamp: 1.7e12 });
    expect(exposed.value('n')).toBe(3);
    expect(exposed.value('k:v')).toBe(4);
  });

  it('keeps a label named like an Object property as a label', () => {
    const exposed = readExposition('m{__proto__="p",constructor="c"} 1\nm 2\n');
    expect(exposed.value('m', { __proto__: 'p', constructor: 'c' } as Record<string, string>)).toBeUndefined();
    expect(exposed.select('m', { constructor: 'c' })).toHaveLength(1);
    expect(exposed.value('m')).toBe(2);
    expect(exposed.select('m', { toString: 'x' })).toEqual([]);
  });

  it.each([
    ['no value', 'm{a="1"}', 'expected a space before the value'],
    ['a bad value', 'm 1,5', 'invalid value "1,5"'],
    ['a value that is not a number', 'm abc', 'invalid value "abc"'],
    ['an unterminated label value', 'm{a="1} 2', 'unterminated label value'],
    ['an unclosed label set', 'm{a="1" 2', 'expected "," or "}"'],
    ['an unknown escape', 'm{a="\\t"} 2', 'invalid escape "\\t"'],
    ['a label given twice', 'm{a="1",a="2"} 3', 'label "a" given twice'],
    ['an unquoted label value', 'm{a=1} 2', 'expected """'],
    ['a bad metric name', '1m 2', 'expected a metric name'],
    ['trailing text', 'm 2 3 4', 'unexpected text'],
    ['a bad timestamp', 'm 2 x', 'expected an integer timestamp'],
    ['an unknown type', '# TYPE m countr', 'unknown type "countr"'],
  ])('rejects %s, naming the line', (_, line, reason) => {
    expect(() => readExposition(`ok 1\n${line}\n`)).toThrow(`exposition line 2: ${reason}`);
  });

  it('reads UTF-8 bytes', () => {
    const exposed = readExposition(new TextEncoder().encode('m{sym="€/₿ ✓"} 1\n'));
    expect(exposed.value('m', { sym: '€/₿ ✓' })).toBe(1);
  });
});

// The format's escaping, written out from the spec rather than taken from the SDK, so the reader is
// checked on its own (the SDK's writer is checked against it in the SDK's tests).
function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`));
}

describe('readExposition: round trip', () => {
  it('reads back any label values and values it is given', () => {
    const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/);
    const value = fc.oneof(fc.double(), fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY));
    fc.assert(
      fc.property(fc.dictionary(labelName, fc.string({ unit: 'grapheme' })), value, (labels, v) => {
        const pairs = Object.entries(labels).map(([k, x]) => `${k}="${escapeLabel(x)}"`);
        const text = Object.is(v, -0)
          ? '-0'
          : v === Number.POSITIVE_INFINITY
            ? '+Inf'
            : String(v).replace('Infinity', 'Inf');
        const exposed = readExposition(`m{${pairs.join(',')}} ${text}\n`);
        expect(exposed.samples[0]?.labels).toEqual(labels);
        expect(exposed.value('m', labels)).toBe(v);
      }),
      { numRuns: 200 },
    );
  });
});
