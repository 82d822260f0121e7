// Options from untyped JavaScript: every public entry point checks each option at the call. For each
// option path of each entry point, values of every wrong type (and numbers out of range, NaN,
// floats for integers, empty strings, objects for strings, functions, symbols, bigints, null) must
// throw synchronously the entry point's own named error, a MetricsError, that names the path. A valid
// baseline must not throw, and an unknown key is rejected by name.

import { MetricReader } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { LedgerInputError } from '../../src/analytics/input-error.js';
import { TradingLedger } from '../../src/analytics/ledger.js';
import { DEFAULT_VENUES } from '../../src/catalogs/domains.js';
import { GatewayMetrics } from '../../src/catalogs/gateway.js';
import { StrategyMetrics } from '../../src/catalogs/strategy.js';
import { catalog } from '../../src/define/catalog.js';
import { MetricDefinitionError, MetricsError, MetricsOptionError } from '../../src/define/errors.js';
import { closed, open } from '../../src/define/labels.js';
import { counter, gauge, histogram } from '../../src/define/metric.js';
import { PrometheusWriter } from '../../src/exposition/prometheus-text.js';
import { createMeterProvider } from '../../src/otel/meter-provider.js';
import { CatalogMetricProducer } from '../../src/otel/producer.js';
import { registerCatalogs } from '../../src/prom-client/interop.js';
import { MetricsServerConfigError } from '../../src/server/config-error.js';
import { createMetricsServer, type MetricsServer } from '../../src/server/metrics-server.js';
import { throwOnInvalidValue } from '../../src/storage/invalid.js';

const NUM_RUNS = 50;

const Shop = catalog({
  orders: counter('opt_orders_total', 'Orders.', { side: closed('buy', 'sell'), symbol: open({ budget: 2 }) }),
});
const Desk = catalog({ price: gauge('opt_price', 'Price.', {}) });
const shop = new Shop({ onInvalidValue: throwOnInvalidValue });
const desk = new Desk({ onInvalidValue: throwOnInvalidValue });
const strategyMetrics = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue });
const gatewayMetrics = new GatewayMetrics({ onInvalidValue: throwOnInvalidValue });

class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

// What each check accepts, mirrored here as predicates over any value.
type Valid = (value: unknown) => boolean;
const isObject: Valid = (v) =>
  typeof v === 'object' && v !== null && Object.prototype.toString.call(v) === '[object Object]';
const optional =
  (valid: Valid): Valid =>
  (v) =>
    v === undefined || valid(v);
const isString: Valid = (v) => typeof v === 'string';
const nonEmpty: Valid = (v) => typeof v === 'string' && v !== '';
const isBoolean: Valid = (v) => typeof v === 'boolean';
const isFunction: Valid = (v) => typeof v === 'function';
const isArray: Valid = (v) => Array.isArray(v);
const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Valid =>
  (v) =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const positive: Valid = (v) => Number.isFinite(v) && (v as number) > 0;
const isCatalog: Valid = (v) => isObject(v) && Array.isArray((v as { '~families'?: unknown })['~families']);
// Nothing fc generates is a catalog instance, a registry or a reader factory.
const never: Valid = () => false;

/** One option path: what it accepts, and what must be set around it first. */
interface PathSpec {
  readonly valid: Valid;
  /** Values set (at argument paths) before the mutated one: the containers it lives in. */
  readonly context?: readonly (readonly [string, unknown])[];
}

/** One public entry point, its valid arguments and every option path it checks. */
interface EntryPoint {
  readonly name: string;
  /** The named error it throws for a wrong option. */
  readonly error: abstract new (
    ...args: never[]
  ) => MetricsError;
  /** Valid arguments, by argument name (`options`, `sources`, …). */
  readonly baseline: () => Record<string, unknown>;
  /** Calls it; returns what was created, for {@link EntryPoint.dispose}. */
  readonly call: (args: Record<string, unknown>) => unknown;
  readonly dispose?: (created: unknown) => Promise<void> | void;
  /** Argument path → option path as the error names it (default: the same). */
  readonly reported?: (path: string) => string;
  readonly paths: Readonly<Record<string, PathSpec>>;
  /** Objects that reject an unknown key, with the context they need. */
  readonly containers: Readonly<Record<string, PathSpec['context']>>;
}

const withoutOptions = (path: string) => (path === 'options' ? path : path.replace(/^options\./, ''));

