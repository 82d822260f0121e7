import { describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { MetricLabelError } from '../define/errors.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { codeGenerationAllowed, probeCodeGeneration } from './code-generation.js';
import { interpretResolver } from './interpreted-resolver.js';
import { throwOnInvalidValue } from './invalid.js';
import { computeLayout } from './layout.js';
import { compileResolver, generateResolver } from './resolver.js';

// The "no-codegen" project of vitest.config.ts runs the SDK's unit tests in workers started with this flag; the
// default run has code generation, so the tests that need the flag skip there and say why.
const FLAG = '--disallow-code-generation-from-strings';
const flagged = process.execArgv.includes(FLAG);

const venues = closed('v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9');
const layout = computeLayout(
  counter('c', 'h', { exchange: closed('binance', 'okx'), venue: venues, symbol: open({ budget: 2 }) }),
);

// Every resolver shape: a small closed domain (compared inline when compiled), one over 8 values
// (a Map), an open label with a budget to overflow, a histogram and a metric without labels.
class Desk extends catalog({
  fills: counter('desk_fills_total', 'Fills.', {
    exchange: closed('binance', 'okx'),
    venue: venues,
    symbol: open({ budget: 2 }),
  }),
  latency: histogram('desk_latency_ms', 'Latency.', { exchange: closed('binance', 'okx') }, { buckets: [1, 10] }),
  up: gauge('desk_up', 'Up.', {}),
}) {}

describe('code generation detection', () => {
  it('a probe that throws EvalError, or anything else, means no code generation', () => {
    const evalError = (() => {
      throw new EvalError('Code generation from strings disallowed for this context');
    }) as unknown as FunctionConstructor;
    const typeError = (() => {
      throw new TypeError('Function constructor is disabled');
    }) as unknown as FunctionConstructor;
    expect(probeCodeGeneration(evalError)).toBe(false);
    expect(probeCodeGeneration(typeError)).toBe(false);
  });

  it(`detects this realm (${flagged ? FLAG : 'code generation allowed'}) and builds the matching resolver`, () => {
    expect(probeCodeGeneration()).toBe(!flagged);
    expect(codeGenerationAllowed()).toBe(!flagged);
    expect(compileResolver(layout).name).toBe(flagged ? 'resolveInterpreted' : 'resolve');
  });

  it("'never' interprets in any realm", () => {
    const resolve = compileResolver(layout, 'never');
    expect(resolve.name).toBe(interpretResolver(layout).name);
    expect(resolve({ exchange: 'okx', venue: 'v3', symbol: 'BTC' })).toBe(-1);
  });

  it('a metric without labels needs neither: its resolver is the constant 0', () => {
    const resolve = compileResolver(computeLayout(gauge('g', 'h', {})));
    expect([resolve(undefined), resolve({}), resolve({ x: 'y' })]).toEqual([0, 0, 0]);
  });
});

describe.skipIf(!flagged)(
  flagged
    ? `under ${FLAG}`
    : `under ${FLAG} (skipped: these workers allow code generation; the no-codegen project in vitest.config.ts sets the flag)`,
  () => {
    it('code generation from strings throws EvalError here', () => {
      expect(() => new Function('return 1')).toThrow(EvalError);
      // biome-ignore lint/security/noGlobalEval: proves the flag covers eval too
      expect(() => eval('1')).toThrow(EvalError);
      expect(() => generateResolver(layout)).toThrow(EvalError);
    });

    it('catalogs record and render through the interpreted resolvers', () => {
      const desk = new Desk({ onInvalidValue: throwOnInvalidValue, onOverflow: () => {}, now: () => 0 });
      desk.fills.inc({ exchange: 'okx', venue: 'v9', symbol: 'BTC' });
      desk.fills.add({ exchange: 'okx', venue: 'v9', symbol: 'BTC' }, 2);
      desk.fills.bind({ exchange: 'binance', venue: 'v0', symbol: 'ETH' }).inc();
      desk.fills.inc({ exchange: 'binance', venue: 'v0', symbol: 'ETH' });
      // A third symbol is past the budget of 2: folded into the overflow series and counted.
      desk.fills.inc({ exchange: 'okx', venue: 'v1', symbol: 'SOL' });
      desk.latency.observe({ exchange: 'binance' }, 5);
      desk.latency.bind({ exchange: 'binance' }).observe(50);
      desk.up.bind().set(1);
      expect(() => desk.fills.inc({ exchange: 'kraken', venue: 'v0', symbol: 'ETH' } as never)).toThrow(
        MetricLabelError,
      );
      expect(desk.fills.overflowed).toBe(1);
      expect(new PrometheusWriter([desk], { selfMetrics: false }).renderText()).toBe(
        [
          '# HELP desk_fills_total Fills.',
          '# TYPE desk_fills_total counter',
          'desk_fills_total{exchange="okx",venue="v9",symbol="BTC"} 3',
          'desk_fills_total{exchange="binance",venue="v0",symbol="ETH"} 2',
          'desk_fills_total{otel_metric_overflow="true"} 1',
          '# HELP desk_latency_ms Latency.',
          '# TYPE desk_latency_ms histogram',
          'desk_latency_ms_bucket{exchange="binance",le="1"} 0',
          'desk_latency_ms_bucket{exchange="binance",le="10"} 1',
          'desk_latency_ms_bucket{exchange="binance",le="+Inf"} 2',
          'desk_latency_ms_sum{exchange="binance"} 55',
          'desk_latency_ms_count{exchange="binance"} 2',
          '# HELP desk_up Up.',
          '# TYPE desk_up gauge',
          'desk_up 1',
          '',
        ].join('\n'),
      );
    });
  },
);
