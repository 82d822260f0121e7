import { expectKeys, expectObject, optionProblem, toDefinitionError } from './option-checks.js';

/**
 * A label whose values are known when the catalog is written (`side: buy | sell`). Values become
 * ordinals at definition time, so resolving a series is plain arithmetic.
 *
 * @typeParam V - the union of allowed values
 */
export interface ClosedDomain<V extends string = string> {
  readonly kind: 'closed';
  /** The allowed values, in declaration order (ordinal = index). */
  readonly values: readonly V[];
}

/**
 * A label whose values arrive at run time (`symbol`), bounded by a cardinality budget: past the
 * budget, new values fold into one overflow series instead of growing memory.
 */
export interface OpenDomain {
  readonly kind: 'open';
  /** How many distinct values get their own series. */
  readonly budget: number;
}

/** Either kind of label domain. */
export type LabelDomain = ClosedDomain | OpenDomain;

/** The label declarations of one metric: label name to domain. */
export type LabelSpec = { readonly [label: string]: LabelDomain };

/**
 * Declares a closed label domain. The values are `const` generics, so a typo in a record call
 * fails to compile.
 *
 * @param values - every allowed value, at least one, no duplicates
 * @returns the domain
 * @throws MetricDefinitionError at `closed()[i]` for a value that is not a string
 * @example
 * ```ts
 * const side = closed('buy', 'sell'); // ClosedDomain<'buy' | 'sell'>
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function closed<const V extends readonly [string, ...string[]]>(...values: V): ClosedDomain<V[number]> {
  values.forEach((value, i) => {
    if (typeof value !== 'string') throw toDefinitionError(optionProblem(`closed()[${i}]`, 'a string', value));
  });
  return { kind: 'closed', values: Object.freeze([...values]) };
}

/**
 * Declares an open label domain with a cardinality budget.
 *
 * @param options - `budget`: how many distinct values get their own series (a positive integer)
 * @returns the domain
 * @throws MetricDefinitionError at `open()` or `open().budget` for an options object of the wrong shape
 * @example
 * ```ts
 * const symbol = open({ budget: 200 });
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function open(options: { readonly budget: number }): OpenDomain {
  const given = expectObject(options, 'open()', toDefinitionError);
  expectKeys(given, 'open()', ['budget'], toDefinitionError);
  // Only the type here: catalog() checks the value, with every other issue of the catalog.
  if (typeof given['budget'] !== 'number') {
    throw toDefinitionError(optionProblem('open().budget', 'a positive integer', given['budget']));
  }
  return { kind: 'open', budget: options.budget };
}

/** The value type of one domain: its union for a closed domain, `string` for an open one. */
export type InferDomainValue<D> = D extends ClosedDomain<infer V> ? V : string;

/**
 * The label object of a metric declared with no labels: only `{}` fits. An index signature of
 * `never`, because the plain `{}` type would accept any object (TypeScript checks no excess
 * properties against `{}`), so a stray label would compile.
 */
export type NoLabels = { readonly [label: string]: never };

/**
 * The label object a record call takes for a label spec: every declared label, required; for a
 * spec with no labels, {@link NoLabels}.
 */
export type InferLabelValues<S extends LabelSpec> = keyof S extends never
  ? NoLabels
  : { readonly [K in keyof S]: InferDomainValue<S[K]> };
