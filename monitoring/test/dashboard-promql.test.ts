import { describe, expect, it } from 'vitest';
import { dashboardQueries, variableQueries } from '../src/dashboards/extract-queries.js';
import { checkDashboardExpression, dashboardVocabulary } from '../src/promql-check/grafana.js';

const messages = (expr: string) => checkDashboardExpression(expr).issues.map((issue) => issue.message);

describe('dashboard PromQL against the catalogs', () => {
  const queries = dashboardQueries();

  it('parses every panel query and uses only catalog metrics, their labels and defined variables', () => {
    const problems = queries
      .map((q) => ({ where: `${q.panelTitle} [${q.refId}]`, problems: messages(q.expr) }))
      .filter((r) => r.problems.length > 0);
    expect(problems).toEqual([]);
    expect(queries.length).toBeGreaterThanOrEqual(43);
  });

  it('checks the variables value queries the same way', () => {
    const vars = variableQueries();
    expect(vars.map((v) => v.name)).toEqual(['exchange', 'symbol', 'strategy', 'run_id']);
    const vocabulary = dashboardVocabulary();
    for (const v of vars) {
      const report = checkDashboardExpression(v.match);
      expect(report.issues, v.name).toEqual([]);
      const info = vocabulary.series.get([...report.selected][0] ?? '');
      expect(info?.labels.has(v.label), `${v.name} lists a label its metric declares`).toBe(true);
    }
  });
});

describe('checkDashboardExpression', () => {
  it('accepts histogram series with le on _bucket, target labels and up', () => {
    expect(
      checkDashboardExpression(
        'histogram_quantile(0.99, sum by (le, exchange) (rate(market_data_latency_ms_bucket{job="m", instance="i"}[$__rate_interval])))',
      ),
    ).toMatchObject({ issues: [], metrics: ['market_data_latency_ms'] });
    expect(
      checkDashboardExpression(
        'sum(rate(order_processing_latency_ms_sum[5m])) / sum(rate(order_processing_latency_ms_count[5m]))',
      ),
    ).toMatchObject({ issues: [], metrics: ['order_processing_latency_ms'] });
    expect(checkDashboardExpression('up{job="gateway"} == 0')).toMatchObject({ issues: [], metrics: ['up'] });
  });

  it('reports a metric that is not in the catalog, and exporter metrics, which dashboards do not show', () => {
    expect(messages('rate(market_data_recieved_total[5m])')).toEqual([
      'unknown metric "market_data_recieved_total": not in the catalogs, the allowed external metrics or the recording rules',
    ]);
    expect(messages('node_memory_MemTotal_bytes')).toEqual([
      'unknown metric "node_memory_MemTotal_bytes": not in the catalogs, the allowed external metrics or the recording rules',
    ]);
    // A native histogram's bare name is its native form, which only rate() feeding a histogram
    // function reads (the classic-only case is in consistency.test.ts).
    expect(messages('market_data_latency_ms')).toEqual([
      'the result cannot take the native histogram market_data_latency_ms: wrap it in rate(market_data_latency_ms[...]) or increase(...) first',
    ]);
  });

  it('reports a matcher label the metric does not declare, and a closed value outside its domain', () => {
    expect(messages('ws_connection_status{exchange="okx", symbol="BTCUSDT"}')).toEqual([
      'ws_connection_status (MarketDataMetrics) has no label "symbol" (labels: exchange, instance, job)',
    ]);
    expect(messages('market_data_latency_ms_sum{le="5"}')).toEqual([
      'market_data_latency_ms_sum (MarketDataMetrics) has no label "le" (labels: exchange, instance, job, type)',
    ]);
    expect(messages('orders_total{exchange=~"okx|kraken"}').join('\n')).toContain(
      'orders_total: label "exchange" has no value "kraken"',
    );
  });

  it('reports by(), without() and on() labels the grouped series do not carry', () => {
    expect(messages('sum by (symbol) (rate(orders_failed_total[5m]))')).toEqual([
      'sum by: label "symbol" does not exist here (available: exchange, instance, job, reason)',
    ]);
    // Strategy metrics carry run_id too: backtests push them to the Pushgateway, one group per run.
    expect(messages('sum without (side) (strategy_pnl_total)')).toEqual([
      'sum without: label "side" does not exist here (available: instance, job, run_id, strategy)',
    ]);
    expect(messages('strategy_pnl_total / on (symbol) strategy_win_rate')).toEqual([
      'on() left side: label "symbol" does not exist here (available: instance, job, run_id, strategy)',
      'on() right side: label "symbol" does not exist here (available: instance, job, run_id, strategy)',
    ]);
    expect(messages('strategy_pnl_total / on (strategy) strategy_win_rate')).toEqual([]);
  });

  it('reports rate() over a gauge', () => {
    expect(messages('rate(strategy_pnl_total[$__rate_interval])')).toEqual([
      'rate() needs a counter, but strategy_pnl_total is a gauge',
    ]);
  });

  it('reports undefined variables where they stand, once each, and still checks the rest', () => {
    expect(checkDashboardExpression('sum(rate(orders_total{exchange=~"$venue"}[5m]))').issues).toEqual([
      { at: 33, message: 'variable $venue is not defined' },
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's braced variable syntax, on purpose.
    expect(messages('orders_total{exchange=~"${venue}", side=~"$venue"} + orders_total{bogus="x"}')).toEqual([
      'variable $venue is not defined',
      'orders_total (GatewayMetrics) has no label "bogus" (labels: exchange, instance, job, side, symbol, type)',
    ]);
    expect(messages('orders_total{exchange=~"$exchange"}[$__range]')).toEqual([]);
  });

  it('reports syntax errors', () => {
    expect(messages('sum by (exchange (rate(orders_total[5m]))')).toContain('syntax error');
  });

  it('reports a selector without a metric name', () => {
    expect(messages('{job="gateway"}')).toEqual(['selector without a metric name']);
  });
});
