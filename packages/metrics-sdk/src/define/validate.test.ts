import { describe, expect, it } from 'vitest';
import { catalog } from './catalog.js';
import { type DefinitionIssue, MetricDefinitionError } from './errors.js';
import { type ClosedDomain, closed, open } from './labels.js';
import { counter, gauge, histogram, type MetricDef } from './metric.js';
import { MAX_SERIES_CAPACITY, validateDefinitions } from './validate.js';

/** Runs `fn`, expects exactly one MetricDefinitionError, and returns its issues. */
function issuesOf(fn: () => unknown): readonly DefinitionIssue[] {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MetricDefinitionError);
  const error = caught as MetricDefinitionError;
  expect(error.name).toBe('MetricDefinitionError');
  expect(error.issues.length).toBeGreaterThan(0);
  return error.issues;
}

const defsOf = (defs: Record<string, unknown>) => defs as Record<string, MetricDef>;
const emptyClosed = { kind: 'closed', values: [] } as unknown as ClosedDomain;

describe('catalog() definition errors', () => {
  it('rejects a bad metric name', () => {
    const issues = issuesOf(() => catalog({ bad: counter('bad-name', 'help', {}) }));
    expect(issues).toEqual([
      {
        path: 'bad.name',
        message: 'metric name "bad-name" must match ^[a-zA-Z_][a-zA-Z0-9_]*$ and not start with "__"',
      },
    ]);
  });

  it('rejects names that start with a digit or with "__"', () => {
    const issues = issuesOf(() => catalog({ a: counter('9lives', 'h', {}), b: gauge('__private', 'h', {}) }));
    expect(issues.map((i) => i.path)).toEqual(['a.name', 'b.name']);
  });

  it('rejects duplicate names and names an owner', () => {
    const issues = issuesOf(() => catalog({ first: counter('x_total', 'h', {}), second: gauge('x_total', 'h', {}) }));
    expect(issues).toEqual([{ path: 'second.name', message: 'metric name "x_total" is already used by "first"' }]);
  });

  it('rejects a metric that collides with a histogram series, in either declaration order', () => {
    const after = issuesOf(() =>
      catalog({ h: histogram('x', 'h', {}, { buckets: [1] }), c: counter('x_bucket', 'h', {}) }),
    );
    expect(after).toEqual([
      { path: 'c.name', message: 'metric name "x_bucket" is already used by the _bucket series of histogram "h"' },
    ]);
    const before = issuesOf(() =>
      catalog({ c: counter('x_count', 'h', {}), h: histogram('x', 'h', {}, { buckets: [1] }) }),
    );
    expect(before).toEqual([{ path: 'h.name', message: 'histogram series "x_count" is already used by "c"' }]);
  });

  it.each([
    ['le', 'label name "le" is reserved for the exposition'],
    ['quantile', 'label name "quantile" is reserved for the exposition'],
    ['__x', 'label name "__x" starts with "__", which Prometheus reserves'],
    ['9a', 'label name "9a" must match ^[a-zA-Z_][a-zA-Z0-9_]*$'],
    ['has-dash', 'label name "has-dash" must match ^[a-zA-Z_][a-zA-Z0-9_]*$'],
  ])('rejects the label name %s', (label, message) => {
    const issues = issuesOf(() => catalog({ m: counter('m_total', 'h', { [label]: closed('a') }) }));
    expect(issues).toEqual([{ path: `m.labels.${label}`, message }]);
  });

  it('rejects an empty closed domain and duplicate closed values', () => {
    const issues = issuesOf(() =>
      catalog({ m: counter('m_total', 'h', { empty: emptyClosed, twice: closed('buy', 'sell', 'buy') }) }),
    );
    expect(issues).toEqual([
      { path: 'm.labels.empty', message: 'a closed domain needs at least one value' },
      { path: 'm.labels.twice', message: 'closed values must be unique' },
    ]);
  });

  it.each([
    [0, 'budget must be a positive integer, got 0'],
    [-3, 'budget must be a positive integer, got -3'],
    [1.5, 'budget must be a positive integer, got 1.5'],
    [Number.NaN, 'budget must be a positive integer, got NaN'],
  ])('rejects the open budget %s', (budget, message) => {
    const issues = issuesOf(() => catalog({ m: counter('m_total', 'h', { symbol: open({ budget }) }) }));
    expect(issues).toEqual([{ path: 'm.labels.symbol', message }]);
  });

  it.each([
    ['empty', [], 'a histogram needs at least one bucket bound, or native resolution'],
    ['non-increasing', [1, 5, 5], 'bucket bounds must be finite and strictly increasing (+Inf is implicit)'],
    ['decreasing', [10, 1], 'bucket bounds must be finite and strictly increasing (+Inf is implicit)'],
    ['+Inf', [1, Number.POSITIVE_INFINITY], 'bucket bounds must be finite and strictly increasing (+Inf is implicit)'],
    ['NaN', [Number.NaN], 'bucket bounds must be finite and strictly increasing (+Inf is implicit)'],
  ])('rejects %s buckets', (_what, buckets, message) => {
    const issues = issuesOf(() => catalog({ h: histogram('h_ms', 'h', {}, { buckets }) }));
    expect(issues).toEqual([{ path: 'h.buckets', message }]);
  });

  it.each(['', '   '])('rejects the help text %j', (help) => {
    const issues = issuesOf(() => catalog({ m: gauge('m', help, {}) }));
    expect(issues).toEqual([{ path: 'm.help', message: 'help text must be a non-empty string' }]);
  });

  it('rejects a capacity over MAX_SERIES_CAPACITY and accepts one at the limit', () => {
    // 1000 × 1000 slots plus the overflow slot.
    const issues = issuesOf(() =>
      catalog({ m: gauge('m', 'h', { a: open({ budget: 1000 }), b: open({ budget: 1000 }) }) }),
    );
    expect(issues).toEqual([
      {
        path: 'm.labels',
        message: `declares 1000001 series slots, over the limit of ${MAX_SERIES_CAPACITY}; lower a budget`,
      },
    ]);
    // 999,999 values plus the overflow slot: exactly the limit.
    expect(validateDefinitions({ m: gauge('m', 'h', { a: open({ budget: 999_999 }) }) })).toEqual([]);
  });

  it('rejects a budget override that names no open label, at construction', () => {
    const Cat = catalog({ m: counter('m_total', 'h', { side: closed('buy', 'sell'), symbol: open({ budget: 2 }) }) });
    const budgets = { m: { side: 4, nope: 1 }, ghost: { symbol: 1 } } as unknown as { m: { symbol: number } };
    const issues = issuesOf(() => new Cat({ budgets }));
    expect(issues).toEqual([
      { path: 'm.labels.side', message: 'budget override names no open label' },
      { path: 'm.labels.nope', message: 'budget override names no open label' },
      { path: 'budgets.ghost', message: 'budget override names no metric of this catalog' },
    ]);
  });

  it('rejects an invalid budget override value', () => {
    const Cat = catalog({ m: counter('m_total', 'h', { symbol: open({ budget: 2 }) }) });
    const issues = issuesOf(() => new Cat({ budgets: { m: { symbol: 0 } } }));
    expect(issues).toEqual([{ path: 'm.labels.symbol', message: 'budget must be a positive integer, got 0' }]);
  });

  it.each(['beforeCollect', 'constructor', '~families', '~runCollectHooks', '~anything'])(
    'rejects the reserved catalog key %s',
    (key) => {
      const issues = issuesOf(() => catalog({ [key]: counter('m_total', 'h', {}) }));
      expect(issues).toEqual([
        {
          path: key,
          message: `catalog key "${key}" is reserved (catalog members and "~" internals live on the instance); rename the key, the wire name is unaffected`,
        },
      ]);
    },
  );

  it('rejects something that is not a declaration', () => {
    const issues = issuesOf(() =>
      catalog(defsOf({ a: null, b: { kind: 'summary', name: 's', help: 'h', labels: {} }, c: 42 })),
    );
    const message = 'is not a metric declaration; use counter(), gauge() or histogram()';
    expect(issues).toEqual([
      { path: 'a', message },
      { path: 'b', message },
      { path: 'c', message },
    ]);
  });

  it('throws one error with every issue, in declaration order, the first as its message', () => {
    let caught: unknown;
    try {
      catalog({
        ok: counter('ok_total', 'fine', {}),
        badName: counter('bad name', '', { le: closed('a') }),
        dup: gauge('ok_total', 'dup', {}),
      });
    } catch (error) {
      caught = error;
    }
    const error = caught as MetricDefinitionError;
    expect(error).toBeInstanceOf(MetricDefinitionError);
    expect(error.issues.map((i) => i.path)).toEqual(['badName.name', 'badName.help', 'badName.labels.le', 'dup.name']);
    expect(error.message).toBe(
      'badName.name: metric name "bad name" must match ^[a-zA-Z_][a-zA-Z0-9_]*$ and not start with "__" (and 3 more)',
    );
  });
});

describe('validateDefinitions', () => {
  it('returns no issue for valid declarations', () => {
    expect(
      validateDefinitions({
        c: counter('c_total', 'h', { side: closed('buy', 'sell'), symbol: open({ budget: 10 }) }),
        g: gauge('g', 'h', {}, { nonFinite: 'emit' }),
        h: histogram('h_seconds', 'h', { side: closed('buy') }, { buckets: [0.1, 1, 10] }),
      }),
    ).toEqual([]);
  });

  it('is pure: the same input gives the same issues twice', () => {
    const defs = defsOf({ a: counter('x', '', {}), b: counter('x', 'h', {}) });
    expect(validateDefinitions(defs)).toEqual(validateDefinitions(defs));
    expect(validateDefinitions(defs)).toHaveLength(2);
  });
});
