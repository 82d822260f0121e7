import { monitoringConfig } from '../config.js';

/** Alert severity; Alertmanager routes on it. */
export type Severity = 'critical' | 'warning';

/** A Prometheus recording rule, as written to the rules YAML. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

/** A Prometheus alerting rule, as written to the rules YAML. */
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: Severity };
  readonly annotations: { readonly summary: string; readonly description: string; readonly runbook_url: string };
}

/** A rule group, as written to the rules YAML. */
export interface RuleGroup<R> {
  readonly name: string;
  readonly rules: readonly R[];
}

/** A critical alert's warning twin, which Alertmanager silences while the critical one fires. */
export interface Inhibition {
  /** The warning alert. */
  readonly alert: string;
  /** Labels both alerts must share for the silence to apply. */
  readonly equal: readonly string[];
}

/** What an alert definition states; {@link alert} adds the severity label and the runbook link. */
export interface AlertSpec {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly severity: Severity;
  /** One sentence, may use `$labels`. */
  readonly summary: string;
  /** Go template text with `$labels` and `$value`. */
  readonly description: string;
  /** For a critical alert: the warning twin it silences. */
  readonly inhibits?: Inhibition;
}

/** An alerting rule with the metadata that is not written to the rules YAML. */
export interface AlertDefinition {
  readonly rule: AlertingRule;
  readonly inhibits?: Inhibition;
}

/**
 * The anchor of an alert's section in docs/runbooks.md (GitHub's slug of a `## <AlertName>` heading).
 *
 * @param alertName - e.g. `GatewayDown`
 * @returns e.g. `gatewaydown`
 */
export function runbookAnchor(alertName: string): string {
  return alertName.toLowerCase();
}

/**
 * Builds an alerting rule with its severity label and `runbook_url`.
 *
 * @param spec - the alert
 * @returns the rule and its inhibition
 * @example
 * ```ts
 * alert({ alert: 'GatewayDown', expr: 'up{job="gateway"} == 0', for: '1m', severity: 'critical',
 *   summary: 'A gateway is down.', description: '{{ $labels.instance }} is down.' });
 * ```
 */
export function alert(spec: AlertSpec): AlertDefinition {
  const rule: AlertingRule = {
    alert: spec.alert,
    expr: spec.expr,
    for: spec.for,
    labels: { severity: spec.severity },
    annotations: {
      summary: spec.summary,
      description: spec.description,
      runbook_url: `${monitoringConfig.runbookBase}#${runbookAnchor(spec.alert)}`,
    },
  };
  return spec.inhibits === undefined ? { rule } : { rule, inhibits: spec.inhibits };
}

/** A group of alert definitions. */
export interface AlertGroup {
  readonly name: string;
  readonly alerts: readonly AlertDefinition[];
}
