import type { InferLabelValues, LabelSpec } from './labels.js';
import {
  expectArray,
  expectKeys,
  expectObject,
  expectOneOf,
  expectString,
  optionProblem,
  toDefinitionError,
} from './option-checks.js';

/** The three kinds of metric: one way to declare each. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/**
 * What a gauge does with a non-finite value: `'drop'` (default) counts and ignores it; `'emit'`
 * stores it, for gauges that must show `NaN` while undefined (a Sharpe ratio before enough samples).
 */
export type NonFinitePolicy = 'drop' | 'emit';

/** Options shared by every kind. */
export interface MetricOptions {
  /** Unit of the values, for the reference and OTel (`'ms'`, `'usd'`, `'s'`, `'1'`). */
  readonly unit?: string;
}

/**
 * Exemplars of a counter or histogram: the latest sample recorded with exemplar labels (a trace id,
 * an order id) is kept per series, and per bucket of a histogram, and exposed in OpenMetrics and
 * protobuf. `true` declares the labels OpenTelemetry uses, `trace_id` and `span_id`; a list declares
 * others. Storage for them is allocated with the metric's series (per slot: a value, a time and one
 * reference per label), so only metrics that declare exemplars pay for it.
 */
export type ExemplarOption = true | readonly string[];

/** The exemplar labels `exemplars: true` declares: OpenTelemetry's trace and span id. */
export const DEFAULT_EXEMPLAR_LABELS: readonly string[] = Object.freeze(['trace_id', 'span_id']);

/** Counter options. */
export interface CounterOptions extends MetricOptions {
  /** Keep the latest exemplar per series; see {@link ExemplarOption}. */
  readonly exemplars?: ExemplarOption;
}

/**
 * How the primary of a Node cluster combines one gauge's values from its worker processes (counters
 * and histograms are always summed): `'sum'` (open orders, positions), `'min'` or `'max'` (a
 * connection status that is 1 only when every worker's link is up), or `'perWorker'` (default):
 * one series per worker, labelled `worker`, for values that do not add up (a ratio, a last price).
 */
export type GaugeClusterAggregation = 'sum' | 'min' | 'max' | 'perWorker';

/** Gauge options. */
export interface GaugeOptions extends MetricOptions {
  /** See {@link NonFinitePolicy}; default `'drop'`. */
  readonly nonFinite?: NonFinitePolicy;
  /** See {@link GaugeClusterAggregation}; default `'perWorker'`. */
  readonly clusterAggregation?: GaugeClusterAggregation;
}

/**
 * Native (sparse exponential) resolution of a histogram, exposed to Prometheus in protobuf as a
 * native histogram: no bucket layout to choose, a relative error fixed by the schema.
 */
export interface NativeHistogramOptions {
  /**
   * Starting resolution, an integer from −4 to 8: bucket bounds are the powers of 2^(2^−schema)
   * (schema 3: each bucket spans about 9 %; 8: 0.27 %). Default 3.
   */
  readonly schema?: number;
  /**
   * How many consecutive bucket keys a series may span; a sample beyond that halves the series'
   * resolution (schema − 1) until its buckets fit again. Memory: 8 bytes per bucket per series.
   * Default 160.
   */
  readonly maxBuckets?: number;
  /** Samples from 0 up to this value count in the zero bucket. Default 2^−128. */
  readonly zeroThreshold?: number;
}

/** {@link NativeHistogramOptions} with every default filled in. */
export interface NativeHistogramSpec {
  readonly schema: number;
  readonly maxBuckets: number;
  readonly zeroThreshold: number;
}

/** Defaults of the `native` option: schema 3, 160 buckets, zero threshold 2^−128 (client_golang's). */
export const DEFAULT_NATIVE_HISTOGRAM: NativeHistogramSpec = Object.freeze({
  schema: 3,
  maxBuckets: 160,
  zeroThreshold: 2 ** -128,
});

/** Histogram options. */
export interface HistogramOptions extends MetricOptions {
  /**
   * Upper bounds of the classic buckets, finite and strictly increasing; `+Inf` is implicit. May be
   * empty when `native` is given: the text format then shows only the `+Inf` bucket.
   */
  readonly buckets: readonly number[];
  /** Native resolution besides (or instead of) the classic buckets; `true` takes the defaults. */
  readonly native?: NativeHistogramOptions | true;
  /** Keep the latest exemplar per bucket of each series; see {@link ExemplarOption}. */
  readonly exemplars?: ExemplarOption;
}

