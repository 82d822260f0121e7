/**
 * One problem found while validating a catalog definition.
 */
export interface DefinitionIssue {
  /** Dotted path to the offending part, e.g. `received.labels.symbol`. */
  readonly path: string;
  /** What is wrong and what to do about it. */
  readonly message: string;
}

/**
 * Base class of every error this package throws, so callers can catch them all at once.
 */
export class MetricsError extends Error {
  override name = 'MetricsError';
}

/**
 * Thrown at the call when an option of an entry point (`createMetricsServer`, `PrometheusWriter`,
 * `CatalogMetricProducer`, `createMeterProvider`, `registerCatalogs`) has the wrong type or value,
 * or is not an option at all (a typo). Nothing is created then. The message names the option, what
 * it accepts and what it got.
 */
export class MetricsOptionError extends MetricsError {
  override name = 'MetricsOptionError';
  /** Path of the option at fault, e.g. `timeouts.headersMs`, `sources[2]`, `options.selfMetrics`. */
  readonly option: string;
  /** What the option accepts, e.g. `a positive integer`. */
  readonly expected: string;

  /**
   * @param option - path of the option at fault
   * @param expected - what it accepts
   * @param message - the whole message, naming the option, what it accepts and what it got
   * @param options - the underlying error, if any
   */
  constructor(option: string, expected: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.option = option;
    this.expected = expected;
  }
}

/**
 * Thrown by `catalog()` when a definition is invalid. Carries every issue found, not only the first,
 * so one run of the program shows everything to fix.
 */
export class MetricDefinitionError extends MetricsError {
  override name = 'MetricDefinitionError';
  /** Every problem found, in declaration order. */
  readonly issues: readonly DefinitionIssue[];

  /** @param issues - the problems found; the first becomes the message. */
  constructor(issues: readonly DefinitionIssue[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(first ? `${first.path}: ${first.message}${more}` : 'invalid metric definition');
    this.issues = issues;
  }
}

/**
 * Thrown when labels passed to `bind()` or to an unbound record call do not match the declaration:
 * a missing or unknown label, or a value outside a closed domain. TypeScript callers get these as
 * compile errors; only untyped JavaScript reaches this at run time.
 */
export class MetricLabelError extends MetricsError {
  override name = 'MetricLabelError';
  /** Wire name of the metric. */
  readonly metric: string;
  /** The label at fault. */
  readonly label: string;
  /** The value that was given, or `undefined` when the label was missing. */
  readonly value: unknown;
  /** The allowed values for a closed label; empty for an open label or an unknown label name. */
  readonly allowed: readonly string[];

  /**
   * @param metric - wire name of the metric
   * @param label - the label at fault
   * @param value - what was passed
   * @param allowed - what would have been accepted
   * @param reason - extra words for cases the allowed list does not explain
   */
  constructor(metric: string, label: string, value: unknown, allowed: readonly string[], reason?: string) {
    const shown = typeof value === 'string' ? value : String(value);
    const tail = reason ?? (allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : 'expected a string');
    super(`${metric}: label "${label}" got "${shown}"; ${tail}`);
    this.metric = metric;
    this.label = label;
    this.value = value;
    this.allowed = allowed;
  }
}