function declaration(kind: 'counter' | 'gauge' | 'histogram', optionPaths: Record<string, PathSpec>): EntryPoint {
  const factory = { counter, gauge, histogram }[kind] as (...args: unknown[]) => unknown;
  return {
    name: `${kind}()`,
    error: MetricDefinitionError,
    baseline: () => ({
      name: 'm_total',
      help: 'h',
      labels: { side: closed('buy', 'sell') },
      options: kind === 'histogram' ? { buckets: [1, 2] } : {},
    }),
    call: (a) => factory(a['name'], a['help'], a['labels'], a['options']),
    reported: (path) => (path === 'name' ? `${kind}().name` : `${kind}("m_total").${path}`),
    paths: {
      name: { valid: isString },
      help: { valid: isString },
      labels: { valid: isObject },
      'labels.side': { valid: never },
      options: { valid: kind === 'histogram' ? isObject : optional(isObject) },
      'options.unit': { valid: optional(isString) },
      ...optionPaths,
    },
    containers: { options: [] },
  };
}

const bearer = [['options.auth', { bearerToken: 't' }]] as const;
const basic = [['options.auth', { basic: { username: 'u', password: 'p' } }]] as const;
const tls = [['options.tls', { keyPath: 'server.key', certPath: 'server.pem' }]] as const;
const timeouts = [['options.timeouts', {}]] as const;
const sharpe = [['options.sharpe', {}]] as const;
const gateway = [['options.gateway', { metrics: gatewayMetrics, exchange: DEFAULT_VENUES[0] }]] as const;
const producer = [['options.producer', {}]] as const;
const views = [['options.views', [{ instrumentName: 'x' }]]] as const;
const budgets = [['options.budgets', {}]] as const;