/**
 * The declaration of one metric. Built by {@link counter}, {@link gauge} or {@link histogram};
 * `~types` is a phantom that carries the inferred label type and never exists at run time.
 *
 * @typeParam K - the kind
 * @typeParam S - the label spec
 */
export interface MetricDef<K extends MetricKind = MetricKind, S extends LabelSpec = LabelSpec> {
  readonly kind: K;
  /** Exact wire name: nothing is appended to it. */
  readonly name: string;
  /** HELP text. */
  readonly help: string;
  /** Declared labels, in the order they are exposed. */
  readonly labels: S;
  /** Unit, or `''`. */
  readonly unit: string;
  /** Histogram bucket bounds; empty for other kinds. */
  readonly buckets: readonly number[];
  /** A histogram's native resolution, when declared. */
  readonly native?: NativeHistogramSpec;
  /** A counter's or histogram's exemplar label names, when it declares exemplars. */
  readonly exemplars?: readonly string[];
  /** Gauge policy for non-finite values; `'drop'` for other kinds. */
  readonly nonFinite: NonFinitePolicy;
  /** A gauge's aggregation across cluster workers, when declared (`'perWorker'` otherwise). */
  readonly clusterAggregation?: GaugeClusterAggregation;
  /** @internal phantom type carrier */
  readonly '~types'?: { readonly labels: InferLabelValues<S> };
}

/** A counter declaration. */
export type CounterDef<S extends LabelSpec = LabelSpec> = MetricDef<'counter', S>;
/** A gauge declaration. */
export type GaugeDef<S extends LabelSpec = LabelSpec> = MetricDef<'gauge', S>;
/** A histogram declaration. */
export type HistogramDef<S extends LabelSpec = LabelSpec> = MetricDef<'histogram', S>;

/** The label object a metric's record calls take. */
export type InferLabels<M> = M extends MetricDef<MetricKind, infer S> ? InferLabelValues<S> : never;

/**
 * Declares a counter: a value that only goes up (requests, messages, errors).
 *
 * @param name - exact wire name (conventionally ending in `_total`; nothing is appended)
 * @param help - one sentence for HELP
 * @param labels - label name to {@link closed} or {@link open} domain
 * @param options - unit and exemplars
 * @returns the declaration
 * @throws MetricDefinitionError at the call for a wrong type or an unknown option, e.g. at `counter("x").labels`
 * @example
 * ```ts
 * const received = counter('market_data_received_total', 'Market data messages received', {
 *   exchange: closed('binance', 'okx'),
 *   symbol: open({ budget: 200 }),
 * });
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function counter<const S extends LabelSpec>(
  name: string,
  help: string,
  labels: S,
  options: CounterOptions = {},
): CounterDef<S> {
  checkDeclaration('counter', name, help, labels, options);
  const def: CounterDef<S> = {
    kind: 'counter',
    name,
    help,
    labels,
    unit: options.unit ?? '',
    buckets: [],
    nonFinite: 'drop',
  };
  return withExemplars(def, options.exemplars);
}

/**
 * Declares a gauge: a value that is set, and may go up and down (prices, positions, status).
 *
 * @param name - exact wire name
 * @param help - one sentence for HELP
 * @param labels - label name to domain
 * @param options - unit and the {@link NonFinitePolicy}
 * @returns the declaration
 * @throws MetricDefinitionError at the call for a wrong type or an unknown option, e.g. at `gauge("x").options.nonFinite`
 */
/* @__NO_SIDE_EFFECTS__ */
export function gauge<const S extends LabelSpec>(
  name: string,
  help: string,
  labels: S,
  options: GaugeOptions = {},
): GaugeDef<S> {
  checkDeclaration('gauge', name, help, labels, options);
  const def: GaugeDef<S> = {
    kind: 'gauge',
    name,
    help,
    labels,
    unit: options.unit ?? '',
    buckets: [],
    nonFinite: options.nonFinite ?? 'drop',
  };
  return options.clusterAggregation === undefined ? def : { ...def, clusterAggregation: options.clusterAggregation };
}

/**
 * Declares a histogram: a distribution of observed values over fixed buckets (latencies).
 *
 * @param name - exact wire name (the exposition adds `_bucket`, `_sum`, `_count`)
 * @param help - one sentence for HELP
 * @param labels - label name to domain
 * @param options - unit and bucket upper bounds
 * @returns the declaration
 * @throws MetricDefinitionError at the call for a wrong type or an unknown option, e.g. at `histogram("x").options.buckets[1]`
 */
