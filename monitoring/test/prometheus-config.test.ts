import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeWithTools, pollUntil, run, type Server, startServer } from '@ttquant/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RULES_PATHS, renderExampleFiles } from '../src/outputs.js';
import {
  PROMETHEUS_CONFIG_PATHS,
  prometheusConfig,
  renderSecurePrometheusConfig,
  retentionFlags,
  SCRAPE_SECRETS_DIR,
  SECURE_PROMETHEUS_CONFIG_PATH,
  SECURE_SCRAPE_AUTH,
  securePrometheusConfig,
} from '../src/prometheus-config.js';
import { alertGroups, recordingGroups } from '../src/rules/index.js';
import { monitoringPath } from './helpers/paths.js';

const alertCount = alertGroups.reduce((n, group) => n + group.alerts.length, 0);
const recordingCount = recordingGroups.reduce((n, group) => n + group.rules.length, 0);

interface ScrapeConfig {
  job_name: string;
  scrape_interval: string;
  scrape_timeout: string;
  honor_labels?: boolean;
  static_configs: { targets: string[] }[];
}
interface PrometheusFile {
  global: Record<string, string>;
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: ScrapeConfig[];
}

const files = {
  compose: monitoringPath(PROMETHEUS_CONFIG_PATHS.compose),
  local: monitoringPath(PROMETHEUS_CONFIG_PATHS.local),
};
const load = (path: string) => parse(readFileSync(path, 'utf8')) as PrometheusFile;
const seconds = (duration: string) => {
  const match = /^(\d+)(s|m)$/.exec(duration);
  if (match === null) throw new Error(`unexpected duration ${duration}`);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
};

// The original six jobs and their targets, in Docker Compose and on one machine (market data and the
// gateway once per venue: on one host the second venue's ports are 10 above, monitoring/src venuePort).
const JOBS = [
  {
    job: 'market-data',
    interval: '5s',
    compose: ['md-binance:8080', 'md-okx:8080'],
    local: ['127.0.0.1:8080', '127.0.0.1:8090'],
  },
  {
    job: 'gateway',
    interval: '5s',
    compose: ['gateway-binance:8081', 'gateway-okx:8081'],
    local: ['127.0.0.1:8081', '127.0.0.1:8091'],
  },
  { job: 'strategy-engine', interval: '5s', compose: ['strategy-engine:8000'], local: ['127.0.0.1:8000'] },
  { job: 'timescaledb', interval: '15s', compose: ['postgres-exporter:9187'], local: ['127.0.0.1:9187'] },
  { job: 'node', interval: '15s', compose: ['node-exporter:9100'], local: ['127.0.0.1:9100'] },
  { job: 'prometheus', interval: '15s', compose: ['localhost:9090'], local: ['127.0.0.1:9090'] },
  // Not in the original: the Pushgateway backtests push to.
  { job: 'pushgateway', interval: '5s', compose: ['pushgateway:9091'], local: ['127.0.0.1:9091'] },
] as const;

describe('prometheus.yml and its local variant', () => {
  for (const variant of ['compose', 'local'] as const) {
    it(`${variant}: has the six jobs with their targets and intervals`, () => {
      const config = load(files[variant]);
      expect(
        config.scrape_configs.map((job) => [
          job.job_name,
          job.scrape_interval,
          job.static_configs.flatMap((s) => s.targets),
        ]),
      ).toEqual(JOBS.map((job) => [job.job, job.interval, [...job[variant]]]));
      // Pushed series keep the job and run labels of whoever pushed them; every other job's are the target's.
      expect(config.scrape_configs.filter((job) => job.honor_labels === true).map((job) => job.job_name)).toEqual([
        'pushgateway',
      ]);
    });

    it(`${variant}: never lets a scrape timeout exceed its interval`, () => {
      const config = load(files[variant]);
      expect(seconds(config.global['scrape_timeout'] ?? '')).toBeLessThanOrEqual(
        seconds(config.global['scrape_interval'] ?? ''),
      );
      for (const job of config.scrape_configs) {
        expect(seconds(job.scrape_timeout), job.job_name).toBeLessThanOrEqual(seconds(job.scrape_interval));
      }
    });

    it(`${variant}: loads both rule files and sends alerts to Alertmanager`, () => {
      const config = load(files[variant]);
      const ruleFiles = config.rule_files.map((file) => join(dirname(files[variant]), file));
      expect(ruleFiles.map((file) => file.slice(monitoringPath().length))).toEqual([
        '/generated/recording-rules.yml',
        '/generated/alerts.yml',
      ]);
      for (const file of ruleFiles) expect(existsSync(file), file).toBe(true);
      expect(config.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets))).toEqual([
        variant === 'compose' ? 'alertmanager:9093' : '127.0.0.1:9093',
      ]);
    });

    it(`${variant}: documents the retention flags (30d, 50GB) for the command line`, () => {
      expect(retentionFlags()).toEqual(['--storage.tsdb.retention.time=30d', '--storage.tsdb.retention.size=50GB']);
      const text = readFileSync(files[variant], 'utf8');
      for (const flag of retentionFlags()) {
        expect(
          text.split('\n').some((line) => line.startsWith('#') && line.includes(flag)),
          flag,
        ).toBe(true);
      }
    });
  }

  it('differs between the variants only in addresses, rule-file folders and remote_write', () => {
    // remote_write: Compose writes to its victoria-metrics service; the native stack adds its own.
    const strip = (config: PrometheusFile) => ({
      ...config,
      remote_write: undefined,
      rule_files: config.rule_files.map((file) => file.replace(/^generated\//, '')),
      alerting: null,
      scrape_configs: config.scrape_configs.map((job) => ({ ...job, static_configs: null })),
    });
    expect(strip(load(files.local))).toEqual(strip(load(files.compose)));
  });
});

