// docker/docker-compose.secure.yml merged over docker/docker-compose.yml the way compose merges
// them, checked against monitoring/prometheus.secure.yml and against the services' own reader of
// their protection (examples/shared/metrics-security.ts): Prometheus reads every credential from a
// secret mounted where its config says, each trading service requires exactly the credential its
// job sends, from the same secret file, over TLS, and checks its own health over https. Docker
// cannot run on CI, so the structure is checked from the parsed YAML; `docker compose config` runs
// where the compose plugin exists and says "skipped" where it does not.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve } from 'node:path';
import { describeWithOpenssl, makeTestPki, type TestPki } from '@ttquant/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readGatewayConfig } from '../../examples/gateway/config.js';
import { readMarketDataConfig } from '../../examples/market-data/config.js';
import { type MetricsSecurity, readMetricsSecurity } from '../../examples/shared/metrics-security.js';
import { readEngineConfig } from '../../examples/strategy-engine/config.js';
import { monitoringPath, REPO } from './helpers/paths.js';

type Env = Record<string, string>;

interface SecretMount {
  source: string;
  target: string;
}

interface Service {
  image?: string;
  command?: string[];
  environment?: Env;
  volumes?: string[];
  expose?: string[];
  secrets?: (string | SecretMount)[];
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number; start_period?: string };
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
}

interface ScrapeJob {
  job_name: string;
  scheme?: string;
  authorization?: { type: string; credentials_file: string };
  basic_auth?: { username: string; password_file: string };
  tls_config?: { ca_file: string; insecure_skip_verify?: boolean };
  static_configs: { targets: string[] }[];
}

const DOCKER = join(REPO, 'docker');
const COMPOSE_PATH = join(DOCKER, 'docker-compose.yml');
const SECURE_PATH = join(DOCKER, 'docker-compose.secure.yml');
const SECURE_PROMETHEUS = monitoringPath('prometheus.secure.yml');

const TRADING = ['md-binance', 'md-okx', 'gateway-binance', 'gateway-okx', 'strategy-engine'];
const SECURITY_VARIABLES = [
  'METRICS_TLS_KEY_FILE',
  'METRICS_TLS_CERT_FILE',
  'METRICS_TLS_CLIENT_CA_FILE',
  'METRICS_BEARER_TOKEN_FILE',
  'METRICS_BASIC_USER',
  'METRICS_BASIC_PASSWORD_FILE',
];

// merge: compose supports YAML merge keys (`<<: *metrics-tls`); aliases resolve on parse.
const base = parse(readFileSync(COMPOSE_PATH, 'utf8'), { merge: true }) as ComposeFile;
const override = parse(readFileSync(SECURE_PATH, 'utf8'), { merge: true }) as ComposeFile;
const secureConfig = parse(readFileSync(SECURE_PROMETHEUS, 'utf8')) as { scrape_configs: ScrapeJob[] };

/** A secret in long form with compose's default target: a relative target lives in /run/secrets/. */
function secretMount(entry: string | SecretMount): SecretMount {
  const { source, target } = typeof entry === 'string' ? { source: entry, target: entry } : entry;
  return { source, target: posix.isAbsolute(target) ? target : posix.join('/run/secrets', target) };
}

/** Container side of a short-syntax volume (`source:target[:mode]`). */
const volumeTarget = (volume: string): string => volume.split(':')[1];

/** A sequence merged the way compose merges volumes and secrets: by target, the override's entry wins. */
function mergeByTarget<T>(baseItems: T[], overrideItems: T[], target: (item: T) => string): T[] {
  const merged = new Map<string, T>();
  for (const item of [...baseItems, ...overrideItems]) merged.set(target(item), item);
  return [...merged.values()];
}

/** The service keys {@link mergeService} merges; a test fails when the override uses any other. */
const MERGED_KEYS = ['environment', 'volumes', 'secrets', 'healthcheck'];

