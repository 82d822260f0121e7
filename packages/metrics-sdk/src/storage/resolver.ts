import { type CodeGeneration, codeGenerationAllowed } from './code-generation.js';
import { interpretResolver, resolveNoLabels } from './interpreted-resolver.js';
import type { SeriesLayout } from './layout.js';

/**
 * Maps a label object to its series offset, or `-1` when any value is not yet known (a miss: the
 * caller then takes the slow path, which validates and interns).
 *
 * @internal
 */
export type Resolver = (labels: unknown) => number;

// Closed domains up to this size compare by `===` (interned literals compare by pointer); larger
// ones use a Map.
const INLINE_CLOSED_MAX = 8;

/**
 * Builds the resolver of one layout: compiled with `new Function` where the host allows code
 * generation from strings (the fast path), interpreted where it does not, so the catalogs also run
 * under `node --disallow-code-generation-from-strings`, a Content Security Policy without
 * `'unsafe-eval'` and edge runtimes. Both give the same offset for every label object.
 *
 * The choice is detection, made once per process, plus this parameter, which a caller that knows
 * its host can pass to skip the probe; there is deliberately no process-wide switch, because a
 * setting that any module can flip would let one library change another's resolvers. A metric
 * without labels needs neither: its resolver is the constant 0.
 *
 * @param layout - the metric's storage layout
 * @param codeGeneration - `'never'` interprets without probing; `'auto'` (the default) compiles
 *   when {@link codeGenerationAllowed}
 * @returns the resolver
 * @internal
 */
export function compileResolver(layout: SeriesLayout, codeGeneration: CodeGeneration = 'auto'): Resolver {
  if (layout.axes.length === 0) return resolveNoLabels;
  if (codeGeneration === 'auto' && codeGenerationAllowed()) return generateResolver(layout);
  return interpretResolver(layout);
}

/**
 * Compiles a resolver for one layout. The generated function reads each declared label by a
 * constant key, in declared order, so every property load is monomorphic for the caller's object
 * shape; it never enumerates, sorts or stringifies the object. Label names are validated against
 * the Prometheus label regex before this runs, and every literal is JSON-quoted.
 *
 * @param layout - the metric's storage layout
 * @returns the compiled resolver
 * @throws EvalError where code generation from strings is disallowed: call {@link compileResolver}
 * @internal
 */
export function generateResolver(layout: SeriesLayout): Resolver {
  if (layout.axes.length === 0) return resolveNoLabels;
  const params: string[] = [];
  const args: unknown[] = [];
  const body: string[] = [
    '"use strict";',
    'return function resolve(l) {',
    'if (l == null) return -1;',
    'var o = 0, v, m;',
  ];
  layout.axes.forEach((axis, i) => {
    body.push(`v = l[${JSON.stringify(axis.name)}];`);
    const add = axis.stride === 1 ? '' : ` * ${axis.stride}`;
    if (axis.interner !== undefined) {
      params.push(`m${i}`);
      args.push(axis.interner.ordinals);
      body.push(`m = m${i}.get(v); if (m === undefined) return -1; o += m${add};`);
    } else if (axis.closedValues.length <= INLINE_CLOSED_MAX) {
      const arms = axis.closedValues.map(
        (value, ordinal) => `if (v === ${JSON.stringify(value)}) o += ${ordinal * axis.stride};`,
      );
      body.push(`${arms.join(' else ')} else return -1;`);
    } else {
      params.push(`m${i}`);
      args.push(new Map(axis.closedValues.map((value, ordinal) => [value, ordinal])));
      body.push(`m = m${i}.get(v); if (m === undefined) return -1; o += m${add};`);
    }
  });
  body.push('return o;', '};');
  const factory = new Function(...params, body.join('\n')) as (...a: unknown[]) => Resolver;
  return factory(...args);
}