const ENTRY_POINTS: readonly EntryPoint[] = [
  {
    name: 'createMetricsServer',
    error: MetricsServerConfigError,
    baseline: () => ({ options: { sources: [shop, desk], service: 'svc', port: 0, runtimeMetrics: false } }),
    call: (a) => createMetricsServer(a['options'] as never),
    dispose: (server) => (server as MetricsServer).close(),
    reported: withoutOptions,
    paths: {
      options: { valid: isObject },
      'options.sources': { valid: isArray },
      'options.sources[1]': { valid: isCatalog },
      'options.service': { valid: nonEmpty },
      'options.port': { valid: optional(integer(0, 65_535)) },
      'options.host': { valid: optional(nonEmpty) },
      'options.runtimeMetrics': { valid: optional(isBoolean) },
      // The old name of runtimeMetrics: only its absence is valid.
      'options.processMetrics': { valid: (v) => v === undefined },
      'options.selfMetrics': { valid: optional(isBoolean) },
      'options.auth': { valid: optional(isObject) },
      'options.auth.bearerToken': { valid: optional(nonEmpty), context: bearer },
      'options.auth.basic': { valid: optional(isObject), context: basic },
      'options.auth.basic.username': { valid: nonEmpty, context: basic },
      'options.auth.basic.password': { valid: nonEmpty, context: basic },
      'options.tls': { valid: optional(isObject) },
      'options.tls.keyPath': { valid: nonEmpty, context: tls },
      'options.tls.certPath': { valid: nonEmpty, context: tls },
      'options.tls.caPath': { valid: optional(nonEmpty), context: tls },
      'options.timeouts': { valid: optional(isObject) },
      'options.timeouts.headersMs': { valid: optional(integer(1, 30_000)), context: timeouts },
      'options.timeouts.requestMs': { valid: optional(integer(10_000)), context: timeouts },
      'options.timeouts.idleMs': { valid: optional(integer(1)), context: timeouts },
      'options.timeouts.inactivityMs': { valid: optional(integer(1)), context: timeouts },
      'options.maxConnections': { valid: optional(integer(1)) },
      'options.now': { valid: optional(isFunction) },
      'options.onError': { valid: optional(isFunction) },
    },
    containers: {
      options: [],
      'options.auth': bearer,
      'options.auth.basic': basic,
      'options.tls': tls,
      'options.timeouts': timeouts,
    },
  },
  {
    name: 'PrometheusWriter',
    error: MetricsOptionError,
    baseline: () => ({ sources: [shop, desk], options: {} }),
    call: (a) => new PrometheusWriter(a['sources'] as never, a['options'] as never),
    paths: {
      sources: { valid: isArray },
      'sources[1]': { valid: isCatalog },
      options: { valid: optional(isObject) },
      'options.selfMetrics': { valid: optional(isBoolean) },
    },
    containers: { options: [] },
  },
  {
    name: 'CatalogMetricProducer',
    error: MetricsOptionError,
    baseline: () => ({ sources: [shop, desk], options: {} }),
    call: (a) => new CatalogMetricProducer(a['sources'] as never, a['options'] as never),
    paths: {
      sources: { valid: isArray },
      'sources[1]': { valid: isCatalog },
      options: { valid: optional(isObject) },
      'options.now': { valid: optional(isFunction) },
      'options.units': { valid: (v) => v === undefined || v === 'omit' || v === 'declared' },
      'options.selfMetrics': { valid: optional(isBoolean) },
    },
    containers: { options: [] },
  },
  {
    name: 'createMeterProvider',
    error: MetricsOptionError,
    baseline: () => ({
      options: { sources: [shop, desk], readers: [(metricProducers: never) => new TestReader({ metricProducers })] },
    }),
    call: (a) => createMeterProvider(a['options'] as never),
    dispose: (provider) => (provider as { shutdown(): Promise<void> }).shutdown(),
    reported: withoutOptions,
    paths: {
      options: { valid: isObject },
      'options.sources': { valid: isArray },
      'options.sources[0]': { valid: isCatalog },
      'options.readers': { valid: isArray },
      // A function fc makes returns no reader: rejected too, once called.
      'options.readers[0]': { valid: never },
      'options.resource': { valid: (v) => v === undefined },
      'options.views': { valid: optional(isArray) },
      'options.views[0]': { valid: isObject, context: views },
      'options.producer': { valid: optional(isObject) },
      'options.producer.units': {
        valid: (v) => v === undefined || v === 'omit' || v === 'declared',
        context: producer,
      },
      'options.producer.now': { valid: optional(isFunction), context: producer },
    },
    containers: { options: [], 'options.producer': producer },
  },
  {
    name: 'registerCatalogs',
    error: MetricsOptionError,
    baseline: () => ({ registry: new Registry(), sources: [shop, desk], options: {} }),
    call: (a) => registerCatalogs(a['registry'] as never, a['sources'] as never, a['options'] as never),
    paths: {
      registry: { valid: never },
      sources: { valid: isArray },
      'sources[1]': { valid: isCatalog },
      options: { valid: optional(isObject) },
      'options.selfMetrics': { valid: optional(isBoolean) },
    },
    containers: { options: [] },
  },
  {
    name: 'new Catalog()',
    error: MetricDefinitionError,
    baseline: () => ({ options: { onInvalidValue: throwOnInvalidValue } }),
    call: (a) => new Shop(a['options'] as never),
    paths: {
      options: { valid: optional(isObject) },
      'options.budgets': { valid: optional(isObject) },
      // A budget override of one metric: label → budget (the budgets are checked by catalog()).
      'options.budgets.orders': { valid: optional(isObject), context: budgets },
      'options.onInvalidValue': { valid: optional(isFunction) },
      'options.onOverflow': { valid: optional(isFunction) },
      'options.now': { valid: optional(isFunction) },
    },
    containers: { options: [] },
  },
  declaration('counter', {}),
  declaration('gauge', { 'options.nonFinite': { valid: (v) => v === undefined || v === 'drop' || v === 'emit' } }),
  declaration('histogram', {
    'options.buckets': { valid: isArray },
    'options.buckets[1]': { valid: (v) => typeof v === 'number' },
  }),
  {
    name: 'closed()',
    error: MetricDefinitionError,
    baseline: () => ({ values: ['buy', 'sell'] }),
    call: (a) => closed(...(a['values'] as [string])),
    reported: (path) => path.replace(/^values/, 'closed()'),
    paths: { 'values[1]': { valid: isString } },
    containers: {},
  },
  {
    name: 'open()',
    error: MetricDefinitionError,
    baseline: () => ({ options: { budget: 10 } }),
    call: (a) => open(a['options'] as never),
    reported: (path) => path.replace(/^options/, 'open()'),
    paths: {
      options: { valid: isObject },
      // Only the type at the call: catalog() checks the value with the rest of the catalog.
      'options.budget': { valid: (v) => typeof v === 'number' },
    },
    containers: { options: [] },
  },
  {
    name: 'TradingLedger',
    error: LedgerInputError,
    baseline: () => ({ options: { metrics: strategyMetrics } }),
    call: (a) => new TradingLedger(a['options'] as never),
    reported: withoutOptions,
    paths: {
      options: { valid: isObject },
      'options.metrics': { valid: optional(never) },
      'options.gateway': { valid: optional(isObject) },
      'options.publishers': {
        // An array of objects whose publisher methods, where present, are functions.
        valid: optional(
          (v) =>
            isArray(v) &&
            (v as unknown[]).every(
              (p) =>
                typeof p === 'object' &&
                p !== null &&
                ['strategy', 'position', 'symbol', 'account'].every((k) => {
                  const method = (p as Record<string, unknown>)[k];
                  return method === undefined || isFunction(method);
                }),
            ),
        ),
      },
      'options.gateway.metrics': { valid: never, context: gateway },
      'options.gateway.exchange': {
        valid: (v) => (DEFAULT_VENUES as readonly unknown[]).includes(v),
        context: gateway,
      },
      'options.sharpe': { valid: optional(isObject) },
      'options.sharpe.periodMs': { valid: optional(positive), context: sharpe },
      'options.sharpe.periodsPerYear': { valid: optional(positive), context: sharpe },
      'options.sharpe.riskFreeRate': { valid: optional(Number.isFinite as Valid), context: sharpe },
      'options.sharpe.minSamples': { valid: optional(integer(2)), context: sharpe },
      'options.autoRegister': { valid: optional(isBoolean) },
    },
    containers: { options: [], 'options.sharpe': sharpe, 'options.gateway': gateway },
  },
];

