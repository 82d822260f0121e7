/**
 * The OpenTelemetry bridge: export the catalogs through any OTel `MetricReader`. Needs the
 * optional peers `@opentelemetry/api` and `@opentelemetry/sdk-metrics`.
 *
 * @packageDocumentation
 * @module @ttquant/metrics/otel
 */
// Re-exports only: importing this module has no side effects.

export type { OtelExemplar, WithExemplars } from './exemplars.js';
export type { CreateMeterProviderOptions, MetricReaderFactory } from './meter-provider.js';
export { createMeterProvider } from './meter-provider.js';
export type { CatalogMetricProducerOptions, NativeExport, UnitPolicy } from './producer.js';
export { CatalogMetricProducer, SCOPE_NAME, SCOPE_VERSION } from './producer.js';
export { spanExemplar } from './span-exemplar.js';
