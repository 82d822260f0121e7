import { describeWithTools, promtoolCheckMetrics, readExposition } from '@ttquant/test-kit';
import { describe, expect, it } from 'vitest';
import { TradingLedger } from '../analytics/ledger.js';
import type { CatalogDefs } from '../define/catalog.js';
import { MetricDefinitionError, MetricLabelError } from '../define/errors.js';
import { closed, type LabelDomain } from '../define/labels.js';
import { counter, type MetricDef } from '../define/metric.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { lintFindings } from '../reference/markdown.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { DEFAULT_VENUES, exchange } from './domains.js';
import { EngineMetrics } from './engine.js';
import { GatewayMetrics } from './gateway.js';
import { MarketDataMetrics } from './market-data.js';
import { StrategyMetrics } from './strategy.js';
import { withVenues } from './venues.js';
import { withLabelDomain } from './with-label-domain.js';

const READY = { MarketDataMetrics, GatewayMetrics, StrategyMetrics, EngineMetrics } as const;
const options = { onInvalidValue: throwOnInvalidValue, now: () => 0 };

// Everything a dashboard or the reference reads from a declaration, apart from its label domains.
function wire(def: MetricDef) {
  return {
    name: def.name,
    kind: def.kind,
    help: def.help,
    unit: def.unit,
    buckets: def.buckets,
    nonFinite: def.nonFinite,
    labels: Object.keys(def.labels),
  };
}

// Checks that `relabelled` is `base` with only the `exchange` domain replaced by `venues`.
function expectSameWire(base: CatalogDefs, relabelled: CatalogDefs, venues: readonly string[]): void {
  expect(Object.keys(relabelled)).toEqual(Object.keys(base));
  for (const [key, def] of Object.entries(base)) {
    const next = relabelled[key] as MetricDef;
    expect(wire(next), key).toEqual(wire(def));
    for (const [label, domain] of Object.entries(def.labels)) {
      const expected: LabelDomain = label === 'exchange' ? { kind: 'closed', values: venues } : domain;
      expect(next.labels[label], `${key}.${label}`).toEqual(expected);
    }
  }
}

describe('DEFAULT_VENUES', () => {
  it('is the default exchange domain, frozen', () => {
    expect(DEFAULT_VENUES).toEqual(exchange.values);
    expect(MarketDataMetrics.definitions.received.labels.exchange.values).toEqual(DEFAULT_VENUES);
    expect(Object.isFrozen(DEFAULT_VENUES)).toBe(true);
  });
});

describe.each(Object.entries(READY))('%s.withVenues', (_, Ready) => {
  it('replaces the venues and keeps every wire name, kind, help, unit, bucket and label order', () => {
    const Desk = Ready.withVenues('kraken', 'deribit');
    expectSameWire(Ready.definitions, Desk.definitions, ['kraken', 'deribit']);
    expect(Object.isFrozen(Desk.definitions)).toBe(true);
  });

  it('extends the defaults when they are spread first', () => {
    const Extended = Ready.withVenues(...DEFAULT_VENUES, 'kraken');
    expectSameWire(Ready.definitions, Extended.definitions, [...DEFAULT_VENUES, 'kraken']);
  });

  it('leaves the default catalog as it was', () => {
    Ready.withVenues('kraken');
    for (const def of Object.values(Ready.definitions as CatalogDefs)) {
      if (def.labels['exchange'] !== undefined) expect(def.labels['exchange']).toEqual(exchange);
    }
  });

  it('builds instances with one family per declaration, under the same names', () => {
    const desk = new (Ready.withVenues('kraken'))(options);
    const defaults = new Ready(options);
    expect(desk['~families'].map((f) => f.name)).toEqual(defaults['~families'].map((f) => f.name));
  });
});