// Values at the edges of every check, tried on every path before the random ones.
const EDGES: readonly unknown[] = [
  undefined,
  null,
  Number.NaN,
  Infinity,
  -Infinity,
  -1,
  -0,
  0,
  1,
  2,
  1.5,
  9_999,
  30_001,
  65_535,
  65_536,
  2 ** 53,
  -(2 ** 53),
  '',
  ' ',
  'x',
  'drop',
  true,
  false,
  0n,
  Symbol('s'),
  () => 1,
  [],
  [1],
  {},
  Object.create(null),
  Object(false),
  Object('x'),
  new Map(),
  new Date(0),
  new Float64Array(1),
];

// Every kind of wrong value: fc's whole value space (boxed values, maps, dates, typed arrays,
// null-prototype objects included), plus the edges, numbers and strings, symbols, bigints and
// functions; each path keeps only what its check must reject.
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withSparseArray: true,
    withNullPrototype: true,
  }),
  fc.constantFrom(...EDGES),
  fc.double(),
  fc.integer({ min: -100_000, max: 100_000 }),
  fc.string({ maxLength: 8 }),
  fc.bigInt(),
  fc.string({ maxLength: 8 }).map((description) => Symbol(description)),
  fc.func(fc.anything()),
  fc.array(fc.anything(), { maxLength: 3 }),
);

function tokens(path: string): string[] {
  return path.match(/[^.[\]]+/g) ?? [];
}

// A copy of `root` with `value` at `keys`, copying only the containers on the way.
function setAt(root: unknown, keys: readonly string[], value: unknown): unknown {
  if (keys.length === 0) return value;
  const [head, ...rest] = keys as [string, ...string[]];
  const copy: Record<string, unknown> = Array.isArray(root) ? ([...root] as never) : { ...(root as object) };
  copy[head] = setAt(copy[head], rest, value);
  return copy;
}

function argumentsWith(entry: EntryPoint, context: PathSpec['context'] = []): Record<string, unknown> {
  let args: unknown = entry.baseline();
  for (const [path, value] of context) args = setAt(args, tokens(path), value);
  return args as Record<string, unknown>;
}

function reportedPath(error: unknown): string | undefined {
  if (error instanceof MetricsOptionError) return error.option;
  if (error instanceof MetricDefinitionError) return error.issues[0]?.path;
  if (error instanceof LedgerInputError) return error.field;
  return undefined;
}

// Calls the entry point and returns what it threw; anything it created by mistake is disposed.
const leftovers: Promise<void>[] = [];
function thrownBy(entry: EntryPoint, args: Record<string, unknown>): unknown {
  let created: unknown;
  try {
    created = entry.call(args);
  } catch (error) {
    return error;
  }
  leftovers.push(Promise.resolve(entry.dispose?.(created)));
  return undefined;
}

