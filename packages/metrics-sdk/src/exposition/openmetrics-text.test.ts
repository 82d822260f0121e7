import { describe, expect, it } from 'vitest';
import { type Catalog, catalog } from '../define/catalog.js';
import { MetricDefinitionError, MetricsOptionError } from '../define/errors.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { CONTENT_TYPES } from './formats.js';
import { canonicalNumber, OpenMetricsWriter, openMetricsUnit } from './openmetrics-text.js';
import { PrometheusWriter } from './prometheus-text.js';

class Small extends catalog({
  lag: histogram('job_lag_seconds', 'Lag of the job.', {}, { unit: 's', buckets: [0.5, 1] }),
  hits: counter('cache_hits_total', 'Cache hits.', { cache: closed('l1', 'l2'), key: open({ budget: 2 }) }),
  depth: gauge('queue_depth', 'Items waiting.', { queue: closed('in', 'out') }),
  latency: histogram('rpc_latency_ms', 'RPC latency.', { rpc: closed('get') }, { unit: 'ms', buckets: [0.25, 10] }),
  pnl: gauge(
    'strategy_pnl_total',
    'Total P&L, a gauge.',
    { strategy: open({ budget: 4 }) },
    {
      unit: 'usd',
      nonFinite: 'emit',
    },
  ),
}) {}

/** A clock that starts at 2023-11-14T22:13:20.250Z and moves 1.5 s per series created. */
function clock(start = 1_700_000_000_250): () => number {
  let t = start;
  return () => {
    const now = t;
    t += 1_500;
    return now;
  };
}

function small(): Small {
  return new Small({ onInvalidValue: throwOnInvalidValue, now: clock() });
}

const render = (...sources: Catalog[]): string => new OpenMetricsWriter(sources, { selfMetrics: false }).renderText();