/**
 * One service of the override merged onto the base's, as compose does for the keys used here:
 * `environment` and `healthcheck` merge key by key with `healthcheck.test` replaced, `volumes` and
 * `secrets` merge by container target.
 */
function mergeService(under: Service, over: Service): Service {
  const merged: Service = { ...under };
  if (over.environment !== undefined) merged.environment = { ...under.environment, ...over.environment };
  if (over.volumes !== undefined) merged.volumes = mergeByTarget(under.volumes ?? [], over.volumes, volumeTarget);
  if (over.secrets !== undefined) {
    merged.secrets = mergeByTarget(
      (under.secrets ?? []).map(secretMount),
      over.secrets.map(secretMount),
      (s) => s.target,
    );
  }
  if (over.healthcheck !== undefined) {
    merged.healthcheck = { ...under.healthcheck, ...over.healthcheck };
  }
  return merged;
}

const services: Record<string, Service> = { ...base.services };
for (const [name, service] of Object.entries(override.services)) {
  services[name] = mergeService(base.services[name] ?? {}, service);
}
const declaredSecrets: Record<string, { file: string }> = { ...base.secrets, ...override.secrets };

const envOf = (name: string): Env => ({ ...(services[name].environment ?? {}) });
const mountsOf = (name: string): SecretMount[] => (services[name].secrets ?? []).map(secretMount);

/** The secret mounted at `path` in the service's container, or undefined. */
function secretAt(name: string, path: string): SecretMount | undefined {
  return mountsOf(name).find((mount) => mount.target === path);
}

/** The service's environment without its metrics protection, for the config readers that read files. */
function withoutSecurity(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !SECURITY_VARIABLES.includes(key)));
}

/** The metrics port the service's own config reader picks from its merged environment. */
function metricsPort(name: string): number {
  const env = withoutSecurity(envOf(name));
  if (name.startsWith('md-')) return readMarketDataConfig(env).metricsPort;
  if (name.startsWith('gateway-')) return readGatewayConfig(env).metricsPort;
  if (name === 'strategy-engine') return readEngineConfig(env).metricsPort;
  throw new Error(`${name} is not a trading service`);
}

const httpsJobs = secureConfig.scrape_configs.filter((job) => job.scheme === 'https');
const targetsOf = (job: ScrapeJob): { service: string; port: number }[] =>
  job.static_configs.flatMap((s) =>
    s.targets.map((target) => {
      const [service, port] = target.split(':');
      return { service, port: Number(port) };
    }),
  );

/** Every `*_file` value in prometheus.secure.yml, wherever it sits. */
function filesPrometheusReads(): string[] {
  const files: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key.endsWith('_file') && typeof value === 'string') files.push(value);
        else walk(value);
      }
    }
  };
  walk(secureConfig);
  return files;
}

/** The secret source Prometheus reads at `path`; fails when no secret is mounted there. */
function prometheusSecret(path: string): string {
  const mount = secretAt('prometheus', path);
  expect(mount, `prometheus: nothing mounted at ${path}`).toBeDefined();
  return (mount as SecretMount).source;
}

