import { describe, expect, it } from 'vitest';
import type { ExpositionFormat } from '../exposition/formats.js';
import { acceptsGzip, negotiateFormat, parseAccept } from './negotiate.js';

// What Prometheus 2.42 sends (scrape/scrape.go, `scrapeAcceptHeader` and, with
// `--enable-feature=native-histograms`, `scrapeAcceptHeaderWithProtobuf`); the conformance test
// test/conformance/negotiation-scrape.test.ts checks that the real binary sends exactly these.
const PROMETHEUS_2_42_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const PROMETHEUS_2_42_ACCEPT_PROTOBUF =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

const ALL: readonly ExpositionFormat[] = ['prometheus-protobuf', 'openmetrics-text', 'prometheus-text'];
const PB = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

describe('negotiateFormat', () => {
  const cases: readonly (readonly [string, string | undefined, ExpositionFormat])[] = [
    ['Prometheus 2.42, classic scrape', PROMETHEUS_2_42_ACCEPT, 'openmetrics-text'],
    ['Prometheus 2.42, native histograms', PROMETHEUS_2_42_ACCEPT_PROTOBUF, 'prometheus-protobuf'],
    // Prometheus 3 asks for text 1.0.0 and OpenMetrics 1.0.0 with escaping: the versions we speak win.
    [
      'Prometheus 3.x',
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,application/openmetrics-text;version=0.0.1;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1',
      'openmetrics-text',
    ],
    ['no Accept header', undefined, 'prometheus-text'],
    ['empty Accept header', '', 'prometheus-text'],
    ['*/* (fetch, curl, browsers) gets the default', '*/*', 'prometheus-text'],
    ['a browser', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'prometheus-text'],
    ['application/* gets OpenMetrics, never protobuf', 'application/*', 'openmetrics-text'],
    ['text/* gets text', 'text/*', 'prometheus-text'],
    ['text/plain', 'text/plain', 'prometheus-text'],
    ['text/plain 0.0.4 with charset', 'text/plain; version=0.0.4; charset=utf-8', 'prometheus-text'],
    ['OpenMetrics without a version', 'application/openmetrics-text', 'openmetrics-text'],
    [
      'OpenMetrics 1.0.0, spaces and case',
      'Application/OpenMetrics-Text ; Version=1.0.0 ; Charset=UTF-8',
      'openmetrics-text',
    ],
    ['OpenMetrics 1.0.0 quoted', 'application/openmetrics-text; version="1.0.0"', 'openmetrics-text'],
    ['OpenMetrics 0.0.1 only is not spoken', 'application/openmetrics-text;version=0.0.1', 'prometheus-text'],
    [
      'OpenMetrics 0.0.1 falls to the next choice',
      'application/openmetrics-text;version=0.0.1,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.2',
      'prometheus-protobuf',
    ],
    ['OpenMetrics in another charset', 'application/openmetrics-text;version=1.0.0;charset=latin1', 'prometheus-text'],
    ['text 1.0.0 is not spoken', 'text/plain;version=1.0.0,application/openmetrics-text;q=0.1', 'openmetrics-text'],
    ['protobuf', PB, 'prometheus-protobuf'],
    [
      'protobuf, parameters reordered',
      `application/vnd.google.protobuf;encoding=delimited;proto=io.prometheus.client.MetricFamily`,
      'prometheus-protobuf',
    ],
    ['protobuf without parameters', 'application/vnd.google.protobuf', 'prometheus-text'],
    [
      'protobuf text encoding',
      'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text',
      'prometheus-text',
    ],
    [
      'protobuf of another message',
      'application/vnd.google.protobuf;proto=foo.Bar;encoding=delimited',
      'prometheus-text',
    ],
    ['higher q wins over preference', `${PB};q=0.5,text/plain;q=0.6`, 'prometheus-text'],
    [
      'a tie goes to protobuf, then OpenMetrics',
      `text/plain,application/openmetrics-text,${PB}`,
      'prometheus-protobuf',
    ],
    [
      'a tie without protobuf goes to OpenMetrics',
      'text/plain;q=0.7,application/openmetrics-text;q=0.7',
      'openmetrics-text',
    ],
    ['q=0 excludes', `${PB};q=0,application/openmetrics-text;q=0.1`, 'openmetrics-text'],
    ['q=0.000 excludes', 'application/openmetrics-text;q=0.000,text/plain;q=0.001', 'prometheus-text'],
    ['a specific q=0 beats a wildcard', 'application/openmetrics-text;q=0,application/*', 'prometheus-text'],
    [
      'a more specific range gives the q',
      'application/openmetrics-text;version=1.0.0;q=0.2,application/openmetrics-text;q=1,text/plain;q=0.5',
      'prometheus-text',
    ],
    ['nothing acceptable gets text', 'image/png,application/json', 'prometheus-text'],
    [
      'malformed parts are skipped',
      `garbage,;q=1,/plain,text/,*/plain,a/b;=x,${PB};q=abc,application/openmetrics-text;q=0.3`,
      'openmetrics-text',
    ],
    ['a q above 1 is malformed', `${PB};q=1.5,text/plain;q=0.5`, 'prometheus-text'],
    ['a q with four decimals is malformed', `${PB};q=0.1234,text/plain;q=0.01`, 'prometheus-text'],
    ['empty elements and trailing semicolons', ',, ,application/openmetrics-text;,', 'openmetrics-text'],
    [
      'a quoted comma stays in its parameter',
      'text/plain;x="a,application/openmetrics-text";q=0.5,application/json',
      'prometheus-text',
    ],
    [
      'accept-extensions after q are ignored',
      'application/openmetrics-text;q=0.9;foo=bar,text/plain;q=0.8',
      'openmetrics-text',
    ],
  ];
  it.each(cases)('%s', (_title, accept, expected) => {
    expect(negotiateFormat(accept, ALL)).toBe(expected);
  });

  it('chooses only among the formats served', () => {
    expect(negotiateFormat(PROMETHEUS_2_42_ACCEPT, ['prometheus-text'])).toBe('prometheus-text');
    expect(negotiateFormat(PROMETHEUS_2_42_ACCEPT_PROTOBUF, ['openmetrics-text', 'prometheus-text'])).toBe(
      'openmetrics-text',
    );
    expect(negotiateFormat(PROMETHEUS_2_42_ACCEPT, ['prometheus-protobuf', 'prometheus-text'])).toBe('prometheus-text');
    // Nothing acceptable and no text served: the first (most preferred) served format.
    expect(negotiateFormat('image/png', ['openmetrics-text'])).toBe('openmetrics-text');
  });
});

