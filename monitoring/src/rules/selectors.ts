import { type JobKey, monitoringConfig } from '../config.js';

// Small builders for PromQL text, so every selector gets its job matcher from the configuration.

/** A label matcher: a plain string means equality. */
export type Matcher = string | { readonly op: '!=' | '=~' | '!~'; readonly value: string };

/**
 * A vector selector for a metric of one job.
 *
 * @param name - metric name (take it from a catalog definition or {@link externalMetrics})
 * @param job - the job whose series are selected
 * @param matchers - further label matchers
 * @returns e.g. `orders_total{job="gateway"}`
 * @example
 * ```ts
 * select(gatewayDefinitions.orders.name, 'gateway'); // 'orders_total{job="gateway"}'
 * ```
 */
export function select(name: string, job: JobKey, matchers: Readonly<Record<string, Matcher>> = {}): string {
  const parts = [`job=${quote(monitoringConfig.jobs[job].name)}`];
  for (const [label, matcher] of Object.entries(matchers)) {
    parts.push(
      typeof matcher === 'string' ? `${label}=${quote(matcher)}` : `${label}${matcher.op}${quote(matcher.value)}`,
    );
  }
  return `${name}{${parts.join(', ')}}`;
}

/**
 * A PromQL double-quoted string literal.
 *
 * @param value - the raw string
 * @returns the literal, with `\` and `"` escaped
 */
export function quote(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
