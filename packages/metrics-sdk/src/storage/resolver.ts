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
 * Compiles a resolver for one layout. The generated function reads each declared label by a
 * constant key, in declared order, so every property load is monomorphic for the caller's object
 * shape; it never enumerates, sorts or stringifies the object. Label names are validated against
 * the Prometheus label regex before this runs, and every literal is JSON-quoted.
 *
 * @internal
 */
export function compileResolver(layout: SeriesLayout): Resolver {
  if (layout.axes.length === 0) return () => 0;
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
