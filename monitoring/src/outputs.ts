import { ALERTMANAGER_CONFIG_PATHS, renderAlertmanagerConfig } from './alertmanager-config.js';
import {
  PROMETHEUS_CONFIG_PATHS,
  renderPrometheusConfig,
  renderSecurePrometheusConfig,
  SECURE_PROMETHEUS_CONFIG_PATH,
} from './prometheus-config.js';
import { renderAlertRules, renderRecordingRules } from './rules-files.js';

/** A file the generator writes. */
export interface GeneratedFile {
  /** Path relative to monitoring/. */
  readonly path: string;
  readonly content: string;
}

/** Paths of the rules files, relative to monitoring/. */
export const RULES_PATHS = { alerts: 'generated/alerts.yml', recording: 'generated/recording-rules.yml' } as const;

/**
 * Renders every Prometheus and Alertmanager file (pure: nothing is written).
 *
 * @returns the files, in a stable order
 */
export function renderConfigFiles(): readonly GeneratedFile[] {
  return [
    { path: RULES_PATHS.recording, content: renderRecordingRules() },
    { path: RULES_PATHS.alerts, content: renderAlertRules() },
    { path: PROMETHEUS_CONFIG_PATHS.compose, content: renderPrometheusConfig('compose') },
    { path: PROMETHEUS_CONFIG_PATHS.local, content: renderPrometheusConfig('local') },
    { path: ALERTMANAGER_CONFIG_PATHS.compose, content: renderAlertmanagerConfig('compose') },
    { path: ALERTMANAGER_CONFIG_PATHS.local, content: renderAlertmanagerConfig('local') },
  ];
}

/**
 * Renders the example files: configurations shown to users, not loaded by the stack (pure).
 *
 * @returns `prometheus.secure.yml`, the secure-scrape example
 */
export function renderExampleFiles(): readonly GeneratedFile[] {
  return [{ path: SECURE_PROMETHEUS_CONFIG_PATH, content: renderSecurePrometheusConfig() }];
}
