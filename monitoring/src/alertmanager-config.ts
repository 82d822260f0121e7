import type { Variant } from './config.js';
import { monitoringConfig } from './config.js';
import { alertGroups } from './rules/index.js';
import { renderYaml } from './yaml.js';

const am = monitoringConfig.alertmanager;

/** Where each variant of the Alertmanager configuration is written, relative to monitoring/. */
export const ALERTMANAGER_CONFIG_PATHS: Readonly<Record<Variant, string>> = {
  compose: 'alertmanager.yml',
  local: 'generated/alertmanager.local.yml',
};

/** Options of {@link alertmanagerConfig}. */
export interface AlertmanagerOptions {
  /** Copy critical alerts to Slack (compose variant only); default from the configuration. */
  readonly slack?: boolean;
  /** Receiver URL of the local variant; default `monitoringConfig.alertmanager.localWebhookUrl`. */
  readonly webhookUrl?: string;
}

/**
 * One inhibit rule per critical alert that has a warning twin, read from the alert definitions.
 *
 * @returns Alertmanager `inhibit_rules`
 */
export function inhibitRules(): readonly Record<string, unknown>[] {
  return alertGroups.flatMap((group) =>
    group.alerts.flatMap((definition) =>
      definition.inhibits === undefined
        ? []
        : [
            {
              source_matchers: [`alertname="${definition.rule.alert}"`],
              target_matchers: [`alertname="${definition.inhibits.alert}"`],
              equal: definition.inhibits.equal,
            },
          ],
    ),
  );
}

const critical = ['severity="critical"'];
const warning = ['severity="warning"'];

/**
 * The Alertmanager configuration as plain data. Both variants share grouping, the severity routes
 * and the inhibitions; the compose variant mails (and optionally posts to Slack), the local variant
 * posts every notification to one webhook and groups faster, for tests.
 *
 * @param variant - `compose` or `local`
 * @param options - Slack switch and the local webhook URL
 * @returns the object rendered to YAML
 */
export function alertmanagerConfig(variant: Variant, options: AlertmanagerOptions = {}): Record<string, unknown> {
  if (variant === 'local') {
    const timing = { group_wait: '1s', group_interval: '5s', repeat_interval: '1h' };
    return {
      route: {
        receiver: 'webhook',
        group_by: am.groupBy,
        ...timing,
        routes: [
          { receiver: 'webhook', matchers: critical },
          { receiver: 'webhook', matchers: warning },
        ],
      },
      inhibit_rules: inhibitRules(),
      receivers: [
        { name: 'webhook', webhook_configs: [{ url: options.webhookUrl ?? am.localWebhookUrl, send_resolved: true }] },
      ],
    };
  }
  const slack = options.slack ?? am.slack.enabled;
  const criticalTiming = { group_wait: '10s', group_interval: '1m', repeat_interval: '1h' };
  const email = (to: string) => ({
    to,
    auth_username: am.email.username,
    auth_password_file: am.email.passwordFile,
    send_resolved: true,
  });
  return {
    global: {
      resolve_timeout: '5m',
      smtp_smarthost: am.email.smarthost,
      smtp_from: am.email.from,
      smtp_require_tls: true,
    },
    route: {
      receiver: 'email-warning',
      group_by: am.groupBy,
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes: [
        { receiver: 'email-critical', matchers: critical, ...criticalTiming, ...(slack ? { continue: true } : {}) },
        ...(slack ? [{ receiver: 'slack-critical', matchers: critical, ...criticalTiming }] : []),
        { receiver: 'email-warning', matchers: warning },
      ],
    },
    inhibit_rules: inhibitRules(),
    receivers: [
      { name: 'email-critical', email_configs: [email(am.email.to.critical)] },
      { name: 'email-warning', email_configs: [email(am.email.to.warning)] },
      {
        name: 'slack-critical',
        slack_configs: [
          {
            api_url_file: am.slack.apiUrlFile,
            channel: am.slack.channel,
            send_resolved: true,
            title: '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}',
            text: '{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}',
          },
        ],
      },
    ],
  };
}

/**
 * alertmanager.yml (compose) or generated/alertmanager.local.yml (local) as YAML text.
 *
 * @param variant - which receivers to use
 * @param options - Slack switch and the local webhook URL
 * @returns the YAML text
 */
export function renderAlertmanagerConfig(variant: Variant, options: AlertmanagerOptions = {}): string {
  const header =
    variant === 'compose'
      ? [
          ' Routes by severity: critical mails the on-call address quickly and repeats hourly; warning mails',
          ' the team. A critical alert silences its warning twin. Secrets are files mounted at run time',
          ` (${am.email.passwordFile}, ${am.slack.apiUrlFile}), never committed.`,
          ' Slack is optional: set alertmanager.slack.enabled in monitoring/src/config.ts and regenerate.',
        ].join('\n')
      : ' Local variant for tests: the same routes and inhibitions, every notification to one webhook.';
  return renderYaml(alertmanagerConfig(variant, options), header);
}