describe('docker/docker-compose.secure.yml: what it overrides', () => {
  it('touches Prometheus and the five trading services only, all of which the base file defines', () => {
    expect(Object.keys(override.services).sort()).toEqual(['prometheus', ...TRADING].sort());
    expect(Object.keys(services).sort()).toEqual(Object.keys(base.services).sort());
    // A key the merge here does not model would go unchecked.
    for (const [name, service] of Object.entries(override.services)) {
      expect(
        Object.keys(service).filter((key) => !MERGED_KEYS.includes(key)),
        name,
      ).toEqual([]);
    }
    expect(
      Object.keys(override)
        .filter((key) => !key.startsWith('x-'))
        .sort(),
    ).toEqual(['secrets', 'services']);
  });

  it("keeps every base environment value and adds only the services' metrics protection", () => {
    for (const name of TRADING) {
      const added = Object.keys(override.services[name].environment ?? {});
      expect(
        added.filter((key) => !SECURITY_VARIABLES.includes(key) && key !== 'NODE_EXTRA_CA_CERTS'),
        name,
      ).toEqual([]);
      for (const [key, value] of Object.entries(base.services[name].environment ?? {})) {
        expect(envOf(name)[key], `${name}: ${key}`).toBe(value);
      }
      // Secrets only ever as files: a value in the environment would show in `docker inspect`.
      expect(envOf(name).METRICS_BEARER_TOKEN).toBeUndefined();
      expect(envOf(name).METRICS_BASIC_PASSWORD).toBeUndefined();
    }
  });

  it('Prometheus runs monitoring/prometheus.secure.yml in place of prometheus.yml; its other mounts stay', () => {
    const prom = services.prometheus;
    const configFlag = prom.command?.find((arg) => arg.startsWith('--config.file=')) as string;
    const configPath = configFlag.slice('--config.file='.length);
    const mountedConfig = (prom.volumes ?? []).filter((v) => volumeTarget(v) === configPath);
    expect(mountedConfig).toHaveLength(1);
    const [source, , mode] = mountedConfig[0].split(':');
    expect(resolve(DOCKER, source)).toBe(SECURE_PROMETHEUS);
    expect(mode).toBe('ro');
    expect((prom.volumes ?? []).map(volumeTarget).sort()).toEqual(
      (base.services.prometheus.volumes ?? []).map(volumeTarget).sort(),
    );
    // prometheus.secure.yml's rule files resolve through the base file's generated/ mount.
    const { rule_files } = parse(readFileSync(SECURE_PROMETHEUS, 'utf8')) as { rule_files: string[] };
    for (const file of rule_files) {
      const inContainer = posix.join(posix.dirname(configPath), file);
      const mount = (prom.volumes ?? []).find((v) => inContainer.startsWith(`${volumeTarget(v)}/`));
      expect(mount, `${file} is not mounted`).toBeDefined();
    }
  });
});

