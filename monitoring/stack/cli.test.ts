import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeRequiring, freePort } from '@ttquant/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { prometheusConfig, renderPrometheusConfig } from '../src/prometheus-config.js';
import { type CliIo, COMMANDS, helpText, runCli } from './cli.js';
import {
  DEFAULT_PORTS,
  MONITORING_DIR,
  PORT_SETTINGS,
  type PortName,
  REPO_ROOT,
  resolvePorts,
  stackLayout,
} from './layout.js';
import { NATIVE_HISTOGRAM_FLAG, nativePrometheusConfig, writeNativeConfig } from './native.js';
import { installHint, missingTools } from './tools.js';
import { validateConfigs } from './validate.js';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const NAMES = COMMANDS.map(([name]) => name);

function capture(env: Record<string, string | undefined> = {}): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(...l.split('\n')), err: (l) => errors.push(...l.split('\n')), env };
}

const temps: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'ttquant-cli-'));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('monitoring CLI: help', () => {
  it('has the original ten commands', () => {
    expect(NAMES).toEqual([
      'start',
      'stop',
      'restart',
      'status',
      'logs',
      'reload',
      'validate',
      'backup',
      'clean',
      'help',
    ]);
  });

  it('prints the ten commands when run as a program (tsx), exit 0', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'help'], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status, result.stderr).toBe(0);
    const listed = result.stdout
      .split('\n')
      .map((line) => /^ {2}([a-z]+) {2,}\S/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
    expect(listed).toEqual(NAMES);
  });

  it('rejects an unknown command with exit 2 and the help text', async () => {
    const io = capture();
    expect(await runCli(['launch'], io)).toBe(2);
    expect(io.errors[0]).toBe('unknown command "launch"');
    expect(io.errors.join('\n')).toContain('commands:');
  });

  it('the root Makefile has the ten monitoring-* targets, each calling the CLI (monitoring-test runs the tests)', () => {
    const makefile = readFileSync(join(REPO_ROOT, 'Makefile'), 'utf8');
    const targets = [...makefile.matchAll(/^(monitoring-[a-z]+):.*\n\t(.+)$/gm)].map((m) => [m[1], m[2]]);
    expect(targets.map(([t]) => t)).toEqual([
      'monitoring-start',
      'monitoring-stop',
      'monitoring-restart',
      'monitoring-status',
      'monitoring-logs',
      'monitoring-test',
      'monitoring-validate',
      'monitoring-reload',
      'monitoring-backup',
      'monitoring-clean',
    ]);
    for (const [target, recipe] of targets) {
      const command = (target as string).slice('monitoring-'.length);
      if (command === 'test') expect(recipe).toContain('vitest run monitoring');
      else expect(recipe).toContain(`$(MONITORING) ${command}`);
    }
  });
});

