/**
 * Names of prom-client 15.1.3's default metrics that `RuntimeMetrics` does not declare. Each
 * is a gauge whose name ends in `_total`, which `promtool check metrics` reports as
 * `non-counter metrics should not have "_total" suffix`; these are all the findings promtool 2.42
 * reports on prom-client's default output on Node 24. The values stay available without the
 * suffix: `nodejs_active_handles`, `nodejs_active_requests` and `nodejs_active_resources` are gauges
 * per `type`, and their sum is the omitted total (`sum(nodejs_active_handles)` in PromQL).
 */
export const OMITTED_RUNTIME_METRICS = Object.freeze([
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const);
