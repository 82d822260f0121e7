import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closed, type LabelDomain, open } from '../define/labels.js';
import { counter } from '../define/metric.js';
import { codeGenerationAllowed } from './code-generation.js';
import { interpretResolver } from './interpreted-resolver.js';
import { computeLayout } from './layout.js';
import { generateResolver, type Resolver } from './resolver.js';

// Values that are hard on generated code (quotes, backslashes, line separators, keys of
// Object.prototype) mixed with plain ones; open labels draw from the same pool.
const valueArb = fc.oneof(
  fc.constantFrom('buy', 'sell', 'BTC', 'a"b', 'c\\d', '\u2028', '\n', '', 'toString', '__proto__', 'é'),
  fc.string({ maxLength: 4 }),
);

type AxisSpec =
  | { readonly kind: 'closed'; readonly values: readonly string[] }
  | { readonly kind: 'open'; readonly budget: number; readonly interned: readonly string[] };

const axisArb: fc.Arbitrary<AxisSpec> = fc.oneof(
  // Up to 12 values: both sides of the compiled resolver's inline-compare limit of 8.
  fc.record({
    kind: fc.constant('closed' as const),
    values: fc.uniqueArray(valueArb, { minLength: 1, maxLength: 12 }),
  }),
  fc.record({
    kind: fc.constant('open' as const),
    budget: fc.integer({ min: 1, max: 5 }),
    interned: fc.uniqueArray(valueArb, { maxLength: 7 }),
  }),
);

// Label names go into generated code as JSON-quoted keys; the catalog only admits Prometheus label
// names, but the resolvers must agree on any string. (Not the keys of Object.prototype: an open
// label named `constructor` or `toString` reads its budget override from the prototype of the
// empty budgets object, so computeLayout cannot size it.)
const nameArb = fc.oneof(
  fc.stringMatching(/^[a-z_][a-z0-9_]{0,5}$/),
  fc.constantFrom('a"b', 'c\\d', '\u2028', '\n', '', 'é'),
);
const specArb = fc.uniqueArray(fc.tuple(nameArb, axisArb), { maxLength: 4, selector: ([name]) => name });

/** A label value as an untyped caller might pass it: usually a string, sometimes not. */
const givenArb = fc.oneof(
  { weight: 6, arbitrary: valueArb },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, 0, 1, true, Number.NaN) },
  { weight: 1, arbitrary: valueArb.map((v) => new String(v) as unknown) },
);

type Given =
  | { readonly kind: 'object'; readonly entries: readonly (readonly [string, unknown])[] }
  | { readonly kind: 'value'; readonly value: unknown };

/** A label object for `spec`: per declared label, mostly a value it knows, else junk or nothing. */
function givenObjectArb(spec: readonly (readonly [string, AxisSpec])[]): fc.Arbitrary<Given> {
  const declared = spec.map(([name, axis]) => {
    const own = axis.kind === 'closed' ? axis.values : axis.interned;
    const known = own.length > 0 ? fc.constantFrom(...own) : valueArb;
    return fc.oneof(
      { weight: 8, arbitrary: known.map((value) => [[name, value] as const]) },
      { weight: 1, arbitrary: givenArb.map((value) => [[name, value] as const]) },
      { weight: 1, arbitrary: fc.constant([]) },
    );
  });
  const extra = fc.array(fc.tuple(valueArb, givenArb), { maxLength: 2 });
  // Keys in declared order, reversed, or with extra keys first: the caller's object shape varies.
  return fc.tuple(fc.tuple(...declared), extra, fc.boolean()).map(([entries, extras, reversed]) => {
    const own: (readonly [string, unknown])[] = entries.flat();
    if (reversed) own.reverse();
    return { kind: 'object' as const, entries: reversed ? [...extras, ...own] : [...own, ...extras] };
  });
}

const caseArb = specArb.chain((spec) => {
  const given = fc.oneof(
    { weight: 8, arbitrary: givenObjectArb(spec) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('value' as const),
        value: fc.constantFrom<unknown>(null, undefined, 0, 'label', true),
      }),
    },
  );
  return fc.tuple(fc.constant(spec), fc.array(given, { minLength: 1, maxLength: 20 }), fc.array(valueArb));
});

function layoutOf(spec: readonly (readonly [string, AxisSpec])[]) {
  const labels: Record<string, LabelDomain> = {};
  for (const [name, axis] of spec) {
    const domain =
      axis.kind === 'closed' ? closed(...(axis.values as [string, ...string[]])) : open({ budget: axis.budget });
    ownProperty(labels, name, domain);
  }
  const layout = computeLayout(counter('c', 'h', labels));
  spec.forEach(([, axis], i) => {
    if (axis.kind === 'open') for (const value of axis.interned) layout.axes[i]?.interner?.intern(value);
  });
  return layout;
}

/** Calls `resolve` on a fresh copy of `given`, behind a proxy that logs every operation on it. */
function traced(resolve: Resolver, given: Given): { offset: number; trace: string[] } {
  if (given.kind === 'value') return { offset: resolve(given.value), trace: [] };
  const target: Record<string, unknown> = {};
  for (const [key, value] of given.entries) ownProperty(target, key, value);
  const trace: string[] = [];
  const proxy = new Proxy(target, {
    get(t, key) {
      trace.push(`get ${String(key)}`);
      return Reflect.get(t, key);
    },
    has(t, key) {
      trace.push(`has ${String(key)}`);
      return Reflect.has(t, key);
    },
    ownKeys(t) {
      trace.push('ownKeys');
      return Reflect.ownKeys(t);
    },
    getOwnPropertyDescriptor(t, key) {
      trace.push(`descriptor ${String(key)}`);
      return Reflect.getOwnPropertyDescriptor(t, key);
    },
    getPrototypeOf(t) {
      trace.push('getPrototypeOf');
      return Reflect.getPrototypeOf(t);
    },
  });
  return { offset: resolve(proxy), trace };
}

// An own, enumerable property even for a key such as `__proto__`, which plain assignment would
// turn into a prototype change.
function ownProperty(object: object, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

describe.skipIf(!codeGenerationAllowed())(
  codeGenerationAllowed()
    ? 'interpreted vs compiled resolver'
    : 'interpreted vs compiled resolver (skipped: code generation from strings is disallowed here)',
  () => {
    it('give the same offset and read the same keys, in the same order, for any layout and object', () => {
      fc.assert(
        fc.property(caseArb, ([spec, calls, later]) => {
          const layout = layoutOf(spec);
          const compiled = generateResolver(layout);
          const interpreted = interpretResolver(layout);
          const names = new Set(layout.axes.map((axis) => axis.name));
          const check = () => {
            for (const given of calls) {
              const a = traced(compiled, given);
              const b = traced(interpreted, given);
              expect(b).toEqual(a);
              // Declared keys only, each read at most once, and never an enumeration.
              expect(b.trace.every((op) => op.startsWith('get ') && names.has(op.slice(4)))).toBe(true);
              expect(new Set(b.trace).size).toBe(b.trace.length);
              expect(b.offset).toBeGreaterThanOrEqual(-1);
              expect(b.offset).toBeLessThan(layout.capacity);
            }
          };
          check();
          // Values interned after the resolvers were built resolve in both: they read the live interner.
          for (const axis of layout.axes) for (const value of later) axis.interner?.intern(value);
          check();
        }),
        { numRuns: 300 },
      );
    });
  },
);
