import { describe, expect, it } from 'vitest';
import { checkExpr, seriesIndex } from '../src/dashboards/promql-lint.js';
import { dashboardQueries, variableQueries } from '../src/dashboards/queries.js';

describe('dashboard PromQL against the catalogs', () => {
  const queries = dashboardQueries();

  it('parses every panel query and uses only catalog metrics, their labels and defined variables', () => {
    const problems = queries
      .map((q) => ({ where: `${q.panelTitle} [${q.refId}]`, problems: checkExpr(q.expr).problems }))
      .filter((r) => r.problems.length > 0);
    expect(problems).toEqual([]);
    expect(queries.length).toBeGreaterThanOrEqual(43);
  });

  it('checks the variables value queries the same way', () => {
    const vars = variableQueries();
    expect(vars.map((v) => v.name)).toEqual(['exchange', 'symbol', 'strategy']);
    for (const v of vars) {
      const report = checkExpr(v.match);
      expect(report.problems, v.name).toEqual([]);
      const index = seriesIndex();
      const info = index.get(report.metrics[0] ?? '');
      expect(info?.labels.has(v.label), `${v.name} lists a label its metric declares`).toBe(true);
    }
  });
});

describe('checkExpr', () => {
  it('accepts histogram series with le on _bucket, target labels and up', () => {
    expect(
      checkExpr(
        'histogram_quantile(0.99, sum by (le, exchange) (rate(market_data_latency_ms_bucket{job="m", instance="i"}[$__rate_interval])))',
      ),
    ).toEqual({ problems: [], metrics: ['market_data_latency_ms'] });
    expect(
      checkExpr('sum(rate(order_processing_latency_ms_sum[5m])) / sum(rate(order_processing_latency_ms_count[5m]))'),
    ).toEqual({ problems: [], metrics: ['order_processing_latency_ms'] });
    expect(checkExpr('up{job="gateway"} == 0')).toEqual({ problems: [], metrics: ['up'] });
  });

  it('reports a metric that is not in the catalog', () => {
    expect(checkExpr('rate(market_data_recieved_total[5m])').problems).toEqual([
      'metric market_data_recieved_total is not in the catalog',
    ]);
    // A histogram has no bare series, only _bucket/_sum/_count.
    expect(checkExpr('market_data_latency_ms').problems).toEqual([
      'metric market_data_latency_ms is not in the catalog',
    ]);
  });

  it('reports a matcher label the metric does not declare', () => {
    expect(checkExpr('ws_connection_status{exchange="okx", symbol="BTCUSDT"}').problems).toEqual([
      'label symbol in a matcher is not a label of ws_connection_status',
    ]);
    expect(checkExpr('market_data_latency_ms_sum{le="5"}').problems).toEqual([
      'label le in a matcher is not a label of market_data_latency_ms_sum',
    ]);
  });

  it('reports by(), without() and on() labels the grouped series do not carry', () => {
    expect(checkExpr('sum by (symbol) (rate(orders_failed_total[5m]))').problems).toEqual([
      'label symbol in by()/without() is not a label of the series it groups',
    ]);
    expect(checkExpr('sum without (side) (strategy_pnl_total)').problems).toEqual([
      'label side in by()/without() is not a label of the series it groups',
    ]);
    expect(checkExpr('strategy_pnl_total / on (symbol) strategy_win_rate').problems).toEqual([
      'label symbol in on()/ignoring() is not a label of the series it groups',
    ]);
    expect(checkExpr('strategy_pnl_total / on (strategy) strategy_win_rate').problems).toEqual([]);
  });

  it('reports undefined variables and syntax errors', () => {
    expect(checkExpr('orders_total{exchange=~"$venue"}').problems).toEqual(['variable $venue is not defined']);
    const broken = checkExpr('sum by (exchange (rate(orders_total[5m]))').problems;
    expect(broken.length).toBeGreaterThan(0);
    expect(broken[0]).toMatch(/^syntax error at offset \d+/);
  });

  it('reports a selector without a metric name', () => {
    expect(checkExpr('{job="gateway"}').problems).toEqual(['selector {job="gateway"} has no metric name']);
  });
});
