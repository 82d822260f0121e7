/** Prometheus metric name syntax (exposition format 0.0.4, without the colon reserved for rules). */
export const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Prometheus label name syntax. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * The label of the one series per metric that holds records past its cardinality budget, labelled
 * `otel_metric_overflow="true"` and nothing else: OpenTelemetry's convention, so the series reads
 * the same through the Prometheus writer and through any OTel exporter.
 */
export const OVERFLOW_LABEL = 'otel_metric_overflow';

/** The OpenTelemetry attribute of the overflow series (`otel.metric.overflow: true`). */
export const OVERFLOW_ATTRIBUTE = 'otel.metric.overflow';

/**
 * Label names a catalog may not declare: `le` and `quantile` are written by the exposition itself,
 * `otel_metric_overflow` marks the overflow series, and names starting with `__` are reserved for
 * Prometheus internals.
 */
export const RESERVED_LABELS: ReadonlySet<string> = new Set(['le', 'quantile', OVERFLOW_LABEL]);

/** Suffixes Prometheus appends to histogram series; a metric name must not collide with them. */
export const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/** Returns a reason when `name` is not usable as a label name, else `undefined`. */
export function labelNameProblem(name: string): string | undefined {
  if (!LABEL_NAME.test(name)) return `label name "${name}" must match ${LABEL_NAME.source}`;
  if (name.startsWith('__')) return `label name "${name}" starts with "__", which Prometheus reserves`;
  if (RESERVED_LABELS.has(name)) return `label name "${name}" is reserved for the exposition`;
  return undefined;
}

/**
 * Most characters (Unicode code points) the label names and values of one exemplar may have
 * together: OpenMetrics 1.0, "Exemplars".
 */
export const EXEMPLAR_RUNE_LIMIT = 128;
