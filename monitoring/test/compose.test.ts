// docker/docker-compose.yml against the files it must agree with: every Prometheus target is a
// service that listens there, the example services' environment is read by their own config
// readers, every mounted repository file exists, and no credential has a default. Docker cannot run
// on CI, so the structure is checked from the parsed YAML; `docker compose config` runs where the
// compose plugin exists and says "skipped" where it does not.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readExchangeConfig } from '../../examples/fixtures/exchange/config.js';
import { readGatewayConfig } from '../../examples/gateway/config.js';
import { readMarketDataConfig } from '../../examples/market-data/config.js';
import { readEngineConfig } from '../../examples/strategy-engine/config.js';
import { monitoringConfig } from '../src/config.js';
import { retentionFlags } from '../src/prometheus-config.js';
import { monitoringPath, REPO } from './helpers/paths.js';

type Env = Record<string, string>;

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  expose?: string[];
  secrets?: { source: string; target: string }[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  pid?: string;
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
}

const DOCKER = join(REPO, 'docker');
const COMPOSE_PATH = join(DOCKER, 'docker-compose.yml');
const ENV_EXAMPLE_PATH = join(DOCKER, '.env.example');

// merge: compose supports YAML merge keys (`<<: *example`), which the file uses for shared settings.
const raw = parse(readFileSync(COMPOSE_PATH, 'utf8'), { merge: true }) as ComposeFile;

/**
 * Compose's variable interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`. Throws like compose does for a
 * required variable that is missing (`?`) or empty (`:?`).
 */
function interpolate(value: string, env: Env): string {
  return value.replace(
    /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_match, dollar: string | undefined, name: string | undefined, op = '', arg = '', bare: string | undefined) => {
      if (dollar !== undefined) return '$';
      const key = (name ?? bare) as string;
      const set = Object.hasOwn(env, key);
      const present = op.startsWith(':') ? set && env[key] !== '' : set;
      switch (op.replace(':', '')) {
        case '-':
          return present ? env[key] : arg;
        case '?':
          if (!present) throw new Error(`required variable ${key} is missing a value: ${arg}`);
          return env[key];
        case '+':
          return present ? arg : '';
        default:
          return env[key] ?? '';
      }
    },
  );
}

/** The compose file with every string value interpolated (keys are not, as in compose). */
function resolved(env: Env): ComposeFile {
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return interpolate(node, env);
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    }
    return node;
  };
  return walk(raw) as ComposeFile;
}

/** docker/.env.example as a map (KEY=VALUE lines; comments and blanks skipped). */
function envExample(): Env {
  const out: Env = {};
  for (const line of readFileSync(ENV_EXAMPLE_PATH, 'utf8').split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match !== null) out[match[1]] = match[2];
  }
  return out;
}

// What a user writes into docker/.env: the example with its empty secrets filled in.
const FILLED: Env = {
  GF_SECURITY_ADMIN_USER: 'ops',
  GF_SECURITY_ADMIN_PASSWORD: 'correct-horse-battery',
  POSTGRES_PASSWORD: 'pg-test-password',
};
const testEnv = (): Env => ({ ...envExample(), ...FILLED });
const compose = resolved(testEnv());
const services = compose.services;

/** Container ports a service listens on for its peers: `expose` and the container side of `ports`. */
function containerPorts(service: Service): Set<number> {
  const ports = new Set<number>((service.expose ?? []).map(Number));
  for (const mapping of service.ports ?? []) ports.add(Number(mapping.split(':').at(-1)?.split('/')[0]));
  return ports;
}

