// Escaping rules of the text format 0.0.4 (and OpenMetrics 1.0 ABNF): every other code point passes
// through and is written as UTF-8.

/**
 * Escapes a label value: backslash, double quote and line feed.
 *
 * @param value - the raw label value
 * @returns the escaped value, to be written between double quotes
 */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/[\\"\n]/g, escapeChar) : value;
}

/**
 * Escapes HELP text: backslash and line feed.
 *
 * @param text - the raw help text
 * @returns the escaped text
 */
export function escapeHelp(text: string): string {
  return /[\\\n]/.test(text) ? text.replace(/[\\\n]/g, escapeChar) : text;
}

function escapeChar(ch: string): string {
  return ch === '\n' ? '\\n' : ch === '"' ? '\\"' : '\\\\';
}

/**
 * Escapes OpenMetrics 1.0 HELP text: backslash, double quote and line feed. OpenMetrics writes HELP
 * as an `escaped-string`, the same production as a label value (OpenMetrics 1.0, "ABNF" and
 * "Escaping"), so unlike the text format 0.0.4 ({@link escapeHelp}) it escapes `"` too.
 *
 * @param text - the raw help text
 * @returns the escaped text
 */
export function escapeOpenMetricsHelp(text: string): string {
  return escapeLabelValue(text);
}
