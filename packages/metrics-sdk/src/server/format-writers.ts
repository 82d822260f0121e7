import type { ExpositionFormat, ExpositionWriter } from '../exposition/formats.js';
import { OpenMetricsWriter } from '../exposition/openmetrics-text.js';
import { ProtobufWriter } from '../exposition/prometheus-protobuf.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import type { MetricSource } from '../exposition/sources.js';
import { FORMAT_PREFERENCE } from './negotiate.js';

/** What every writer of the server is built with. @internal */
export interface FormatWriterOptions {
  /** Append the SDK's self-metrics after the catalogs. */
  readonly selfMetrics: boolean;
}

/** Builds the writer of one format over the server's sources. @internal */
export type FormatWriterFactory = (sources: readonly MetricSource[], options: FormatWriterOptions) => ExpositionWriter;

/**
 * The formats `createMetricsServer` can serve, each with the factory of its writer: the one table
 * that content negotiation chooses from. A format is served only when it has an entry here.
 *
 * @internal
 */
export const FORMAT_WRITERS: Readonly<Partial<Record<ExpositionFormat, FormatWriterFactory>>> = Object.freeze({
  'prometheus-text': (sources, options) => new PrometheusWriter(sources, options),
  'openmetrics-text': (sources, options) => new OpenMetricsWriter(sources, options),
  'prometheus-protobuf': (sources, options) => new ProtobufWriter(sources, options),
});

/**
 * The formats in {@link FORMAT_WRITERS}, in the server's order of preference.
 *
 * @returns a new array
 * @internal
 */
export function servableFormats(): ExpositionFormat[] {
  return FORMAT_PREFERENCE.filter((format) => FORMAT_WRITERS[format] !== undefined);
}