function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `tcp://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}

/** Asserts that `address` names a compose service that exposes its port, and returns the service name. */
function expectServiceListening(address: string): string {
  const { host, port } = hostPort(address);
  expect(Object.keys(services), `${address}: no service named ${host}`).toContain(host);
  expect([...containerPorts(services[host])], `${address}: ${host} does not expose ${port}`).toContain(port);
  return host;
}

/** The service's environment as its process sees it. */
const envOf = (name: string): Env => ({ ...(services[name].environment ?? {}) });

/** Host side of a bind mount, or undefined for a named volume. */
function bindSource(volume: string): string | undefined {
  const source = volume.split(':')[0];
  return source.startsWith('.') || isAbsolute(source) ? source : undefined;
}

/** The host path behind a path inside a service's container, through its bind mounts. */
function hostPathOf(service: Service, containerPath: string): string | undefined {
  for (const volume of service.volumes ?? []) {
    const [source, target] = volume.split(':');
    if (bindSource(volume) === undefined || !source.startsWith('.')) continue;
    const rest = relative(target, containerPath);
    if (rest === '' || (!rest.startsWith('..') && !isAbsolute(rest))) return resolve(DOCKER, source, rest);
  }
  return undefined;
}

describe('docker/docker-compose.yml: services and targets', () => {
  it('has the original monitoring services, the database and the example pipeline', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'prometheus',
        'grafana',
        'alertmanager',
        'node-exporter',
        'postgres-exporter',
        'pushgateway',
        'victoria-metrics',
        'timescaledb',
        'exchange',
        'md-binance',
        'md-okx',
        'gateway-binance',
        'gateway-okx',
        'strategy-engine',
      ].sort(),
    );
  });

  it('every scrape target of monitoring/prometheus.yml is a service exposing that port', () => {
    const prometheus = parse(readFileSync(monitoringPath('prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    const targets = prometheus.scrape_configs.flatMap((job) =>
      job.static_configs.flatMap((s) => s.targets.map((target) => ({ job: job.job_name, target }))),
    );
    expect(targets.length).toBe(9);
    for (const { job, target } of targets) {
      // Prometheus scrapes itself through its own loopback: localhost is the prometheus service.
      const address = target.startsWith('localhost:') ? target.replace('localhost', job) : target;
      expectServiceListening(address);
    }
    const alertmanagers = prometheus.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets));
    expect(alertmanagers.map(expectServiceListening)).toEqual(['alertmanager']);
  });

  it('Prometheus remote_writes to the victoria-metrics service, which keeps its data on a volume for the configured retention', () => {
    const prometheus = parse(readFileSync(monitoringPath('prometheus.yml'), 'utf8')) as {
      remote_write?: { url: string }[];
    };
    const urls = (prometheus.remote_write ?? []).map((r) => r.url);
    expect(urls).toEqual(monitoringConfig.remoteWrite.compose.map((r) => r.url));
    expect(urls.map(expectServiceListening)).toEqual(['victoria-metrics']);
    expect(new URL(urls[0] as string).pathname).toBe('/api/v1/write');
    const vm = services['victoria-metrics'];
    expect(vm.image).toMatch(/^victoriametrics\/victoria-metrics:v1\.\d+\.\d+$/);
    expect(vm.command).toEqual(
      expect.arrayContaining([
        '-storageDataPath=/victoria-metrics-data',
        `-retentionPeriod=${monitoringConfig.victoriaMetricsRetention}`,
        `-httpListenAddr=:${hostPort(urls[0] as string).port}`,
      ]),
    );
    expect(vm.volumes).toEqual(['victoria-metrics-data:/victoria-metrics-data']);
    // No authentication: reachable inside the compose network only.
    expect(vm.ports).toBeUndefined();
    expect(services.prometheus.depends_on).toContain('victoria-metrics');
  });

  it('the third-party components listen on their upstream default ports (no --web.listen-address)', () => {
    for (const name of ['prometheus', 'alertmanager', 'node-exporter', 'postgres-exporter', 'pushgateway']) {
      expect((services[name].command ?? []).filter((arg) => arg.startsWith('--web.listen-address'))).toEqual([]);
    }
  });

  it('Grafana’s provisioned datasource points at the prometheus service', () => {
    const datasources = parse(readFileSync(monitoringPath('grafana', 'datasources.yml'), 'utf8')) as {
      datasources: { url: string }[];
    };
    for (const ds of datasources.datasources) expect(expectServiceListening(ds.url)).toBe('prometheus');
  });

  it('publishes only the UIs (Prometheus, Alertmanager, Grafana) and the Pushgateway backtests push to, on BIND_ADDRESS (default 127.0.0.1)', () => {
    const published = (env: Env) =>
      Object.entries(resolved(env).services)
        .filter(([, s]) => (s.ports ?? []).length > 0)
        .map(([name, s]) => [name, s.ports]);
    expect(published({ ...testEnv(), BIND_ADDRESS: '10.1.2.3' })).toEqual([
      ['prometheus', ['10.1.2.3:9090:9090']],
      ['alertmanager', ['10.1.2.3:9093:9093']],
      ['grafana', ['10.1.2.3:3000:3000']],
      ['pushgateway', ['10.1.2.3:9091:9091']],
    ]);
    const { BIND_ADDRESS: _unset, ...withoutBind } = testEnv();
    expect(published(withoutBind).map(([, ports]) => ports)).toEqual([
      ['127.0.0.1:9090:9090'],
      ['127.0.0.1:9093:9093'],
      ['127.0.0.1:3000:3000'],
      ['127.0.0.1:9091:9091'],
    ]);
  });
});

describe('docker/docker-compose.yml: the example services read their environment as intended', () => {
  it('market data: one venue per service, metrics on 0.0.0.0:8080, the bus bound on 0.0.0.0, TimescaleDB', () => {
    for (const venue of ['binance', 'okx'] as const) {
      const name = `md-${venue}`;
      const config = readMarketDataConfig(envOf(name));
      expect(config.feed.exchanges).toEqual([venue]);
      expect(config.metricsHost).toBe('0.0.0.0');
      expectServiceListening(`${name}:${config.metricsPort}`);
      expect(hostPort(config.zmqEndpoint).host).toBe('0.0.0.0');
      expectServiceListening(`${name}:${hostPort(config.zmqEndpoint).port}`);
      expect(expectServiceListening(config.feed.wsBaseUrl)).toBe('exchange');
      expect(config.db.url).toBe('postgres://ttquant:pg-test-password@timescaledb:5432/ttquant');
      expect(expectServiceListening(config.db.url as string)).toBe('timescaledb');
    }
  });

  it('gateways: one venue each, metrics on 0.0.0.0:8081, order entry and fills bound on 0.0.0.0, marks from their venue', () => {
    for (const venue of ['binance', 'okx'] as const) {
      const name = `gateway-${venue}`;
      const config = readGatewayConfig(envOf(name));
      expect(config.venues).toEqual([venue]);
      expect(config.metricsHost).toBe('0.0.0.0');
      expectServiceListening(`${name}:${config.metricsPort}`);
      expect(config.orderHost).toBe('0.0.0.0');
      expectServiceListening(`${name}:${config.orderPort}`);
      expect(hostPort(config.zmqEndpoint).host).toBe('0.0.0.0');
      expectServiceListening(`${name}:${hostPort(config.zmqEndpoint).port}`);
      expect(expectServiceListening(config.mdZmqEndpoint)).toBe(`md-${venue}`);
      expect(expectServiceListening(config.exchangeUrl)).toBe('exchange');
    }
  });

  it('strategy engine: metrics on 0.0.0.0:8000; each venue’s bus, fills and order entry by hostname, from that venue’s services', () => {
    const config = readEngineConfig(envOf('strategy-engine'));
    expect(config.metricsHost).toBe('0.0.0.0');
    expectServiceListening(`strategy-engine:${config.metricsPort}`);
    // Both venues traded, each through its own market data and gateway: orders reach both gateways.
    expect([...new Set(config.strategies.map((s) => s.exchange))].sort()).toEqual(['binance', 'okx']);
    expect([...config.venues.keys()].sort()).toEqual(['binance', 'okx']);
    for (const [venue, endpoints] of config.venues) {
      const mdBus = expectServiceListening(endpoints.mdZmqEndpoint);
      expect(mdBus).toBe(`md-${venue}`);
      expect(hostPort(readMarketDataConfig(envOf(mdBus)).zmqEndpoint).port).toBe(
        hostPort(endpoints.mdZmqEndpoint).port,
      );
      const fills = expectServiceListening(endpoints.gatewayZmqEndpoint);
      const orders = expectServiceListening(endpoints.gatewayUrl);
      expect(orders).toBe(`gateway-${venue}`);
      expect(fills).toBe(orders);
      const gateway = readGatewayConfig(envOf(orders));
      expect(hostPort(gateway.zmqEndpoint).port).toBe(hostPort(endpoints.gatewayZmqEndpoint).port);
      expect(gateway.orderPort).toBe(hostPort(endpoints.gatewayUrl).port);
      // An order for a venue its gateway does not route is a 400: every strategy of this venue must
      // find it routed there, and its ticks on this bus.
      expect(gateway.venues).toEqual([venue]);
      expect(readMarketDataConfig(envOf(mdBus)).feed.exchanges).toEqual([venue]);
    }
  });

  it('exchange simulator: listens on 0.0.0.0:9400 inside the network, not published', () => {
    const config = readExchangeConfig(envOf('exchange'));
    expect(config.host).toBe('0.0.0.0');
    expectServiceListening(`exchange:${config.port}`);
    expect(services.exchange.ports).toBeUndefined();
  });

  it('every example service runs a tsx entry point from the one examples image, with a health check on its port', () => {
    const examples = ['exchange', 'md-binance', 'md-okx', 'gateway-binance', 'gateway-okx', 'strategy-engine'];
    const healthPorts: Record<string, number> = {
      exchange: 9400,
      'md-binance': 8080,
      'md-okx': 8080,
      'gateway-binance': 8081,
      'gateway-okx': 8081,
      'strategy-engine': 8000,
    };
    for (const name of examples) {
      const service = services[name];
      expect(service.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile.examples' });
      expect(service.image).toBe('ttquant-examples:local');
      expect(service.command).toHaveLength(1);
      expect(existsSync(join(REPO, service.command?.[0] as string)), `${name}: ${service.command}`).toBe(true);
      expect(service.healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${healthPorts[name]}/health`);
    }
    const dockerfile = readFileSync(join(DOCKER, 'Dockerfile.examples'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:24-/m);
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", ("--[a-z-]+=\d+", )*"--import", "tsx"\]$/m);
  });
});