function expectNamedError(entry: EntryPoint, error: unknown, option: string): void {
  expect(error).toBeInstanceOf(entry.error);
  expect(error).toBeInstanceOf(MetricsError);
  expect(reportedPath(error)).toBe(option);
  const message = (error as Error).message;
  expect(message).toContain(option);
  expect(message).toContain('got ');
  if (error instanceof MetricsOptionError) expect(error.expected).not.toBe('');
}

afterAll(async () => {
  await Promise.all(leftovers);
});

describe.each(ENTRY_POINTS.map((entry) => [entry.name, entry] as const))('%s', (_name, entry) => {
  const report = entry.reported ?? ((path: string) => path);
  const contexts = [[], ...Object.values(entry.paths).map((spec) => spec.context ?? [])];

  it('accepts its valid arguments, in every context the paths use', async () => {
    for (const context of contexts) {
      // The TLS files of the context are never read in the property below: the shape fails first.
      if (context === tls) continue;
      let created: unknown;
      expect(() => {
        created = entry.call(argumentsWith(entry, context));
      }).not.toThrow();
      await entry.dispose?.(created);
    }
  });

  it.each(Object.entries(entry.paths))('rejects every wrong value of %s, naming it', (path, spec) => {
    fc.assert(
      fc.property(
        anyValue.filter((value) => !spec.valid(value)),
        (value) => {
          const error = thrownBy(entry, setAt(argumentsWith(entry, spec.context), tokens(path), value) as never);
          expectNamedError(entry, error, report(path));
        },
      ),
      { numRuns: NUM_RUNS, examples: EDGES.filter((value) => !spec.valid(value)).map((value) => [value]) },
    );
  });

  it.each(Object.entries(entry.containers))('rejects an unknown key in %s, naming it', (path, context) => {
    const key = fc.string({ minLength: 1, maxLength: 12 }).map((s) => `x_${s}`);
    fc.assert(
      fc.property(key, fc.anything(), (name, value) => {
        const error = thrownBy(entry, setAt(argumentsWith(entry, context), [...tokens(path), name], value) as never);
        expectNamedError(entry, error, report(`${path}.${name}`));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('a misspelt option', () => {
  it.each([
    [
      'createMetricsServer',
      () => createMetricsServer({ sources: [], service: 'x', maxConection: 1 } as never),
      'maxConnections',
    ],
    [
      'TradingLedger',
      () => new TradingLedger({ metrics: strategyMetrics, autoregister: true } as never),
      'autoRegister',
    ],
    ['new Catalog()', () => new Shop({ onInvalidValues: throwOnInvalidValue } as never), 'onInvalidValue'],
    ['counter()', () => counter('m_total', 'h', {}, { units: 'ms' } as never), 'unit'],
    ['PrometheusWriter', () => new PrometheusWriter([shop], { selfMetric: false } as never), 'selfMetrics'],
  ])('%s: names the closest option', (_name, call, closest) => {
    expect(call).toThrow(expect.objectContaining({ message: expect.stringContaining(`did you mean "${closest}"?`) }));
  });

  it.each([
    ['createMetricsServer', () => createMetricsServer({ sources: [], service: 'x', accounting: false } as never)],
    ['PrometheusWriter', () => new PrometheusWriter([shop], { accounting: false } as never)],
    ['CatalogMetricProducer', () => new CatalogMetricProducer([shop], { accounting: false } as never)],
    ['registerCatalogs', () => registerCatalogs(new Registry(), [shop], { accounting: false } as never)],
  ])('%s: names selfMetrics when given the old option accounting', (_name, call) => {
    expect(call).toThrow(expect.objectContaining({ message: expect.stringContaining('was renamed selfMetrics') }));
  });

  it('points a typo of the old name processMetrics to runtimeMetrics', () => {
    const call = () => createMetricsServer({ sources: [], service: 'x', procesMetrics: false } as never);
    expect(call).toThrow(expect.objectContaining({ option: 'procesMetrics' }));
    expect(call).toThrow(expect.not.objectContaining({ message: expect.stringContaining('"processMetrics"') }));
    expect(call).toThrow(expect.objectContaining({ message: expect.stringContaining('runtimeMetrics') }));
  });
});
