// The exposition formats Prometheus asks for, and what a writer of one of them is. The server picks
// a format per request (content negotiation) and asks the writer of that format for a body; every
// writer reads the same storage through the same readers.

/** An exposition format, by what Prometheus calls it in its scrape protocols. */
export type ExpositionFormat = 'prometheus-text' | 'openmetrics-text' | 'prometheus-protobuf';

/** The exact `Content-Type` each format is served with. */
export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = Object.freeze({
  'prometheus-text': 'text/plain; version=0.0.4; charset=utf-8',
  'openmetrics-text': 'application/openmetrics-text; version=1.0.0; charset=utf-8',
  'prometheus-protobuf': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
});

/** Renders the catalogs it was built with into one format. */
export interface ExpositionWriter {
  readonly format: ExpositionFormat;
  /** `CONTENT_TYPES[format]`. */
  readonly contentType: string;
  /**
   * Runs each catalog's collect hooks, then renders every family.
   *
   * @returns a view into the writer's reused buffer: copy it before the next render if it must live on
   */
  render(): Buffer;
}