describe('docker/docker-compose.yml: volumes and mounted files', () => {
  it('declares the named volumes and mounts each at its service’s data path', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(
      [
        'alertmanager-data',
        'grafana-data',
        'md-binance-data',
        'md-okx-data',
        'prometheus-data',
        'timescaledb-data',
        'victoria-metrics-data',
      ].sort(),
    );
    const named = (service: string) => (services[service].volumes ?? []).filter((v) => bindSource(v) === undefined);
    expect(named('prometheus')).toEqual(['prometheus-data:/prometheus']);
    expect(named('grafana')).toEqual(['grafana-data:/var/lib/grafana']);
    expect(named('alertmanager')).toEqual(['alertmanager-data:/alertmanager']);
    expect(named('timescaledb')).toEqual(['timescaledb-data:/var/lib/postgresql/data']);
    // Market data's spool (MD_SPOOL_DIR's default, under the image's WORKDIR /app) is on a volume,
    // in a folder the image makes the `node` user's, so a recreated container resumes from it.
    for (const venue of ['binance', 'okx']) {
      const md = `md-${venue}`;
      const env = services[md].environment ?? {};
      expect(env.MD_SPOOL_DIR, md).toBeUndefined();
      const spool = readMarketDataConfig(env).db.spoolDir as string;
      const inImage = `/app/${relative(REPO, spool)}`;
      const [mount] = named(md);
      expect(mount, md).toBe(`${md}-data:/app/.data`);
      expect(inImage.startsWith('/app/.data/'), inImage).toBe(true);
    }
    expect(readFileSync(join(REPO, 'docker/Dockerfile.examples'), 'utf8')).toMatch(
      /mkdir -p \/app\/\.data && chown node:node \/app\/\.data[\s\S]*USER node/,
    );
    expect(services.prometheus.command).toContain('--storage.tsdb.path=/prometheus');
    expect(services.alertmanager.command).toContain('--storage.path=/alertmanager');
  });

  it('every repository file or folder a service mounts exists, and so do the build context and Dockerfile', () => {
    const mounted: string[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = bindSource(volume);
        if (source === undefined || isAbsolute(source)) continue; // named volume, or a host path (/proc)
        const path = resolve(DOCKER, source);
        expect(existsSync(path), `${name}: ${source} does not exist`).toBe(true);
        expect(volume.split(':')[2], `${name}: ${source} should be read-only`).toMatch(/^ro\b/);
        mounted.push(relative(REPO, path));
      }
      if (service.build !== undefined) {
        expect(statSync(resolve(DOCKER, service.build.context)).isDirectory()).toBe(true);
        expect(existsSync(resolve(DOCKER, service.build.context, service.build.dockerfile))).toBe(true);
      }
    }
    expect(mounted.sort()).toEqual(
      [
        'monitoring/alertmanager.yml',
        'monitoring/generated',
        'monitoring/generated/dashboards',
        'monitoring/grafana/dashboards.yml',
        'monitoring/grafana/datasources.yml',
        'monitoring/prometheus.yml',
      ].sort(),
    );
  });

  it('Prometheus runs monitoring/prometheus.yml with the retention flags, and its rule files resolve to generated files', () => {
    const prom = services.prometheus;
    const configFlag = prom.command?.find((arg) => arg.startsWith('--config.file=')) as string;
    const configPath = configFlag.slice('--config.file='.length);
    expect(hostPathOf(prom, configPath)).toBe(monitoringPath('prometheus.yml'));
    for (const flag of retentionFlags()) expect(prom.command).toContain(flag);
    expect(prom.command).toContain('--web.enable-lifecycle');
    const { rule_files } = parse(readFileSync(monitoringPath('prometheus.yml'), 'utf8')) as { rule_files: string[] };
    expect(rule_files.length).toBeGreaterThan(0);
    for (const file of rule_files) {
      const host = hostPathOf(prom, resolve(configPath, '..', file));
      expect(host, `${file} is not mounted`).toBeDefined();
      expect(existsSync(host as string), `${file}: ${host} missing`).toBe(true);
    }
  });

  it('Grafana provisions the datasource and the generated dashboards from monitoring/', () => {
    const grafana = services.grafana;
    expect(hostPathOf(grafana, '/etc/grafana/provisioning/datasources/datasources.yml')).toBe(
      monitoringPath('grafana', 'datasources.yml'),
    );
    expect(hostPathOf(grafana, '/etc/grafana/provisioning/dashboards/dashboards.yml')).toBe(
      monitoringPath('grafana', 'dashboards.yml'),
    );
    const providers = parse(readFileSync(monitoringPath('grafana', 'dashboards.yml'), 'utf8')) as {
      providers: { options: { path: string } }[];
    };
    for (const provider of providers.providers) {
      const host = hostPathOf(grafana, join(provider.options.path, 'ttquant.json'));
      expect(host).toBe(monitoringPath('generated', 'dashboards', 'ttquant.json'));
      expect(existsSync(host as string)).toBe(true);
    }
  });

  it('node-exporter reads the host’s /proc, /sys and / read-only', () => {
    const volumes = services['node-exporter'].volumes ?? [];
    expect(volumes).toEqual(['/proc:/host/proc:ro', '/sys:/host/sys:ro', '/:/host/root:ro,rslave']);
    expect(services['node-exporter'].command).toEqual(
      expect.arrayContaining(['--path.procfs=/host/proc', '--path.sysfs=/host/sys', '--path.rootfs=/host/root']),
    );
  });
});