describe('parseAccept', () => {
  it('reads types, parameters and q, and drops malformed ranges', () => {
    expect(parseAccept('Text/Plain; Version="0.0.4"; q=0.5, nonsense, */*;q=0')).toEqual([
      { type: 'text', subtype: 'plain', params: { version: '0.0.4' }, q: 0.5 },
      { type: '*', subtype: '*', params: {}, q: 0 },
    ]);
    expect(parseAccept(undefined)).toEqual([]);
  });
});

describe('acceptsGzip', () => {
  const cases: readonly (readonly [string | undefined, boolean])[] = [
    ['gzip', true], // what Prometheus sends
    ['gzip, deflate, br', true], // fetch (undici)
    ['GZIP', true],
    ['x-gzip', true],
    ['identity', false],
    ['identity;q=1, gzip;q=0.1', true], // offered with q > 0: honoured, whatever identity's q
    ['gzip;q=0', false],
    ['gzip;q=0.000, *', false], // an explicit gzip;q=0 beats the wildcard
    ['*', true],
    ['*;q=0', false],
    ['deflate, br', false],
    [undefined, false],
    ['', false],
    ['gzip;q=2', false], // malformed q: the element is ignored
    ['gzip;q=nope, *;q=0.5', true],
    [' ,gzip ; q=0.5 ,', true],
  ];
  it.each(cases)('%j → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
