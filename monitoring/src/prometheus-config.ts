import { isMap, isSeq } from 'yaml';
import { jobList, monitoringConfig, type RemoteWriteSpec, type Variant } from './config.js';
import { renderYaml } from './yaml.js';

const cfg = monitoringConfig;

/** Where each variant of prometheus.yml is written, relative to monitoring/. */
export const PROMETHEUS_CONFIG_PATHS: Readonly<Record<Variant, string>> = {
  compose: 'prometheus.yml',
  local: 'generated/prometheus.local.yml',
};

// Rule files, relative to each config file (Prometheus resolves them against the config's folder).
const RULE_FILES: Readonly<Record<Variant, readonly string[]>> = {
  compose: ['generated/recording-rules.yml', 'generated/alerts.yml'],
  local: ['recording-rules.yml', 'alerts.yml'],
};

/**
 * Storage flags for the command line that starts Prometheus: retention is not a config-file setting.
 *
 * @returns e.g. `['--storage.tsdb.retention.time=30d', '--storage.tsdb.retention.size=50GB']`
 */
export function retentionFlags(): readonly string[] {
  return [`--storage.tsdb.retention.time=${cfg.retention.time}`, `--storage.tsdb.retention.size=${cfg.retention.size}`];
}

/** Options of {@link prometheusConfig}. */
export interface PrometheusConfigOptions {
  /** remote_write endpoints; default `monitoringConfig.remoteWrite[variant]` (empty: no `remote_write` key). */
  readonly remoteWrite?: readonly RemoteWriteSpec[];
}

/**
 * Prometheus' `remote_write` section for some endpoints.
 *
 * @param endpoints - the long-term stores
 * @returns one entry per endpoint, `name` only where given
 */
export function remoteWriteSection(endpoints: readonly RemoteWriteSpec[]): { url: string; name?: string }[] {
  return endpoints.map((e) => (e.name === undefined ? { url: e.url } : { url: e.url, name: e.name }));
}

/**
 * The Prometheus configuration as plain data: the six jobs and the Pushgateway, rule files,
 * Alertmanager and, when configured, remote_write.
 *
 * @param variant - `compose` (service names of the Docker network) or `local` (all on 127.0.0.1)
 * @param options - remote_write endpoints
 * @returns the object rendered to YAML
 */
export function prometheusConfig(variant: Variant, options: PrometheusConfigOptions = {}): Record<string, unknown> {
  const infra = cfg.scrape.infrastructure;
  const remoteWrite = options.remoteWrite ?? cfg.remoteWrite[variant];
  return {
    global: {
      scrape_interval: infra.interval,
      scrape_timeout: infra.timeout,
      evaluation_interval: cfg.evaluationInterval,
    },
    rule_files: RULE_FILES[variant],
    alerting: { alertmanagers: [{ static_configs: [{ targets: cfg.alertmanager[variant] }] }] },
    scrape_configs: jobList().map((job) => ({
      job_name: job.name,
      scrape_interval: cfg.scrape[job.scrape].interval,
      scrape_timeout: cfg.scrape[job.scrape].timeout,
      metrics_path: '/metrics',
      ...(job.honorLabels === true ? { honor_labels: true } : {}),
      static_configs: [{ targets: job[variant] }],
    })),
    ...(remoteWrite.length > 0 ? { remote_write: remoteWriteSection(remoteWrite) } : {}),
  };
}

/**
 * prometheus.yml (compose) or generated/prometheus.local.yml (local) as YAML text.
 *
 * @param variant - which addresses to use
 * @param options - remote_write endpoints
 * @returns the YAML text
 */
export function renderPrometheusConfig(variant: Variant, options: PrometheusConfigOptions = {}): string {
  const where =
    variant === 'compose'
      ? ' Targets are Docker Compose service names; generated/prometheus.local.yml has the same jobs on 127.0.0.1.'
      : ' Every target on 127.0.0.1 (native stack, no Docker); prometheus.yml has the same jobs for Docker Compose.';
  const header = [
    where,
    ` Trading jobs are scraped every ${cfg.scrape.trading.interval}, the rest every ${cfg.scrape.infrastructure.interval}.`,
    ` Retention (${cfg.retention.time}, ${cfg.retention.size}) is set by flags where Prometheus starts:`,
    `   prometheus --config.file=${PROMETHEUS_CONFIG_PATHS[variant].split('/').pop()} --storage.tsdb.path=<data dir> \\`,
    `     ${retentionFlags().join(' ')} --web.enable-lifecycle`,
    ...((options.remoteWrite ?? cfg.remoteWrite[variant]).length === 0
      ? [
          ' Scale-out: remote_write to a long-term store (Thanos Receive, Mimir, VictoriaMetrics) is off;',
          ' list endpoints in monitoringConfig.remoteWrite.local (monitoring/src/config.ts) and regenerate.',
        ]
      : [' Scale-out: remote_write copies every sample to the long-term stores listed at the end.']),
  ].join('\n');
  return renderYaml(prometheusConfig(variant, options), header, (doc) => {
    const jobs = doc.get('scrape_configs', true);
    if (!isSeq(jobs)) return;
    jobList().forEach((job, i) => {
      const node = jobs.items[i];
      if (isMap(node)) node.commentBefore = ` ${job.about}`;
    });
  });
}

