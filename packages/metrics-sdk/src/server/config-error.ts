import { MetricsOptionError } from '../define/errors.js';
import type { OptionProblem } from '../define/option-checks.js';

/**
 * Thrown by `createMetricsServer` when an option cannot be used: a wrong type or value (a port out
 * of range, an empty token, a timeout that is not a positive integer, an unknown option), a TLS path
 * that cannot be read, or a key and certificate that do not make a TLS context (bad PEM, or a key
 * that does not match the certificate). The message names the option, and the path for a file.
 */
export class MetricsServerConfigError extends MetricsOptionError {
  override name = 'MetricsServerConfigError';
  /** The file the option named, when that file could not be used; `undefined` otherwise. */
  readonly path: string | undefined;

  /**
   * @param option - the option at fault, e.g. `tls.keyPath`
   * @param expected - what it accepts
   * @param message - what went wrong, starting with the option (prefixed with `metrics server: `)
   * @param details - the file it named and the underlying error, for a file that could not be used
   */
  constructor(
    option: string,
    expected: string,
    message: string,
    details: { readonly path?: string; readonly cause?: unknown } = {},
  ) {
    super(option, expected, `metrics server: ${message}`, 'cause' in details ? { cause: details.cause } : undefined);
    this.path = details.path;
  }
}

/**
 * The factory the server's option checks throw through.
 *
 * @param problem - the option that failed its check
 * @returns the error to throw
 * @internal
 */
export function serverOptionError(problem: OptionProblem): MetricsServerConfigError {
  return new MetricsServerConfigError(problem.option, problem.expected, problem.message);
}