describeWithTools('promtool check config', ['promtool'], () => {
  for (const variant of ['compose', 'local'] as const) {
    it(`accepts ${PROMETHEUS_CONFIG_PATHS[variant]} and the rule files it names`, async () => {
      // Offline: promtool checks syntax and rule files, and does not resolve the Compose host names.
      const result = await run('promtool', ['check', 'config', files[variant]]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('SUCCESS: 2 rule files found');
      expect(result.stdout).toContain(`SUCCESS: ${alertCount} rules found`);
      expect(result.stdout).toContain(`SUCCESS: ${recordingCount} rules found`);
    });
  }

  it('rejects a timeout longer than the interval (the check can fail)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttquant-promcfg-'));
    try {
      const bad = join(dir, 'prometheus.yml');
      writeFileSync(
        bad,
        'scrape_configs:\n  - job_name: x\n    scrape_interval: 5s\n    scrape_timeout: 10s\n    static_configs: [{ targets: [a:1] }]\n',
      );
      const result = await run('promtool', ['check', 'config', bad]);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toContain('scrape timeout greater than scrape interval');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithTools('a real Prometheus loads the local variant', ['prometheus'], () => {
  let prometheus: Server | undefined;
  beforeAll(async () => {
    prometheus = await startServer('prometheus', (port, dir) => [
      `--config.file=${files.local}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...retentionFlags(),
    ]);
  });
  afterAll(async () => {
    await prometheus?.stop();
  });
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${prometheus?.url}${path}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.json()) as { status: string; data: T };
    expect(body.status).toBe('success');
    return body.data;
  };

  it('has the six scrape pools with their targets, intervals and timeouts', async () => {
    type Target = { scrapePool: string; scrapeUrl: string; scrapeInterval: string; scrapeTimeout: string };
    // Targets appear once service discovery has run, shortly after start.
    const active = await pollUntil(async () => {
      const data = await api<{ activeTargets: Target[] }>('/api/v1/targets?state=any');
      return data.activeTargets.length >= 6 ? data.activeTargets : undefined;
    }, 'six active targets');
    const targets = active
      .map((t) => [t.scrapePool, t.scrapeUrl, t.scrapeInterval, t.scrapeTimeout])
      .sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    expect(targets).toEqual(
      JOBS.flatMap((job) =>
        job.local.map((target) => [
          job.job,
          `http://${target}/metrics`,
          job.interval,
          job.interval === '5s' ? '4s' : '10s',
        ]),
      ).sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    );
  });

  it('loads every alert and recording rule without errors', async () => {
    const data = await api<{ groups: { name: string; rules: { type: string; health: string; name: string }[] }[] }>(
      '/api/v1/rules',
    );
    const rules = data.groups.flatMap((group) => group.rules);
    expect(data.groups.map((group) => group.name).sort()).toEqual(
      [
        'database_alerts',
        'gateway_alerts',
        'gateway_records',
        'instrumentation_alerts',
        'market_data_alerts',
        'market_data_records',
        'strategy_alerts',
        'system_alerts',
      ].sort(),
    );
    expect(rules.filter((rule) => rule.type === 'alerting')).toHaveLength(alertCount);
    expect(rules.filter((rule) => rule.type === 'recording')).toHaveLength(recordingCount);
    expect(rules.filter((rule) => rule.health === 'err')).toEqual([]);
  });

  it('sends alerts to Alertmanager on 127.0.0.1:9093', async () => {
    const urls = await pollUntil(async () => {
      const data = await api<{ activeAlertmanagers: { url: string }[] }>('/api/v1/alertmanagers');
      return data.activeAlertmanagers.length > 0 ? data.activeAlertmanagers.map((a) => a.url) : undefined;
    }, 'an active Alertmanager');
    expect(urls).toEqual(['http://127.0.0.1:9093/api/v2/alerts']);
  });
});

describe('prometheus.secure.yml (the secure-scrape example)', () => {
  const path = monitoringPath(SECURE_PROMETHEUS_CONFIG_PATH);
  type SecureJob = ScrapeConfig & {
    scheme?: string;
    authorization?: Record<string, string>;
    basic_auth?: Record<string, string>;
    tls_config?: Record<string, unknown>;
  };

  it('is fresh', () => {
    const [file] = renderExampleFiles();
    expect(file?.path).toBe('prometheus.secure.yml');
    const stale =
      'monitoring/prometheus.secure.yml is stale: run `npm run generate -w @ttquant/monitoring` and commit it';
    expect(existsSync(path), stale).toBe(true);
    expect(readFileSync(path, 'utf8'), stale).toBe(file?.content);
  });

  it('scrapes the three trading jobs over verified HTTPS with credentials read from files', () => {
    const config = parse(readFileSync(path, 'utf8')) as { scrape_configs: SecureJob[] };
    const secured = config.scrape_configs.filter((job) => job.scheme === 'https');
    expect(secured.map((job) => job.job_name)).toEqual(['market-data', 'gateway', 'strategy-engine']);
    expect(SECURE_SCRAPE_AUTH).toEqual({ 'market-data': 'bearer', gateway: 'basic', 'strategy-engine': 'bearer' });
    const dir = SCRAPE_SECRETS_DIR;
    expect(secured.map((job) => [job.job_name, job.authorization, job.basic_auth, job.tls_config])).toEqual([
      [
        'market-data',
        { type: 'Bearer', credentials_file: `${dir}/market-data.token` },
        undefined,
        { ca_file: `${dir}/metrics-ca.pem`, insecure_skip_verify: false },
      ],
      [
        'gateway',
        undefined,
        { username: 'prometheus', password_file: `${dir}/gateway.password` },
        { ca_file: `${dir}/metrics-ca.pem`, insecure_skip_verify: false },
      ],
      [
        'strategy-engine',
        { type: 'Bearer', credentials_file: `${dir}/strategy-engine.token` },
        undefined,
        { ca_file: `${dir}/metrics-ca.pem`, insecure_skip_verify: false },
      ],
    ]);
    // No inline secret anywhere.
    expect(readFileSync(path, 'utf8')).not.toMatch(/^\s*(credentials|password|bearer_token):/m);
  });

  it("differs from prometheus.yml only in the trading jobs' scheme, credentials and TLS", () => {
    const strip = (config: Record<string, unknown>) => ({
      ...config,
      scrape_configs: (config['scrape_configs'] as Record<string, unknown>[]).map(
        ({ scheme: _s, authorization: _a, basic_auth: _b, tls_config: _t, ...job }) => job,
      ),
    });
    expect(strip(securePrometheusConfig())).toEqual(prometheusConfig('compose'));
  });
});

describeWithTools('promtool check config on prometheus.secure.yml', ['promtool'], () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ttquant-secure-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("accepts the committed file's syntax", async () => {
    const result = await run('promtool', [
      'check',
      'config',
      '--syntax-only',
      monitoringPath(SECURE_PROMETHEUS_CONFIG_PATH),
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('accepts it in full (secret files, CA and rule files present), and fails when a token file is missing', async () => {
    // The same file with its secrets folder in a temporary place, beside copies of the rule files.
    const secrets = join(dir, 'secrets');
    mkdirSync(secrets);
    mkdirSync(join(dir, 'generated'));
    for (const rules of Object.values(RULES_PATHS)) cpSync(monitoringPath(rules), join(dir, rules));
    for (const [job, auth] of Object.entries(SECURE_SCRAPE_AUTH)) {
      writeFileSync(join(secrets, `${job}.${auth === 'bearer' ? 'token' : 'password'}`), 'not-a-real-secret\n');
    }
    const config = join(dir, 'prometheus.secure.yml');
    writeFileSync(config, renderSecurePrometheusConfig(secrets));

    // promtool 2.42 checks that authorization.credentials_file exists, but not password_file or ca_file; the live test
    // (packages/metrics-sdk/test/conformance/secure-scrape.test.ts) proves a real certificate chain.
    writeFileSync(join(secrets, 'metrics-ca.pem'), '');
    const result = await run('promtool', ['check', 'config', config]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('SUCCESS: 2 rule files found');

    rmSync(join(secrets, 'market-data.token'));
    const missing = await run('promtool', ['check', 'config', config]);
    expect(missing.code).toBe(1);
    expect(missing.stdout + missing.stderr).toContain(
      `error checking authorization credentials or bearer token file "${join(secrets, 'market-data.token')}"`,
    );
  });
});