describe('docker/docker-compose.secure.yml against monitoring/prometheus.secure.yml', () => {
  it('every file prometheus.secure.yml reads is a secret mounted into Prometheus, and nothing else is', () => {
    const read = filesPrometheusReads();
    expect(read.length).toBeGreaterThanOrEqual(4);
    expect([...new Set(read)].sort()).toEqual(
      mountsOf('prometheus')
        .map((m) => m.target)
        .sort(),
    );
  });

  it('the https jobs are exactly the trading jobs, and their targets exactly the services this file protects', () => {
    expect(httpsJobs.map((job) => job.job_name).sort()).toEqual(['gateway', 'market-data', 'strategy-engine']);
    const targets = httpsJobs.flatMap(targetsOf).map((t) => t.service);
    expect(targets.sort()).toEqual([...TRADING].sort());
    for (const job of secureConfig.scrape_configs.filter((j) => j.scheme !== 'https')) {
      for (const { service } of targetsOf(job)) expect(TRADING, `${job.job_name}: ${service}`).not.toContain(service);
    }
  });

  it('each target serves TLS with a mounted key pair on the port it is scraped on, and trusts the CA Prometheus checks it with', () => {
    for (const job of httpsJobs) {
      expect(job.tls_config?.insecure_skip_verify).not.toBe(true);
      const caSource = prometheusSecret(job.tls_config?.ca_file as string);
      for (const { service, port } of targetsOf(job)) {
        const env = envOf(service);
        for (const variable of ['METRICS_TLS_KEY_FILE', 'METRICS_TLS_CERT_FILE', 'NODE_EXTRA_CA_CERTS']) {
          expect(env[variable], `${service}: ${variable}`).toMatch(/^\/run\/secrets\//);
          expect(secretAt(service, env[variable]), `${service}: ${variable} is not mounted`).toBeDefined();
        }
        expect(secretAt(service, env.METRICS_TLS_KEY_FILE)?.source).not.toBe(
          secretAt(service, env.METRICS_TLS_CERT_FILE)?.source,
        );
        expect(secretAt(service, env.NODE_EXTRA_CA_CERTS)?.source, service).toBe(caSource);
        expect(metricsPort(service), `${service}: scraped on ${port}`).toBe(port);
        expect(services[service].expose).toContain(String(port));
      }
    }
  });

  it('a job with a bearer token ↔ its services read METRICS_BEARER_TOKEN_FILE from the secret Prometheus sends', () => {
    for (const job of httpsJobs) {
      const bearer = job.authorization;
      const credentials = bearer === undefined ? undefined : prometheusSecret(bearer.credentials_file);
      if (bearer !== undefined) expect(bearer.type).toBe('Bearer');
      for (const { service } of targetsOf(job)) {
        const path = envOf(service).METRICS_BEARER_TOKEN_FILE;
        if (bearer === undefined) {
          expect(path, `${service}: no bearer token in job ${job.job_name}`).toBeUndefined();
          continue;
        }
        expect(path, `${service}: job ${job.job_name} sends a bearer token`).toBeDefined();
        expect(secretAt(service, path)?.source, service).toBe(credentials);
      }
    }
    expect(httpsJobs.filter((job) => job.authorization !== undefined).map((job) => job.job_name)).toEqual([
      'market-data',
      'strategy-engine',
    ]);
  });

  it('a job with basic auth ↔ its services set METRICS_BASIC_USER to its user and read the password Prometheus sends', () => {
    for (const job of httpsJobs) {
      const basic = job.basic_auth;
      const password = basic === undefined ? undefined : prometheusSecret(basic.password_file);
      for (const { service } of targetsOf(job)) {
        const env = envOf(service);
        if (basic === undefined) {
          expect(env.METRICS_BASIC_USER, service).toBeUndefined();
          expect(env.METRICS_BASIC_PASSWORD_FILE, service).toBeUndefined();
          continue;
        }
        expect(env.METRICS_BASIC_USER, service).toBe(basic.username);
        expect(secretAt(service, env.METRICS_BASIC_PASSWORD_FILE)?.source, service).toBe(password);
      }
    }
    expect(httpsJobs.filter((job) => job.basic_auth !== undefined).map((job) => job.job_name)).toEqual(['gateway']);
  });

  it('every secret a service mounts is declared, from a file under docker/secrets/ that git ignores and does not track', () => {
    const used = new Set(Object.keys(services).flatMap((name) => mountsOf(name).map((m) => m.source)));
    for (const source of used) expect(Object.keys(declaredSecrets), source).toContain(source);
    const mine = Object.entries(override.secrets ?? {});
    expect(mine.map(([name]) => name).sort()).toEqual(
      [...used].filter((s) => !Object.hasOwn(base.secrets ?? {}, s)).sort(),
    );
    for (const [name, { file }] of mine) {
      expect(file, name).toMatch(/^\.\/secrets\/[^/]+$/);
      const path = relative(REPO, resolve(DOCKER, file));
      const ignored = spawnSync('git', ['check-ignore', '--quiet', '--no-index', '--', path], { cwd: REPO });
      expect(ignored.status, `${path} is not git-ignored`).toBe(0);
    }
    const tracked = spawnSync('git', ['ls-files', '--', 'docker/secrets'], { cwd: REPO, encoding: 'utf8' });
    expect(tracked.status).toBe(0);
    expect(tracked.stdout).toBe('');
  });

  it('health checks use https on the metrics port and keep the base timing', () => {
    for (const name of TRADING) {
      const health = services[name].healthcheck;
      const command = health?.test.join(' ') ?? '';
      expect(command, name).toContain(`https://127.0.0.1:${metricsPort(name)}/health`);
      expect(command, name).not.toContain('http://');
      const { test: _baseTest, ...timing } = base.services[name].healthcheck ?? { test: [] };
      const { test: _test, ...mergedTiming } = health ?? { test: [] };
      expect(mergedTiming, name).toEqual(timing);
      expect(timing.interval, name).toBeDefined();
    }
  });
});

describeWithOpenssl('the services and Prometheus read the mounted secrets (throwaway CA)', () => {
  let pki: TestPki;
  // What each host file under docker/secrets/ would hold, by secret name.
  let contents: Record<string, string>;

  beforeAll(() => {
    pki = makeTestPki();
    contents = {
      metrics_ca: readFileSync(pki.caPath, 'utf8'),
      metrics_tls_key: readFileSync(pki.keyPath, 'utf8'),
      metrics_tls_cert: readFileSync(pki.certPath, 'utf8'),
      market_data_token: 'md-token-0123456789\n',
      strategy_engine_token: 'engine-token-abcdef\n',
      gateway_password: 'gateway p@ss:word\n',
    };
    expect(Object.keys(contents).sort()).toEqual(Object.keys(override.secrets ?? {}).sort());
  });

  afterAll(() => {
    pki?.cleanup();
  });

  /** Reads a path inside the service's container: only its mounted secrets exist. */
  const containerReader =
    (name: string) =>
    (path: string): string => {
      const mount = secretAt(name, path);
      if (mount === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return contents[mount.source];
    };

  it('readMetricsSecurity, given each merged environment, returns the auth its job sends and TLS from the mounts', () => {
    const security = (name: string): MetricsSecurity => readMetricsSecurity(envOf(name), containerReader(name));
    const tls = { keyPath: '/run/secrets/metrics.key', certPath: '/run/secrets/metrics.pem' };
    expect(security('md-binance')).toEqual({ auth: { bearerToken: 'md-token-0123456789' }, tls });
    expect(security('md-okx')).toEqual({ auth: { bearerToken: 'md-token-0123456789' }, tls });
    const basic = { basic: { username: 'prometheus', password: 'gateway p@ss:word' } };
    expect(security('gateway-binance')).toEqual({ auth: basic, tls });
    expect(security('gateway-okx')).toEqual({ auth: basic, tls });
    expect(security('strategy-engine')).toEqual({ auth: { bearerToken: 'engine-token-abcdef' }, tls });
  });

  it('what Prometheus sends, read from its own mounts and trimmed as it does, is what each target requires', () => {
    const readProm = containerReader('prometheus');
    for (const job of httpsJobs) {
      for (const { service } of targetsOf(job)) {
        const { auth } = readMetricsSecurity(envOf(service), containerReader(service));
        if (job.authorization !== undefined) {
          expect(auth, service).toEqual({ bearerToken: readProm(job.authorization.credentials_file).trim() });
        } else if (job.basic_auth !== undefined) {
          expect(auth, service).toEqual({
            basic: { username: job.basic_auth.username, password: readProm(job.basic_auth.password_file).trim() },
          });
        } else {
          expect(auth, service).toBeUndefined();
        }
      }
    }
  });

  it('the https health check command passes against a server with that CA’s certificate only with NODE_EXTRA_CA_CERTS', async () => {
    const server = createServer(
      { key: readFileSync(pki.keyPath), cert: readFileSync(pki.certPath) },
      (request, response) => {
        response.statusCode = request.url === '/health' ? 200 : 404;
        response.end();
      },
    );
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const { port } = server.address() as AddressInfo;
      const run = (args: string[], env: Env): Promise<number | null> =>
        new Promise((done, fail) => {
          const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
          child.on('error', fail);
          child.on('exit', (code) => done(code));
        });
      for (const name of TRADING) {
        const [kind, program, ...args] = services[name].healthcheck?.test ?? [];
        expect([kind, program], name).toEqual(['CMD', 'node']);
        // The same command, pointed at this test's server instead of the service's fixed port.
        const local = args.map((arg) => arg.replace(`127.0.0.1:${metricsPort(name)}`, `127.0.0.1:${port}`));
        expect(local, name).not.toEqual(args);
        const ca = contents[secretAt(name, envOf(name).NODE_EXTRA_CA_CERTS)?.source as string];
        expect(ca, name).toBe(contents.metrics_ca);
        expect(await run(local, { NODE_EXTRA_CA_CERTS: pki.caPath }), `${name}: with the CA`).toBe(0);
        expect(await run(local, {}), `${name}: without the CA`).toBe(1);
      }
    } finally {
      await new Promise<void>((done) => server.close(() => done()));
    }
  });
});

// `docker compose config` needs only the compose plugin, not an engine. Where the plugin is missing
// (as on CI here) the test is reported as skipped, never passed.
const composeVersion = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 10_000 });
const hasCompose = composeVersion.status === 0;