describe('docker/docker-compose.yml: credentials and secrets', () => {
  it('Grafana has no default credentials: both come from required variables, empty in .env.example', () => {
    const env = raw.services.grafana.environment ?? {};
    expect(env.GF_SECURITY_ADMIN_USER).toMatch(/^\$\{GF_SECURITY_ADMIN_USER:\?[^}]+\}$/);
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GF_SECURITY_ADMIN_PASSWORD:\?[^}]+\}$/);
    expect(readFileSync(COMPOSE_PATH, 'utf8')).not.toMatch(/admin\/admin|ADMIN_PASSWORD\s*[:=]\s*['"]?admin\b/i);
    const example = envExample();
    expect(example.GF_SECURITY_ADMIN_USER).toBe('');
    expect(example.GF_SECURITY_ADMIN_PASSWORD).toBe('');
    expect(example.POSTGRES_PASSWORD).toBe('');
    // As compose would: an unfilled .env stops it with the variable's name.
    expect(() => resolved(envExample())).toThrow(/required variable (GF_SECURITY_ADMIN_USER|POSTGRES_PASSWORD)/);
    expect(() => resolved({ ...testEnv(), GF_SECURITY_ADMIN_PASSWORD: '' })).toThrow(
      'required variable GF_SECURITY_ADMIN_PASSWORD is missing a value',
    );
    expect(compose.services.grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe('correct-horse-battery');
  });

  it('the database password is a required variable wherever it is used; postgres-exporter reads DATA_SOURCE_NAME from it', () => {
    const text = readFileSync(COMPOSE_PATH, 'utf8');
    expect(text).toMatch(/POSTGRES_PASSWORD:\?/);
    expect(text).not.toMatch(/\$\{POSTGRES_PASSWORD(:?-)/);
    expect(compose.services['postgres-exporter'].environment?.DATA_SOURCE_NAME).toBe(
      'postgresql://ttquant:pg-test-password@timescaledb:5432/ttquant?sslmode=disable',
    );
    expect(compose.services.timescaledb.environment?.POSTGRES_PASSWORD).toBe('pg-test-password');
  });

  it('every variable the compose file reads is listed in .env.example', () => {
    const used = new Set(
      [...readFileSync(COMPOSE_PATH, 'utf8').matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]),
    );
    expect([...used].filter((name) => !Object.hasOwn(envExample(), name))).toEqual([]);
  });

  it('Alertmanager gets its secrets as files at the paths alertmanager.yml reads, from outside git', () => {
    const am = parse(readFileSync(monitoringPath('alertmanager.yml'), 'utf8')) as {
      receivers: { email_configs?: { auth_password_file: string }[]; slack_configs?: { api_url_file: string }[] }[];
    };
    const read = new Set(
      am.receivers.flatMap((r) => [
        ...(r.email_configs ?? []).map((e) => e.auth_password_file),
        ...(r.slack_configs ?? []).map((s) => s.api_url_file),
      ]),
    );
    const { email, slack } = monitoringConfig.alertmanager;
    expect([...read].sort()).toEqual([email.passwordFile, slack.apiUrlFile].sort());
    const targets = (services.alertmanager.secrets ?? []).map((s) => s.target);
    expect(targets.sort()).toEqual([...read].sort());
    for (const secret of services.alertmanager.secrets ?? [])
      expect(Object.keys(compose.secrets)).toContain(secret.source);
    // The secret files default to docker/secrets/, and nothing there (nor docker/.env) is in git.
    const files = Object.values(compose.secrets).map((s) => relative(REPO, resolve(DOCKER, s.file)));
    expect(files.sort()).toEqual(['docker/secrets/slack_api_url', 'docker/secrets/smtp_password']);
    const tracked = spawnSync('git', ['ls-files', '--', 'docker/secrets', 'docker/.env'], {
      cwd: REPO,
      encoding: 'utf8',
    });
    expect(tracked.status).toBe(0);
    expect(tracked.stdout).toBe('');
  });
});

