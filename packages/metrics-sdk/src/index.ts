/**
 * The core: the declaration DSL, the four trading catalogs, storage, the Prometheus writer, the
 * metrics server, runtime metrics and the trading analytics. No runtime dependency.
 *
 * @packageDocumentation
 * @module @ttquant/metrics
 */
// Re-exports only: importing this module has no side effects.

export { DrawdownTracker } from './analytics/drawdown.js';
export type { Fill, FillSide } from './analytics/fill.js';
export { GatewayMetricsPublisher } from './analytics/gateway-metrics-publisher.js';
export { LedgerInputError } from './analytics/input-error.js';
export { TradingLedger } from './analytics/ledger.js';
export type {
  AccountPublisher,
  AccountView,
  LedgerPublisher,
  PositionPublisher,
  PositionView,
  StrategyPublisher,
  StrategyView,
  SymbolPublisher,
  SymbolView,
} from './analytics/ledger-publisher.js';
export type {
  AccountSnapshot,
  LedgerExchange,
  LedgerGateway,
  LedgerSharpeOptions,
  LedgerSnapshot,
  PositionSnapshot,
  RegisterOptions,
  StrategySnapshot,
  TradingLedgerOptions,
} from './analytics/ledger-types.js';
export { RunningStats } from './analytics/running-stats.js';
export type { SharpeOptions } from './analytics/sharpe.js';
export { SharpeRatio } from './analytics/sharpe.js';
export { StrategyMetricsPublisher } from './analytics/strategy-metrics-publisher.js';
export type { TradeOutcome } from './analytics/trade-stats.js';
export { DEFAULT_VENUES } from './catalogs/domains.js';
export { EngineMetrics, engineDefinitions } from './catalogs/engine.js';
export { GatewayMetrics, gatewayDefinitions } from './catalogs/gateway.js';
export { MarketDataMetrics, marketDataDefinitions } from './catalogs/market-data.js';
export type { ServiceName } from './catalogs/service-ports.js';
export { SERVICE_PORTS } from './catalogs/service-ports.js';
export type { TradingCatalogInfo } from './catalogs/services.js';
export { TRADING_CATALOGS } from './catalogs/services.js';
export { StrategyMetrics, strategyDefinitions } from './catalogs/strategy.js';
export type { VenueList, WithVenues } from './catalogs/venues.js';
export { withVenues } from './catalogs/venues.js';
export type { WithLabelDomain } from './catalogs/with-label-domain.js';
export { withLabelDomain } from './catalogs/with-label-domain.js';
export type {
  ClusterMetrics,
  ClusterMetricsOptions,
  ClusterMetricsStats,
} from './cluster/cluster-metrics.js';
export { aggregateClusterMetrics } from './cluster/cluster-metrics.js';
export type { ClusterWorkerMetrics, ClusterWorkerOptions } from './cluster/worker-link.js';
export { serveMetricsToPrimary } from './cluster/worker-link.js';
export type {
  Catalog,
  CatalogClass,
  CatalogDefs,
  CatalogOptions,
  InferCatalog,
  InferFamily,
} from './define/catalog.js';
export { catalog } from './define/catalog.js';
export type { DefinitionIssue } from './define/errors.js';
export { MetricDefinitionError, MetricLabelError, MetricsError, MetricsOptionError } from './define/errors.js';
export type {
  ClosedDomain,
  InferDomainValue,
  InferLabelValues,
  LabelDomain,
  LabelSpec,
  NoLabels,
  OpenDomain,
} from './define/labels.js';
export { closed, open } from './define/labels.js';
export type {
  CounterDef,
  CounterOptions,
  ExemplarOption,
  GaugeClusterAggregation,
  GaugeDef,
  GaugeOptions,
  HistogramDef,
  HistogramOptions,
  InferLabels,
  MetricDef,
  MetricKind,
  MetricOptions,
  NativeHistogramOptions,
  NativeHistogramSpec,
  NonFinitePolicy,
} from './define/metric.js';
export { counter, DEFAULT_EXEMPLAR_LABELS, DEFAULT_NATIVE_HISTOGRAM, gauge, histogram } from './define/metric.js';
export { OVERFLOW_ATTRIBUTE, OVERFLOW_LABEL } from './define/naming.js';
export { MAX_SERIES_CAPACITY, validateDefinitions } from './define/validate.js';
export { formatNumber } from './exposition/byte-writer.js';
export { escapeHelp, escapeLabelValue, escapeOpenMetricsHelp } from './exposition/escape.js';
export type { ExpositionFormat, ExpositionWriter } from './exposition/formats.js';
export { CONTENT_TYPES } from './exposition/formats.js';
export type { OpenMetricsWriterOptions } from './exposition/openmetrics-text.js';
export { OPENMETRICS_CONTENT_TYPE, OpenMetricsWriter } from './exposition/openmetrics-text.js';
export type { ProtobufWriterOptions } from './exposition/prometheus-protobuf.js';
export { PROTOBUF_CONTENT_TYPE, ProtobufWriter } from './exposition/prometheus-protobuf.js';
export type { PrometheusWriterOptions } from './exposition/prometheus-text.js';
export { PROMETHEUS_CONTENT_TYPE, PrometheusWriter } from './exposition/prometheus-text.js';
export type { ExpositionWriterOptions, MetricSource } from './exposition/sources.js';
export type { PushFormat, PushgatewayOptions } from './push/pushgateway.js';
export { DEFAULT_PUSH_TIMEOUT_MS, PushgatewayClient, PushgatewayError } from './push/pushgateway.js';
export type { LintFinding, ReferenceCatalog, ReferenceOptions } from './reference/markdown.js';
export { defaultReferenceCatalogs, lintFindings, renderMetricReference } from './reference/markdown.js';
export { OMITTED_RUNTIME_METRICS } from './runtime/omitted.js';
export type { RuntimeMetricsOptions } from './runtime/runtime-metrics.js';
export { RuntimeMetrics, runtimeDefinitions } from './runtime/runtime-metrics.js';
export {
  DROPPED_EXEMPLARS_METRIC,
  DROPPED_VALUES_METRIC,
  OVERFLOW_RECORDS_METRIC,
} from './self-metrics/self-metrics.js';
export type { MetricsAuth } from './server/auth.js';
export { MetricsServerConfigError } from './server/config-error.js';
export type { MetricsServer, MetricsServerAddress, MetricsServerOptions } from './server/metrics-server.js';
export {
  createMetricsServer,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_METRICS_PORT,
  defaultMetricsPort,
} from './server/metrics-server.js';
export { acceptsGzip, negotiateFormat } from './server/negotiate.js';
export type { MetricsServerTimeouts } from './server/timeouts.js';
export { DEFAULT_TIMEOUTS } from './server/timeouts.js';
export type { MetricsServerTls } from './server/tls.js';
export type {
  WorkerCollectMode,
  WorkerMetricsServer,
  WorkerMetricsServerOptions,
  WorkerMetricsServerStats,
} from './server/worker-server.js';
export { DEFAULT_COLLECT_TIMEOUT_MS, DEFAULT_NICENESS, serveMetricsFromWorker } from './server/worker-server.js';
export type { BindEachArgs, HandlesByValue, InferClosedLabels } from './storage/bind-each.js';
export type { ExemplarLabels } from './storage/exemplar-store.js';
export type { BindArgs } from './storage/families.js';
export { CounterFamily, GaugeFamily, HistogramFamily, MetricFamily } from './storage/families.js';
export {
  CounterHandle,
  EmittingGaugeHandle,
  GaugeHandle,
  HistogramHandle,
  NativeHistogramHandle,
} from './storage/handles.js';
export type { InvalidValueEvent, InvalidValueHook, InvalidValueReason } from './storage/invalid.js';
export { throwOnInvalidValue, warnOncePerMetric } from './storage/invalid.js';
export type { OverflowEvent, OverflowHook } from './storage/overflow.js';
export { warnOnFirstOverflow } from './storage/overflow.js';
export type { FamilyStats } from './storage/series-reader.js';
export type { SharedCatalogDescriptor, SharedFamilyDescriptor } from './storage/shared/shared-catalog-storage.js';
export { DEFAULT_SHARED_THREADS } from './storage/shared/shared-catalog-storage.js';
export type { SharedInternerDescriptor } from './storage/shared/shared-interner.js';
export type { SharedSeriesDescriptor } from './storage/shared/shared-series-table.js';