describe('OpenMetricsWriter', () => {
  it('is the openmetrics-text writer', () => {
    const writer = new OpenMetricsWriter([small()]);
    expect(writer.format).toBe('openmetrics-text');
    expect(writer.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(writer.contentType).toBe(CONTENT_TYPES['openmetrics-text']);
  });

  it('writes metadata for families with no series, TYPE then UNIT then HELP, and ends with # EOF', () => {
    expect(render(small())).toBe(
      [
        '# TYPE job_lag_seconds histogram',
        '# UNIT job_lag_seconds seconds',
        '# HELP job_lag_seconds Lag of the job.',
        '# TYPE cache_hits counter',
        '# HELP cache_hits Cache hits.',
        '# TYPE queue_depth gauge',
        '# HELP queue_depth Items waiting.',
        '# TYPE rpc_latency_ms histogram',
        '# UNIT rpc_latency_ms ms',
        '# HELP rpc_latency_ms RPC latency.',
        '# TYPE strategy_pnl_total gauge',
        '# HELP strategy_pnl_total Total P&L, a gauge.',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('writes counters as _total and _created, gauges bare, histograms as _bucket, _count, _sum, _created', () => {
    const m = small();
    const lag = m.lag.bind(); // created at 1700000000.25
    lag.observe(0.5);
    lag.observe(3);
    m.hits.add({ cache: 'l1', key: 'a' }, 2); // 1700000001.75
    m.hits.add({ cache: 'l2', key: 'b' }, 0.5); // 1700000003.25
    m.depth.set({ queue: 'in' }, 7); // no _created for a gauge
    m.latency.observe({ rpc: 'get' }, 0.1); // 1700000006.25
    expect(render(m)).toBe(
      [
        '# TYPE job_lag_seconds histogram',
        '# UNIT job_lag_seconds seconds',
        '# HELP job_lag_seconds Lag of the job.',
        'job_lag_seconds_bucket{le="0.5"} 1',
        'job_lag_seconds_bucket{le="1.0"} 1',
        'job_lag_seconds_bucket{le="+Inf"} 2',
        'job_lag_seconds_count 2',
        'job_lag_seconds_sum 3.5',
        'job_lag_seconds_created 1700000000.25',
        '# TYPE cache_hits counter',
        '# HELP cache_hits Cache hits.',
        'cache_hits_total{cache="l1",key="a"} 2',
        'cache_hits_created{cache="l1",key="a"} 1700000001.75',
        'cache_hits_total{cache="l2",key="b"} 0.5',
        'cache_hits_created{cache="l2",key="b"} 1700000003.25',
        '# TYPE queue_depth gauge',
        '# HELP queue_depth Items waiting.',
        'queue_depth{queue="in"} 7',
        '# TYPE rpc_latency_ms histogram',
        '# UNIT rpc_latency_ms ms',
        '# HELP rpc_latency_ms RPC latency.',
        'rpc_latency_ms_bucket{rpc="get",le="0.25"} 1',
        'rpc_latency_ms_bucket{rpc="get",le="10.0"} 1',
        'rpc_latency_ms_bucket{rpc="get",le="+Inf"} 1',
        'rpc_latency_ms_count{rpc="get"} 1',
        'rpc_latency_ms_sum{rpc="get"} 0.1',
        'rpc_latency_ms_created{rpc="get"} 1700000006.25',
        '# TYPE strategy_pnl_total gauge',
        '# HELP strategy_pnl_total Total P&L, a gauge.',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('keeps a _total-named gauge as is, with NaN, ±Inf and -0 values and no UNIT line', () => {
    const m = small();
    m.pnl.set({ strategy: 'nan' }, Number.NaN);
    m.pnl.set({ strategy: 'up' }, Number.POSITIVE_INFINITY);
    m.pnl.set({ strategy: 'down' }, Number.NEGATIVE_INFINITY);
    m.pnl.set({ strategy: 'zero' }, -0);
    expect(render(m).split('\n').slice(-8)).toEqual([
      '# TYPE strategy_pnl_total gauge',
      '# HELP strategy_pnl_total Total P&L, a gauge.',
      'strategy_pnl_total{strategy="nan"} NaN',
      'strategy_pnl_total{strategy="up"} +Inf',
      'strategy_pnl_total{strategy="down"} -Inf',
      // -0.0, not -0: python's parser reads an integer-looking value with int(), which has no -0.
      'strategy_pnl_total{strategy="zero"} -0.0',
      '# EOF',
      '',
    ]);
  });

  it('escapes \\, " and LF in label values and in HELP (where 0.0.4 leaves " alone), and passes UTF-8 through', () => {
    class Help extends catalog({
      g: gauge('help_probe', 'a\\b "quoted"\nnext €✓ 💹', { v: open({ budget: 2 }) }),
    }) {}
    const m = new Help({ onInvalidValue: throwOnInvalidValue, now: clock() });
    m.g.set({ v: 'BTC"USD\\T\n€✓ 💹' }, 1);
    expect(render(m)).toBe(
      [
        '# TYPE help_probe gauge',
        '# HELP help_probe a\\\\b \\"quoted\\"\\nnext €✓ 💹',
        'help_probe{v="BTC\\"USD\\\\T\\n€✓ 💹"} 1',
        '# EOF',
        '',
      ].join('\n'),
    );
    expect(new PrometheusWriter([m], { selfMetrics: false }).renderText()).toContain(
      '# HELP help_probe a\\\\b "quoted"\\nnext €✓ 💹\n',
    );
  });

  it('labels the overflow series otel_metric_overflow="true", with its own _created', () => {
    const m = new Small({ onInvalidValue: throwOnInvalidValue, onOverflow: () => {}, now: clock() });
    m.hits.inc({ cache: 'l1', key: 'a' }); // 1700000000.25
    m.hits.inc({ cache: 'l1', key: 'b' }); // 1700000001.75
    m.hits.add({ cache: 'l2', key: 'c' }, 3); // past the budget of 2: overflow, 1700000003.25
    m.hits.inc({ cache: 'l1', key: 'd' });
    const lines = render(m)
      .split('\n')
      .filter((l) => l.startsWith('cache_hits'));
    expect(lines).toEqual([
      'cache_hits_total{cache="l1",key="a"} 1',
      'cache_hits_created{cache="l1",key="a"} 1700000000.25',
      'cache_hits_total{cache="l1",key="b"} 1',
      'cache_hits_created{cache="l1",key="b"} 1700000001.75',
      'cache_hits_total{otel_metric_overflow="true"} 4',
      'cache_hits_created{otel_metric_overflow="true"} 1700000003.25',
    ]);
  });

  it('writes unlabelled counters and gauges without braces', () => {
    class Bare extends catalog({
      up: counter('boots_total', 'Boots.', {}),
      temp: gauge('room_temperature', 'Temperature.', {}),
      sessions: counter('sessions', 'A counter whose wire name has no _total.', {}),
    }) {}
    const m = new Bare({ onInvalidValue: throwOnInvalidValue, now: clock(1_700_000_000_000) });
    m.up.inc({}); // a whole second: written as an integer
    m.temp.bind().set(21.5);
    m.sessions.add({}, 4);
    expect(render(m)).toBe(
      [
        '# TYPE boots counter',
        '# HELP boots Boots.',
        'boots_total 1',
        'boots_created 1700000000',
        '# TYPE room_temperature gauge',
        '# HELP room_temperature Temperature.',
        'room_temperature 21.5',
        '# TYPE sessions counter',
        '# HELP sessions A counter whose wire name has no _total.',
        'sessions_total 4',
        'sessions_created 1700000003',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('picks up new series, follows a removal with a new _created, and reuses its buffer', () => {
    const m = small();
    const writer = new OpenMetricsWriter([m], { selfMetrics: false });
    m.depth.set({ queue: 'in' }, 1);
    m.hits.inc({ cache: 'l1', key: 'a' }); // 1700000001.75
    const first = writer.render();
    const firstText = first.toString('utf8');
    expect(writer.renderText()).toBe(firstText);
    expect(writer.render().buffer).toBe(first.buffer);
    m.hits.remove({ cache: 'l1', key: 'a' });
    m.hits.inc({ cache: 'l1', key: 'a' }); // recreated: 1700000003.25
    m.hits.inc({ cache: 'l2', key: 'b' }); // 1700000004.75
    expect(
      writer
        .renderText()
        .split('\n')
        .filter((l) => l.startsWith('cache_hits')),
    ).toEqual([
      'cache_hits_total{cache="l1",key="a"} 1',
      'cache_hits_created{cache="l1",key="a"} 1700000003.25',
      'cache_hits_total{cache="l2",key="b"} 1',
      'cache_hits_created{cache="l2",key="b"} 1700000004.75',
    ]);
  });

  it('appends the self-metrics by default, as counters with _created', () => {
    const body = new OpenMetricsWriter([small()]).renderText();
    expect(body).toContain('# TYPE ttquant_metrics_overflow_records counter\n');
    expect(body).toMatch(/^ttquant_metrics_dropped_values_total\{metric="cache_hits_total"\} 0$/m);
    expect(body).toMatch(/^ttquant_metrics_dropped_values_created\{metric="cache_hits_total"\} \d+(\.\d+)?$/m);
    expect(body.endsWith('\n# EOF\n')).toBe(true);
  });

  it('checks its arguments as PrometheusWriter does, naming itself', () => {
    const m = small();
    const cases: [unknown, unknown][] = [
      ['x', undefined],
      [[m, 5], undefined],
      [[m], null],
      [[m], { selfMetric: true }],
      [[m], { selfMetrics: 'yes' }],
      [[m], { accounting: false }],
    ];
    const failure = (make: () => unknown): MetricsOptionError => {
      try {
        make();
      } catch (error) {
        expect(error).toBeInstanceOf(MetricsOptionError);
        return error as MetricsOptionError;
      }
      throw new Error('expected a MetricsOptionError');
    };
    const paths = cases.map(([sources, options]) => {
      const ours = failure(() => new OpenMetricsWriter(sources as Catalog[], options as object));
      const text = failure(() => new PrometheusWriter(sources as Catalog[], options as object));
      expect(ours.option).toBe(text.option);
      expect(ours.expected).toBe(text.expected);
      expect(ours.message).toBe(text.message.replace(/^PrometheusWriter:/, 'OpenMetricsWriter:'));
      return ours.option;
    });
    expect(paths).toEqual([
      'sources',
      'sources[1]',
      'options',
      'options.selfMetric',
      'options.selfMetrics',
      'options.accounting',
    ]);
    expect(failure(() => new OpenMetricsWriter([m], { selfMetric: true } as object)).message).toBe(
      'OpenMetricsWriter: options.selfMetric: unknown option (did you mean "selfMetrics"?); expected one of selfMetrics; got boolean true',
    );
  });

  it('rejects names that collide in 0.0.4, and names that only clash in OpenMetrics', () => {
    const issues = (make: () => unknown): unknown => {
      try {
        make();
      } catch (error) {
        expect(error).toBeInstanceOf(MetricDefinitionError);
        return (error as MetricDefinitionError).issues;
      }
      throw new Error('expected a MetricDefinitionError');
    };
    class Same extends catalog({ count: gauge('job_lag_seconds_count', 'Collides with a histogram series.', {}) }) {}
    expect(issues(() => new OpenMetricsWriter([small(), new Same()]))).toEqual([
      { path: 'job_lag_seconds_count', message: 'exposed by two catalogs' },
    ]);
    // Fine in 0.0.4, a clash in OpenMetrics: cache_hits_total's _created sample, and the family `cache_hits`.
    class Created extends catalog({
      created: gauge('cache_hits_created', 'Clashes with the _created sample of cache_hits_total.', {}),
      bare: counter('cache_hits', 'The same family as cache_hits_total.', {}),
    }) {}
    expect(() => new PrometheusWriter([small(), new Created()])).not.toThrow();
    expect(issues(() => new OpenMetricsWriter([small(), new Created()]))).toEqual([
      {
        path: 'cache_hits_created',
        message: 'OpenMetrics name "cache_hits_created" is also used by "cache_hits_total"',
      },
      { path: 'cache_hits', message: 'OpenMetrics name "cache_hits" is also used by "cache_hits_total"' },
      { path: 'cache_hits', message: 'OpenMetrics name "cache_hits_total" is also used by "cache_hits_total"' },
      { path: 'cache_hits', message: 'OpenMetrics name "cache_hits_created" is also used by "cache_hits_total"' },
    ]);
  });
});

describe('canonicalNumber', () => {
  it('spells the spec\'s examples exactly ("Considerations: Canonical Numbers")', () => {
    const steps = [0, 0.001, 0.002, 0.01, 0.1, 0.9, 0.95, 0.99, 0.999, 1, 1.7, 10];
    expect(steps.map(canonicalNumber).join(' ')).toBe('0.0 0.001 0.002 0.01 0.1 0.9 0.95 0.99 0.999 1.0 1.7 10.0');
    const powers = [1e-10, 1e-9, 1e-5, 1e-4, 0.1, 1, 1e5, 1e6, 1e10];
    expect(powers.map(canonicalNumber).join(' ')).toBe('1e-10 1e-09 1e-05 0.0001 0.1 1.0 100000.0 1e+06 1e+10');
  });

  it("matches Go's %g with .0 appended elsewhere, and spells +Inf", () => {
    const cases: [number, string][] = [
      [0.05, '0.05'],
      [2.5, '2.5'],
      [250, '250.0'],
      [5000, '5000.0'],
      [123456.5, '123456.5'],
      [1234567, '1.234567e+06'],
      [0.00012, '0.00012'],
      [0.000012, '1.2e-05'],
      [-2.5e-7, '-2.5e-07'],
      [-3, '-3.0'],
      [1e21, '1e+21'],
      [1e100, '1e+100'],
      [5e-324, '5e-324'],
      [0.1 + 0.2, '0.30000000000000004'],
      [Number.POSITIVE_INFINITY, '+Inf'],
    ];
    expect(cases.map(([value]) => [value, canonicalNumber(value)])).toEqual(cases);
  });
});

describe('openMetricsUnit', () => {
  it('writes a known unit only where it ends the family name, and never the dimensionless 1', () => {
    expect(openMetricsUnit('rpc_latency_ms', 'ms')).toBe('ms');
    expect(openMetricsUnit('rpc_latency_milliseconds', 'ms')).toBe('milliseconds');
    expect(openMetricsUnit('engine_uptime_seconds', 's')).toBe('seconds');
    expect(openMetricsUnit('risk_exposure_usd', 'usd')).toBe('usd');
    expect(openMetricsUnit('strategy_pnl_total', 'usd')).toBe('');
    expect(openMetricsUnit('trade_volume', 'usd')).toBe('');
    expect(openMetricsUnit('strategy_win_rate', '1')).toBe('');
    expect(openMetricsUnit('strategy_sharpe_1', '1')).toBe('');
    expect(openMetricsUnit('queue_depth', '')).toBe('');
    expect(openMetricsUnit('queue_bytes', 'bytes')).toBe('');
  });
});
