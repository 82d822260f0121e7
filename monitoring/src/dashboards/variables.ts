import { type TemplateVariable, templateVariables } from './config.js';

// Grafana's variable syntax, for running and checking dashboard queries outside Grafana.

/** Values for Grafana's variables when a query runs outside Grafana. */
export type VariableValues = Partial<
  Record<TemplateVariable | 'instance' | '__rate_interval' | '__interval' | '__range', string>
>;

/**
 * Grafana's built-in and template variables the dashboard uses, with outside-Grafana defaults:
 * template variables select everything (`.*`, as "All" does), windows are fixed durations.
 */
export const defaultVariableValues: Readonly<Required<VariableValues>> = {
  exchange: '.*',
  symbol: '.*',
  strategy: '.*',
  run_id: '.*',
  instance: '.*',
  __rate_interval: '1m',
  __interval: '15s',
  __range: '1h',
};

/** Names a dashboard expression may reference as `$name` or `${name}`. */
export const knownVariables: ReadonlySet<string> = new Set<string>([
  ...templateVariables,
  'instance',
  '__rate_interval',
  '__interval',
  '__range',
]);

const VARIABLE = /\$(?:\{(\w+)\}|(\w+))/g;

/**
 * Replaces `$name` and `${name}` the way Grafana would before sending a query to Prometheus.
 *
 * @param expr - a dashboard expression
 * @param values - overrides of {@link defaultVariableValues} (and values for other names)
 * @returns plain PromQL
 * @throws Error naming the variable when the expression uses one that has no value
 */
export function substituteVariables(
  expr: string,
  values: VariableValues | Readonly<Record<string, string | undefined>> = {},
): string {
  const all: Record<string, string | undefined> = { ...defaultVariableValues, ...values };
  return expr.replace(VARIABLE, (_match, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = all[name];
    if (value === undefined) throw new Error(`no value for Grafana variable $${name} in: ${expr}`);
    return value;
  });
}

/**
 * The variable names an expression references.
 *
 * @param expr - a dashboard expression
 * @returns the names, without `$`
 */
export function variablesIn(expr: string): string[] {
  return [...expr.matchAll(VARIABLE)].map((m) => m[1] ?? m[2] ?? '');
}