describe('monitoring CLI: ports and the configuration it runs', () => {
  it('takes ports from flags, then the environment, then the running stack, then the defaults', () => {
    const ports = resolvePorts(
      { 'prometheus-port': '19090' },
      { MONITORING_PROMETHEUS_PORT: '29090', MONITORING_ALERTMANAGER_PORT: '29093' },
      { alertmanager: 39093, nodeExporter: 39100 },
    );
    expect(ports).toEqual({ ...DEFAULT_PORTS, prometheus: 19090, alertmanager: 29093, nodeExporter: 39100 });
    expect(() => resolvePorts({ 'gateway-port': 'http' }, {})).toThrow('--gateway-port: expected a port, got "http"');
    expect(() => resolvePorts({}, { MONITORING_GATEWAY_PORT: '70000' })).toThrow('MONITORING_GATEWAY_PORT');
    expect(Object.keys(PORT_SETTINGS)).toEqual(Object.keys(DEFAULT_PORTS));
  });

  it('runs exactly the committed local variant on the default ports', () => {
    const committed = parse(readFileSync(join(MONITORING_DIR, 'generated/prometheus.local.yml'), 'utf8'));
    expect(nativePrometheusConfig(DEFAULT_PORTS)).toEqual(committed);
  });

  it('moves every target to the given ports and can scrape faster for tests', () => {
    const ports = Object.fromEntries(Object.keys(DEFAULT_PORTS).map((k, i) => [k, 20_000 + i])) as Record<
      PortName,
      number
    >;
    const config = nativePrometheusConfig(ports, { scrapeInterval: '1s', evaluationInterval: '1s' }) as {
      global: Record<string, string>;
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; scrape_interval: string; static_configs: { targets: string[] }[] }[];
    };
    expect(config.global).toEqual({ scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
    expect(config.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual([`127.0.0.1:${ports.alertmanager}`]);
    expect(config.scrape_configs.map((j) => [j.job_name, j.scrape_interval, j.static_configs[0]?.targets])).toEqual([
      // One target per venue: the first venue on the given port, the next 10 above (venuePort).
      ['market-data', '1s', [`127.0.0.1:${ports.marketData}`, `127.0.0.1:${ports.marketData + 10}`]],
      ['gateway', '1s', [`127.0.0.1:${ports.gateway}`, `127.0.0.1:${ports.gateway + 10}`]],
      ['strategy-engine', '1s', [`127.0.0.1:${ports.strategyEngine}`]],
      ['timescaledb', '1s', [`127.0.0.1:${ports.postgresExporter}`]],
      ['node', '1s', [`127.0.0.1:${ports.nodeExporter}`]],
      ['prometheus', '1s', [`127.0.0.1:${ports.prometheus}`]],
      ['pushgateway', '1s', [`127.0.0.1:${ports.pushgateway}`]],
    ]);
    const explicit = nativePrometheusConfig(ports, { venueTargets: { gateway: [31_001, 31_002] } }) as typeof config;
    expect(explicit.scrape_configs[1]?.static_configs[0]?.targets).toEqual(['127.0.0.1:31001', '127.0.0.1:31002']);
  });

  it('offers the native-histogram scrape: --native-histograms turns the features on, and a twin Prometheus config', () => {
    expect(NATIVE_HISTOGRAM_FLAG).toBe('--enable-feature=native-histograms,exemplar-storage');
    const help = helpText();
    expect(help).toContain('--native-histograms, --no-native-histograms');
    expect(help).toContain(NATIVE_HISTOGRAM_FLAG);
    // The twin scrapes the same jobs with the same rules, but neither alerts nor writes remotely.
    const layout = stackLayout(tempDir());
    const ports = Object.fromEntries(Object.keys(DEFAULT_PORTS).map((k, i) => [k, 21_000 + i])) as Record<
      PortName,
      number
    >;
    const paths = writeNativeConfig({ layout, ports, victoriaMetricsPort: 22_000, nativeHistogramsTwinPort: 22_001 });
    const main = parse(readFileSync(paths.prometheus, 'utf8'));
    const twin = parse(readFileSync(paths.nativeHistogramsTwin, 'utf8'));
    expect(main).toHaveProperty('alerting');
    expect(main).toHaveProperty('remote_write');
    const { alerting: _alerting, remote_write: _remoteWrite, ...rest } = main;
    expect(twin).toEqual(rest);
    expect(dirname(paths.nativeHistogramsTwin)).toBe(dirname(paths.prometheus));
  });

  it('renders remote_write only when endpoints are configured (Compose: its VictoriaMetrics; local: none)', () => {
    expect(prometheusConfig('local')).not.toHaveProperty('remote_write');
    expect(readFileSync(join(MONITORING_DIR, 'generated/prometheus.local.yml'), 'utf8')).not.toMatch(/^remote_write:/m);
    expect(prometheusConfig('compose')['remote_write']).toEqual([
      { url: 'http://victoria-metrics:8428/api/v1/write', name: 'victoria-metrics' },
    ]);
    const endpoints = [{ url: 'http://mimir:9009/api/v1/push', name: 'mimir' }, { url: 'http://vm:8428/api/v1/write' }];
    expect(prometheusConfig('compose', { remoteWrite: endpoints })['remote_write']).toEqual(endpoints);
    const text = renderPrometheusConfig('local', { remoteWrite: endpoints });
    expect(parse(text).remote_write).toEqual(endpoints);
    expect(text).toContain('# Scale-out: remote_write copies every sample');
  });
});

const validateTools = missingTools(['promtool', 'amtool']);
describeRequiring('monitoring CLI: validate', { missing: validateTools, install: installHint(validateTools) }, () => {
  it('passes on the committed configuration: six promtool/amtool runs, exit 0', async () => {
    const io = capture();
    const code = await runCli(['validate'], io);
    expect(code, `${io.lines.join('\n')}\n${installHint(validateTools)}`).toBe(0);
    expect(io.lines.filter((l) => l.startsWith('ok   '))).toEqual([
      'ok   promtool check config monitoring/prometheus.yml',
      'ok   promtool check config monitoring/generated/prometheus.local.yml',
      'ok   promtool check rules monitoring/generated/recording-rules.yml monitoring/generated/alerts.yml',
      'ok   promtool test rules monitoring/tests/database.yaml monitoring/tests/gateway.yaml monitoring/tests/instrumentation.yaml monitoring/tests/market-data.yaml monitoring/tests/strategy.yaml monitoring/tests/system.yaml',
      'ok   amtool check-config monitoring/alertmanager.yml',
      'ok   amtool check-config monitoring/generated/alertmanager.local.yml',
    ]);
    expect(io.lines.at(-1)).toBe('6 validations: 6 ok, 0 FAIL');
  }, 60_000);

  it('fails on a broken copy (the check can fail)', async () => {
    const copy = join(tempDir(), 'monitoring');
    for (const part of ['prometheus.yml', 'alertmanager.yml', 'generated', 'tests']) {
      cpSync(join(MONITORING_DIR, part), join(copy, part), { recursive: true });
    }
    const alerts = join(copy, 'generated/alerts.yml');
    writeFileSync(alerts, readFileSync(alerts, 'utf8').replace('for: 1m', 'for: soon'));
    const am = join(copy, 'alertmanager.yml');
    writeFileSync(am, readFileSync(am, 'utf8').replace('receiver: email-warning', 'receiver: nobody'));
    const steps = await validateConfigs(copy);
    expect(steps.map((s) => [s.command.split(' monitoring/')[0], s.ok])).toEqual([
      ['promtool check config', false],
      ['promtool check config', false],
      ['promtool check rules', false],
      ['promtool test rules', false],
      ['amtool check-config', false],
      ['amtool check-config', true],
    ]);
  }, 60_000);
});

describe('monitoring CLI: status with nothing running', () => {
  it('reports a FAIL for each of the twelve checks, the Grafana skip line, never ok, and exits 1', async () => {
    const ports = await Promise.all(Object.keys(DEFAULT_PORTS).map(() => freePort()));
    const flags = (Object.keys(DEFAULT_PORTS) as PortName[]).flatMap((name, i) => [
      `--${PORT_SETTINGS[name].flag}`,
      String(ports[i]),
    ]);
    const io = capture();
    const code = await runCli(['status', '--mode', 'native', '--dir', tempDir(), ...flags], io);
    expect(code).toBe(1);
    const checks = io.lines.filter((l) => /^\s?\d+\. /.test(l));
    expect(checks).toHaveLength(14);
    expect(checks.map((l) => l.slice(4, 28).trim())).toEqual([
      'Prometheus health',
      'Grafana health',
      'Alertmanager health',
      'Node exporter',
      'Postgres exporter',
      'Market data metrics',
      'Gateway metrics',
      'Strategy engine metrics',
      'Metric query',
      'Alert rules',
      'Scrape performance',
      'Config validation',
      'Long-term storage',
      'Pushgateway',
    ]);
    expect(checks[1]).toContain('skipped: no Grafana here');
    const others = checks.filter((_, i) => i !== 1);
    for (const line of others) expect(line.slice(28, 33), line).toBe('FAIL ');
    expect(io.lines.some((l) => /\bok\b/.test(l.slice(28, 33)))).toBe(false);
    expect(io.lines.at(-1)).toBe('14 checks: 0 ok, 13 FAIL, 1 skipped');
  }, 30_000);
});