describe('which catalogs have an exchange label', () => {
  it('relabels the engine’s exchange metrics and returns an equal strategy catalog', () => {
    const engine = EngineMetrics.withVenues('kraken').definitions;
    const relabelled = Object.entries(engine)
      .filter(([, def]) => 'exchange' in def.labels)
      .map(([key]) => key);
    expect(relabelled).toEqual(
      Object.entries(EngineMetrics.definitions)
        .filter(([, def]) => 'exchange' in def.labels)
        .map(([key]) => key),
    );
    expect(relabelled.length).toBeGreaterThan(0);
    expect(StrategyMetrics.withVenues('kraken').definitions).toEqual(StrategyMetrics.definitions);
  });

  it('works on a subclass of a ready catalog', () => {
    class Tuned extends GatewayMetrics {}
    const Desk = Tuned.withVenues('kraken');
    expect(Desk.definitions.position.labels.exchange.values).toEqual(['kraken']);
    const desk = new Desk(options);
    desk.position.set({ exchange: 'kraken', symbol: 'XBTUSD' }, -2);
    const exposed = readExposition(new PrometheusWriter([desk], { selfMetrics: false }).renderText());
    expect(exposed.value(desk.position.name, { exchange: 'kraken', symbol: 'XBTUSD' })).toBe(-2);
  });
});