/* @__NO_SIDE_EFFECTS__ */
export function histogram<const S extends LabelSpec>(
  name: string,
  help: string,
  labels: S,
  options: HistogramOptions,
): HistogramDef<S> {
  checkDeclaration('histogram', name, help, labels, options);
  const def: HistogramDef<S> = {
    kind: 'histogram',
    name,
    help,
    labels,
    unit: options.unit ?? '',
    buckets: options.buckets,
    nonFinite: 'drop',
  };
  const native = options.native === true ? {} : options.native;
  const withNative =
    native === undefined ? def : { ...def, native: Object.freeze({ ...DEFAULT_NATIVE_HISTOGRAM, ...native }) };
  return withExemplars(withNative, options.exemplars);
}

function withExemplars<D extends MetricDef>(def: D, option: ExemplarOption | undefined): D {
  if (option === undefined) return def;
  return { ...def, exemplars: option === true ? DEFAULT_EXEMPLAR_LABELS : Object.freeze([...option]) };
}

const OPTION_KEYS: { readonly [K in MetricKind]: readonly string[] } = {
  counter: ['unit', 'exemplars'],
  gauge: ['unit', 'nonFinite', 'clusterAggregation'],
  histogram: ['unit', 'buckets', 'native', 'exemplars'],
};

// Types and option keys only, at the call, so a mistake is named where it is written. Values
// (name syntax, empty help, label names, budgets, bucket order) are left to catalog(), which reports
// every one of them, across metrics, in one error.
function checkDeclaration(kind: MetricKind, name: unknown, help: unknown, labels: unknown, options: unknown): void {
  const at = typeof name === 'string' ? `${kind}(${JSON.stringify(name)})` : `${kind}()`;
  expectString(name, `${at}.name`, toDefinitionError);
  expectString(help, `${at}.help`, toDefinitionError);
  for (const [label, domain] of Object.entries(expectObject(labels, `${at}.labels`, toDefinitionError))) {
    if (!isDomain(domain)) {
      const expected = 'a label domain, closed(...) or open({ budget })';
      throw toDefinitionError(optionProblem(`${at}.labels.${label}`, expected, domain));
    }
  }
  if (options === undefined && kind !== 'histogram') return;
  const given = expectObject(options, `${at}.options`, toDefinitionError);
  expectKeys(given, `${at}.options`, OPTION_KEYS[kind], toDefinitionError);
  if (given['unit'] !== undefined) expectString(given['unit'], `${at}.options.unit`, toDefinitionError);
  if (given['nonFinite'] !== undefined) {
    expectOneOf(given['nonFinite'], `${at}.options.nonFinite`, ['drop', 'emit'], toDefinitionError);
  }
  if (given['clusterAggregation'] !== undefined) {
    const aggregations = ['sum', 'min', 'max', 'perWorker'];
    expectOneOf(given['clusterAggregation'], `${at}.options.clusterAggregation`, aggregations, toDefinitionError);
  }
  const exemplars = given['exemplars'];
  if (exemplars !== undefined && exemplars !== true) {
    const names = expectArray(exemplars, `${at}.options.exemplars`, toDefinitionError);
    names.forEach((label, i) => {
      if (typeof label !== 'string') {
        throw toDefinitionError(optionProblem(`${at}.options.exemplars[${i}]`, 'a label name', label));
      }
    });
  }
  if (kind !== 'histogram') return;
  const native = given['native'];
  if (native !== undefined && native !== true) {
    const spec = expectObject(native, `${at}.options.native`, toDefinitionError);
    expectKeys(spec, `${at}.options.native`, ['schema', 'maxBuckets', 'zeroThreshold'], toDefinitionError);
    for (const key of ['schema', 'maxBuckets', 'zeroThreshold']) {
      if (spec[key] !== undefined && typeof spec[key] !== 'number') {
        throw toDefinitionError(optionProblem(`${at}.options.native.${key}`, 'a number', spec[key]));
      }
    }
  }
  const buckets = expectArray(given['buckets'], `${at}.options.buckets`, toDefinitionError);
  buckets.forEach((bound, i) => {
    if (typeof bound !== 'number') {
      throw toDefinitionError(optionProblem(`${at}.options.buckets[${i}]`, 'a number', bound));
    }
  });
}

function isDomain(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const domain = value as { kind?: unknown; values?: unknown; budget?: unknown };
  return (
    (domain.kind === 'closed' && Array.isArray(domain.values)) ||
    (domain.kind === 'open' && typeof domain.budget === 'number')
  );
}
