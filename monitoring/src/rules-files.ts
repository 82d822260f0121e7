import { alertGroups, recordingGroups } from './rules/index.js';
import { renderYaml } from './yaml.js';

/**
 * The alerting rules file (generated/alerts.yml): the original system's alert groups
 * (docs/origin.md), then the added groups.
 *
 * @returns YAML text for `promtool check rules` and Prometheus' `rule_files`
 */
export function renderAlertRules(): string {
  const groups = alertGroups.map((group) => ({ name: group.name, rules: group.alerts.map((a) => a.rule) }));
  return renderYaml(
    { groups },
    ' Alerting rules: every alert has a severity, a summary, a description and a runbook_url into\n docs/runbooks.md. Thresholds live in monitoring/src/config.ts.',
  );
}

/**
 * The recording rules file (generated/recording-rules.yml), shared by dashboards and alerts.
 *
 * @returns YAML text
 */
export function renderRecordingRules(): string {
  return renderYaml(
    { groups: recordingGroups },
    ' Recording rules: expressions a dashboard panel and an alert share, evaluated once.',
  );
}