describe('docker compose config', () => {
  const name = 'docker compose config merges the override as this test does';
  const body = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttquant-compose-secure-'));
    try {
      // A project folder of its own, so the secret files compose requires are scratch files here:
      // dir/docker holds secrets/, and dir/monitoring points at the real monitoring/.
      const project = join(dir, 'docker');
      mkdirSync(join(project, 'secrets'), { recursive: true });
      symlinkSync(monitoringPath(), join(dir, 'monitoring'));
      for (const file of ['smtp_password', 'slack_api_url']) writeFileSync(join(project, 'secrets', file), 'x');
      for (const { file } of Object.values(override.secrets ?? {})) writeFileSync(resolve(project, file), 'x');
      const envFile = join(dir, '.env');
      writeFileSync(
        envFile,
        ['GF_SECURITY_ADMIN_USER=ops', 'GF_SECURITY_ADMIN_PASSWORD=correct-horse-battery', 'POSTGRES_PASSWORD=pg'].join(
          '\n',
        ),
      );
      const result = spawnSync(
        'docker',
        [
          'compose',
          '--project-directory',
          project,
          '-f',
          COMPOSE_PATH,
          '-f',
          SECURE_PATH,
          '--env-file',
          envFile,
          'config',
          '--format',
          'json',
        ],
        {
          encoding: 'utf8',
          timeout: 30_000,
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir },
        },
      );
      expect(result.status, result.stderr).toBe(0);
      const config = JSON.parse(result.stdout) as {
        services: Record<
          string,
          {
            environment?: Env;
            volumes?: { source: string; target: string }[];
            secrets?: SecretMount[];
            healthcheck?: { test: string[]; interval?: string };
          }
        >;
      };
      expect(Object.keys(config.services).sort()).toEqual(Object.keys(services).sort());
      const promConfig = (config.services.prometheus.volumes ?? []).filter(
        (v) => v.target === '/etc/prometheus/prometheus.yml',
      );
      expect(promConfig.map((v) => v.source.endsWith('/monitoring/prometheus.secure.yml'))).toEqual([true]);
      for (const service of ['prometheus', ...TRADING]) {
        const sort = (mounts: SecretMount[]) => mounts.map((m) => `${m.source}>${secretMount(m).target}`).sort();
        expect(sort(config.services[service].secrets ?? []), service).toEqual(sort(mountsOf(service)));
      }
      for (const service of TRADING) {
        const env = config.services[service].environment ?? {};
        expect(Object.keys(env).sort(), service).toEqual(Object.keys(envOf(service)).sort());
        for (const key of [...SECURITY_VARIABLES, 'NODE_EXTRA_CA_CERTS']) {
          expect(env[key], `${service}: ${key}`).toBe(envOf(service)[key]);
        }
        expect(config.services[service].healthcheck?.test, service).toEqual(services[service].healthcheck?.test);
        expect(config.services[service].healthcheck?.interval, service).toBeDefined();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  if (hasCompose) it(name, body);
  else it.skip(`${name} (skipped: no Docker engine/compose here)`, body);
});