/** Where the secure-scrape example is written, relative to monitoring/. */
export const SECURE_PROMETHEUS_CONFIG_PATH = 'prometheus.secure.yml';

/**
 * Folder the secure example reads its secrets from: mount it read-only into the Prometheus
 * container (e.g. Docker secrets, a Kubernetes Secret volume). Nothing secret is written in the file.
 */
export const SCRAPE_SECRETS_DIR = '/etc/prometheus/secrets';

/** How a trading job proves itself to its metrics server in the secure example. */
export type ScrapeAuth = 'bearer' | 'basic';

/**
 * The credential each trading job sends in the secure example: a bearer token for market data and
 * the strategy engine, basic auth for the gateway, so the file shows both forms. Any job may use
 * either; the service's `createMetricsServer({ auth })` must match.
 */
export const SECURE_SCRAPE_AUTH: Readonly<Record<string, ScrapeAuth>> = Object.freeze({
  [cfg.jobs.marketData.name]: 'bearer',
  [cfg.jobs.gateway.name]: 'basic',
  [cfg.jobs.strategyEngine.name]: 'bearer',
});

/** Username the secure example sends with basic auth. */
export const SECURE_SCRAPE_USERNAME = 'prometheus';

/**
 * The secure-scrape example as plain data: the compose configuration, with the three trading jobs
 * scraped over HTTPS (`scheme`, `tls_config.ca_file`) and authenticated with a bearer token
 * (`authorization.credentials_file`) or basic auth (`basic_auth.password_file`), every secret read
 * from a file under `secretsDir`.
 *
 * @param secretsDir - folder of the secret files; default {@link SCRAPE_SECRETS_DIR}
 * @returns the object rendered to YAML
 */
export function securePrometheusConfig(secretsDir: string = SCRAPE_SECRETS_DIR): Record<string, unknown> {
  const base = prometheusConfig('compose');
  const jobs = base['scrape_configs'] as Record<string, unknown>[];
  return {
    ...base,
    scrape_configs: jobs.map((job) => {
      const name = String(job['job_name']);
      const auth = SECURE_SCRAPE_AUTH[name];
      if (auth === undefined) return job;
      const { static_configs, ...rest } = job;
      return {
        ...rest,
        scheme: 'https',
        ...(auth === 'bearer'
          ? { authorization: { type: 'Bearer', credentials_file: `${secretsDir}/${name}.token` } }
          : { basic_auth: { username: SECURE_SCRAPE_USERNAME, password_file: `${secretsDir}/${name}.password` } }),
        tls_config: { ca_file: `${secretsDir}/metrics-ca.pem`, insecure_skip_verify: false },
        static_configs,
      };
    }),
  };
}

/**
 * prometheus.secure.yml as YAML text: the example for services started with `auth` and `tls`.
 *
 * @param secretsDir - folder of the secret files; default {@link SCRAPE_SECRETS_DIR}
 * @returns the YAML text
 */
export function renderSecurePrometheusConfig(secretsDir: string = SCRAPE_SECRETS_DIR): string {
  const header = [
    ' Example: prometheus.yml for trading services that protect /metrics with TLS and credentials.',
    ' Same jobs as prometheus.yml (Docker Compose names); only the three trading jobs change.',
    ` Secrets are files under ${secretsDir} (mounted read-only, never committed):`,
    '   metrics-ca.pem        the CA that signed each service certificate; the certificates must name',
    '                         the targets (subjectAltName DNS:md-binance, DNS:gateway-okx, ...)',
    ...Object.entries(SECURE_SCRAPE_AUTH).map(([job, auth]) =>
      auth === 'bearer'
        ? `   ${`${job}.token`.padEnd(21)} bearer token of ${job}`
        : `   ${`${job}.password`.padEnd(21)} basic-auth password of ${job} (user "${SECURE_SCRAPE_USERNAME}")`,
    ),
    ' Each service starts its metrics server with the matching createMetricsServer options:',
    '   every service                 host: "0.0.0.0", tls: { keyPath, certPath } (a certificate signed by that CA)',
    ...Object.entries(SECURE_SCRAPE_AUTH).map(([job, auth]) =>
      auth === 'bearer'
        ? `   ${job.padEnd(29)} auth: { bearerToken: <${job}.token, trimmed> }`
        : `   ${job.padEnd(29)} auth: { basic: { username: "${SECURE_SCRAPE_USERNAME}", password: <${job}.password, trimmed> } }`,
    ),
    ' For mutual TLS add tls.caPath on the service and tls_config.cert_file / key_file here.',
  ].join('\n');
  return renderYaml(securePrometheusConfig(secretsDir), header, (doc) => {
    const jobs = doc.get('scrape_configs', true);
    if (!isSeq(jobs)) return;
    jobList().forEach((job, i) => {
      const node = jobs.items[i];
      const auth = SECURE_SCRAPE_AUTH[job.name];
      const how = auth === undefined ? '' : auth === 'bearer' ? ': HTTPS + bearer token' : ': HTTPS + basic auth';
      if (isMap(node)) node.commentBefore = ` ${job.about}${how}`;
    });
  });
}