// `docker compose config` needs only the compose plugin, not an engine. Where the plugin is missing
// (as on CI here) the test is reported as skipped, never passed.
const composeVersion = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 10_000 });
const hasCompose = composeVersion.status === 0;

describe('docker compose config', () => {
  const name = 'docker compose config accepts the file and agrees with the parsed structure';
  const body = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttquant-compose-'));
    try {
      // Secret files must exist for compose to accept the file; they live in a scratch folder here.
      writeFileSync(join(dir, 'smtp_password'), 'x');
      writeFileSync(join(dir, 'slack_api_url'), 'x');
      const env = {
        ...testEnv(),
        SMTP_PASSWORD_FILE: join(dir, 'smtp_password'),
        SLACK_API_URL_FILE: join(dir, 'slack_api_url'),
      };
      const envFile = join(dir, '.env');
      const write = (values: Env) =>
        writeFileSync(
          envFile,
          Object.entries(values)
            .map(([k, v]) => `${k}=${v}`)
            .join('\n'),
        );
      const runConfig = () =>
        spawnSync('docker', ['compose', '-f', COMPOSE_PATH, '--env-file', envFile, 'config', '--format', 'json'], {
          encoding: 'utf8',
          timeout: 30_000,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir },
        });
      write(env);
      const ok = runConfig();
      expect(ok.status, ok.stderr).toBe(0);
      const config = JSON.parse(ok.stdout) as ComposeFile;
      expect(Object.keys(config.services).sort()).toEqual(Object.keys(services).sort());
      expect(config.services['md-binance'].environment?.DATABASE_URL).toBe(
        services['md-binance'].environment?.DATABASE_URL,
      );
      expect(config.services.grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).toBe('correct-horse-battery');
      write({ ...env, GF_SECURITY_ADMIN_PASSWORD: '' });
      const refused = runConfig();
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('GF_SECURITY_ADMIN_PASSWORD');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  if (hasCompose) it(name, body);
  else it.skip(`${name} (skipped: no Docker engine/compose here)`, body);
});