describe('the new venues in the exposition', () => {
  it('writes the new venue’s series under the default wire names', () => {
    const md = new (MarketDataMetrics.withVenues(...DEFAULT_VENUES, 'kraken'))(options);
    const gw = new (GatewayMetrics.withVenues('kraken', 'deribit'))(options);
    md.received.inc({ exchange: 'kraken', symbol: 'XBTUSD', type: 'trade' });
    gw.orderLatency.observe({ exchange: 'deribit', operation: 'new' }, 7);

    const lines = new PrometheusWriter([md, gw], { selfMetrics: false }).renderText().split('\n');
    expect(lines).toContain('market_data_received_total{exchange="kraken",symbol="XBTUSD",type="trade"} 1');
    const bounds = GatewayMetrics.definitions.orderLatency.buckets;
    const histogram = lines.filter((line) => line.startsWith('order_processing_latency_ms'));
    expect(histogram).toEqual([
      ...bounds.map(
        (le) => `order_processing_latency_ms_bucket{exchange="deribit",operation="new",le="${le}"} ${le >= 7 ? 1 : 0}`,
      ),
      'order_processing_latency_ms_bucket{exchange="deribit",operation="new",le="+Inf"} 1',
      'order_processing_latency_ms_sum{exchange="deribit",operation="new"} 7',
      'order_processing_latency_ms_count{exchange="deribit",operation="new"} 1',
    ]);
  });

  it('rejects a venue outside the list from untyped JavaScript, naming the allowed ones', () => {
    const md = new (MarketDataMetrics.withVenues('kraken', 'deribit'))(options);
    const call = () => md.received.inc({ exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' } as never);
    expect(call).toThrow(MetricLabelError);
    try {
      call();
    } catch (error) {
      expect(error).toMatchObject({
        metric: 'market_data_received_total',
        label: 'exchange',
        value: 'binance',
        allowed: ['kraken', 'deribit'],
      });
      expect((error as Error).message).toContain('allowed: kraken, deribit');
    }
    expect(() => md.connectionStatus.bind({ exchange: 'okx' } as never)).toThrow(MetricLabelError);
  });
});

describe('a TradingLedger on a gateway catalog with other venues', () => {
  it('drives the gateway gauges under the given venue', () => {
    const sm = new StrategyMetrics(options);
    const gw = new (GatewayMetrics.withVenues('kraken', 'deribit'))(options);
    const ledger = new TradingLedger({ metrics: sm, gateway: { metrics: gw, exchange: 'kraken' } });
    ledger.register('ma_cross');
    ledger.onFill({ strategy: 'ma_cross', symbol: 'XBTUSD', side: 'buy', quantity: 2, price: 100, time: 0 });

    const lines = new PrometheusWriter([gw], { selfMetrics: false }).renderText().split('\n');
    expect(lines).toContain('current_position{exchange="kraken",symbol="XBTUSD"} 2');
    expect(lines).toContain('risk_exposure_usd{exchange="kraken"} 200');
  });
});

describe('invalid venue lists', () => {
  // Each list with the issues it must raise: path, and the bad value the message names.
  const cases: [string, unknown[], [path: string, shows: string][]][] = [
    ['no venue', [], [['MarketDataMetrics.withVenues', 'at least one venue']]],
    ['an empty name', ['kraken', ''], [['MarketDataMetrics.withVenues[1]', 'venue ""']]],
    ['a duplicate', ['kraken', 'okx', 'kraken'], [['MarketDataMetrics.withVenues[2]', '"kraken"']]],
    ['a non-string', ['kraken', 42], [['MarketDataMetrics.withVenues[1]', '42 (number)']]],
    ['a lone surrogate', ['kr\uD800ken'], [['MarketDataMetrics.withVenues[0]', '"kr\\ud800ken"']]],
    [
      'every issue at once',
      [null, '', 'a', 'a'],
      [
        ['MarketDataMetrics.withVenues[0]', 'null (object)'],
        ['MarketDataMetrics.withVenues[1]', 'venue ""'],
        ['MarketDataMetrics.withVenues[3]', '"a"'],
      ],
    ],
  ];

  it.each(cases)('%s throws MetricDefinitionError naming withVenues and the value', (_, venues, expected) => {
    let thrown: unknown;
    try {
      (MarketDataMetrics.withVenues as (...v: unknown[]) => unknown)(...venues);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MetricDefinitionError);
    const issues = (thrown as MetricDefinitionError).issues;
    expect(issues.map((issue) => issue.path)).toEqual(expected.map(([path]) => path));
    issues.forEach((issue, i) => {
      expect(issue.message).toContain(expected[i]?.[1]);
    });
  });

  it('names the static of each catalog, and withVenues for the free function', () => {
    for (const [name, Ready] of Object.entries(READY)) {
      expect(() => (Ready.withVenues as (...v: unknown[]) => unknown)('okx', 'okx')).toThrow(
        `${name}.withVenues[1]: venue "okx" is listed twice`,
      );
    }
    expect(() => withVenues(GatewayMetrics.definitions, 'kraken' as never)).toThrow(
      'withVenues: expected a list of venue names, got "kraken"',
    );
  });
});

describe('the helpers on a user catalog', () => {
  const deskDefinitions = {
    quotes: counter('desk_quotes_total', 'Quotes.', { book: closed('g10') }),
    fills: counter('desk_fills_total', 'Fills.', { side: closed('buy', 'sell'), exchange: closed('binance') }),
  } as const;

  it('withLabelDomain replaces the domain in place and passes other declarations through', () => {
    const next = withLabelDomain(deskDefinitions, 'exchange', closed('kraken'));
    expect(Object.keys(next)).toEqual(['quotes', 'fills']);
    expect(next.quotes).toBe(deskDefinitions.quotes);
    expect(Object.keys(next.fills.labels)).toEqual(['side', 'exchange']);
    expect(next.fills.labels.exchange.values).toEqual(['kraken']);
    expect(deskDefinitions.fills.labels.exchange.values).toEqual(['binance']);
  });

  it('withVenues validates, then relabels', () => {
    expect(withVenues(deskDefinitions, ['kraken', 'deribit']).fills.labels.exchange.values).toEqual([
      'kraken',
      'deribit',
    ]);
    expect(() => withVenues(deskDefinitions, ['kraken', 'kraken'])).toThrow(MetricDefinitionError);
  });
});

describeWithTools('promtool check metrics on catalogs with other venues', ['promtool'], () => {
  it('reports only the findings of the original names of the default catalogs', async () => {
    const venues = [...DEFAULT_VENUES, 'kraken', 'deribit'] as const;
    const catalogs = Object.values(READY).map((Ready) => new (Ready.withVenues(...venues))(options));
    // promtool lints only metrics with samples: record every declaration once per venue, with a
    // symbol the text format must escape.
    for (const instance of catalogs) {
      for (const family of instance['~families']) {
        const store = family['~store'];
        for (const venue of venues) {
          const labels: Record<string, string> = {};
          for (const [label, domain] of Object.entries(store.def.labels)) {
            labels[label] = label === 'exchange' ? venue : domain.kind === 'closed' ? domain.values[0] : 'XBT"USD\\';
          }
          const handle = (family as unknown as { bind(l: unknown): Record<string, (v: number) => void> }).bind(labels);
          if (store.kind === 'counter') handle.add(2);
          else if (store.kind === 'gauge') handle.set(-1.5);
          else handle.observe(120);
        }
      }
    }
    const body = new PrometheusWriter(catalogs).renderText();

    const expected = Object.values(READY)
      .flatMap((Ready) => Object.values(Ready.definitions as CatalogDefs))
      .flatMap((def) => lintFindings(def).map((finding) => `${def.name} ${finding}`))
      .sort();
    const { code, findings } = await promtoolCheckMetrics(body);
    expect([...findings].sort()).toEqual(expected);
    // 3 = lint findings only; 1 would be a parse error.
    expect(code).toBe(expected.length > 0 ? 3 : 0);
  });
});
