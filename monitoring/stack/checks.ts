import { join } from 'node:path';
import { engineDefinitions, gatewayDefinitions, marketDataDefinitions, strategyDefinitions } from '@ttquant/metrics';
import { monitoringConfig } from '../src/config.js';
import { externalMetrics } from '../src/external-metrics.js';
import { alertGroups, recordingGroups } from '../src/rules/index.js';
import { readState, type StackLayout, type StackPorts } from './layout.js';
import { nativeJobPorts } from './native.js';
import { hasStackTool, installHint, runCommand } from './tools.js';

// The original system's 12 checks (its monitoring test script; docs/origin.md), then one of the
// long-term store and one of the Pushgateway: each one asks a running component, so with nothing running every check fails. Grafana runs only in the Docker Compose stack; on the native
// stack its check says so and is neither a pass nor a failure.

/** Outcome of one check. */
export type CheckStatus = 'ok' | 'FAIL' | 'skipped';

/** One check's result. */
export interface CheckResult {
  /** 1–12, in the original order. */
  readonly number: number;
  readonly name: string;
  readonly status: CheckStatus;
  /** What was seen; for a skip, the reason (`no Grafana here`). */
  readonly detail: string;
}

/** Options of {@link runStatusChecks}. */
export interface StatusOptions {
  readonly mode: 'native' | 'docker';
  readonly ports: StackPorts;
  /** Native: where the running configuration was written. */
  readonly layout: StackLayout;
  /** Slowest acceptable scrape of a trading target, in seconds; default 0.5. */
  readonly maxScrapeSeconds?: number;
}

/** The message of the Grafana check where Grafana cannot run. */
export const NO_GRAFANA = 'no Grafana here';

const TIMEOUT_MS = 3_000;

interface Outcome {
  readonly status: CheckStatus;
  readonly detail: string;
}
const ok = (detail: string): Outcome => ({ status: 'ok', detail });
const fail = (detail: string): Outcome => ({ status: 'FAIL', detail });

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  return { status: response.status, body: await response.text() };
}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as Error).message;
}

// Prometheus' JSON API: the `data` of a success reply.
async function promApi<T>(base: string, path: string): Promise<T> {
  const { status, body } = await get(`${base}${path}`);
  const json = JSON.parse(body) as { status: string; data: T; error?: string };
  if (json.status !== 'success') throw new Error(`${path}: HTTP ${status} ${json.error ?? ''}`);
  return json.data;
}

interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

async function health(url: string): Promise<Outcome> {
  try {
    const { status } = await get(url);
    return status === 200 ? ok(`${url} answered 200`) : fail(`${url} answered ${status}`);
  } catch (error) {
    return fail(`${url}: ${reason(error)}`);
  }
}

// The exposition declares every metric of the service's catalogs (each family writes its HELP and
// TYPE lines from the first scrape, with or without series).
async function serviceMetrics(port: number, catalogs: readonly Record<string, { name: string }>[]): Promise<Outcome> {
  const url = `http://127.0.0.1:${port}/metrics`;
  try {
    const { status, body } = await get(url);
    if (status !== 200) return fail(`${url} answered ${status}`);
    const names = catalogs.flatMap((c) => Object.values(c).map((d) => d.name));
    const missing = names.filter((name) => !body.includes(`\n# TYPE ${name} `) && !body.startsWith(`# TYPE ${name} `));
    if (missing.length > 0) return fail(`${url} lacks ${missing.join(', ')}`);
    return ok(`${url}: all ${names.length} catalog metrics exposed`);
  } catch (error) {
    return fail(`${url}: ${reason(error)}`);
  }
}

// A per-venue service: every venue's instance (ports by venuePort), each with its catalog.
async function venueServiceMetrics(
  ports: readonly number[],
  catalogs: readonly Record<string, { name: string }>[],
): Promise<Outcome> {
  const outcomes = await Promise.all(ports.map((port) => serviceMetrics(port, catalogs)));
  const failed = outcomes.filter((o) => o.status !== 'ok');
  if (failed.length > 0) return fail(failed.map((o) => o.detail).join('; '));
  return ok(outcomes.map((o) => o.detail).join('; '));
}

async function nodeExporter(port: number): Promise<Outcome> {
  const url = `http://127.0.0.1:${port}/metrics`;
  try {
    const { status, body } = await get(url);
    if (status !== 200) return fail(`${url} answered ${status}`);
    const names = Object.values(externalMetrics)
      .filter((m) => m.source === 'node-exporter')
      .map((m) => m.name);
    const missing = names.filter((name) => !body.includes(`\n${name}`));
    if (missing.length > 0) return fail(`${url} lacks ${missing.join(', ')} (read by the system alerts)`);
    return ok(`${url}: the ${names.length} metrics the system alerts read are there`);
  } catch (error) {
    return fail(`${url}: ${reason(error)}`);
  }
}

async function postgresExporter(port: number): Promise<Outcome> {
  const url = `http://127.0.0.1:${port}/metrics`;
  try {
    const { status, body } = await get(url);
    if (status !== 200) return fail(`${url} answered ${status}`);
    const up = /^pg_up (\S+)$/m.exec(body)?.[1];
    return up === '1'
      ? ok(`${url}: pg_up 1`)
      : fail(`${url}: pg_up ${up ?? 'missing'} (the exporter cannot reach PostgreSQL)`);
  } catch (error) {
    return fail(`${url}: ${reason(error)}`);
  }
}

async function query(base: string): Promise<Outcome> {
  try {
    const started = Date.now();
    const data = await promApi<{ result: VectorSample[] }>(base, `/api/v1/query?query=${encodeURIComponent('up')}`);
    if (data.result.length === 0) return fail('`up` returned no series (nothing scraped yet)');
    const up = data.result.filter((s) => s.value[1] === '1').length;
    return ok(`\`up\`: ${data.result.length} targets, ${up} up, answered in ${Date.now() - started} ms`);
  } catch (error) {
    return fail(`query: ${reason(error)}`);
  }
}

type Check = readonly [name: string, run: () => Promise<Outcome>];

interface TargetsData {
  readonly activeTargets: readonly { labels: Record<string, string>; health: string; lastError: string }[];
}

// Docker mode: exporters and services sit inside the Compose network (only the UIs are published),
// so they are checked through Prometheus, which scrapes them there.
async function targetsOfJob(base: string, job: string): Promise<Outcome> {
  try {
    const data = await promApi<TargetsData>(base, '/api/v1/targets?state=active');
    const targets = data.activeTargets.filter((t) => t.labels['job'] === job);
    if (targets.length === 0) return fail(`Prometheus has no target for job ${job}`);
    const down = targets.filter((t) => t.health !== 'up');
    if (down.length > 0) {
      return fail(down.map((t) => `${t.labels['instance']} ${t.health}: ${t.lastError}`).join('; '));
    }
    return ok(`job ${job}: ${targets.length} target(s) up, scraped by Prometheus inside the Compose network`);
  } catch (error) {
    return fail(`targets of ${job}: ${reason(error)}`);
  }
}

interface RulesData {
  readonly groups: readonly { readonly rules: readonly { type: string; health: string; name: string }[] }[];
}

async function rules(base: string): Promise<Outcome> {
  const expectAlerts = alertGroups.reduce((n, g) => n + g.alerts.length, 0);
  const expectRecords = recordingGroups.reduce((n, g) => n + g.rules.length, 0);
  try {
    const data = await promApi<RulesData>(base, '/api/v1/rules');
    const all = data.groups.flatMap((g) => g.rules);
    const alerts = all.filter((r) => r.type === 'alerting').length;
    const records = all.filter((r) => r.type === 'recording').length;
    const broken = all.filter((r) => r.health === 'err').map((r) => r.name);
    const detail = `${alerts} alerting rules (want ${expectAlerts}), ${records} recording rules (want ${expectRecords})`;
    if (alerts !== expectAlerts || records !== expectRecords) return fail(detail);
    if (broken.length > 0) return fail(`${detail}; failing to evaluate: ${broken.join(', ')}`);
    return ok(detail);
  } catch (error) {
    return fail(`rules: ${reason(error)}`);
  }
}

async function scrapePerformance(base: string, maxSeconds: number): Promise<Outcome> {
  const jobs = [monitoringConfig.jobs.marketData, monitoringConfig.jobs.gateway, monitoringConfig.jobs.strategyEngine];
  const expr = `scrape_duration_seconds{job=~"${jobs.map((j) => j.name).join('|')}"}`;
  try {
    const data = await promApi<{ result: VectorSample[] }>(base, `/api/v1/query?query=${encodeURIComponent(expr)}`);
    const seen = new Map(data.result.map((s) => [s.metric['job'] ?? '', Number(s.value[1])]));
    const absent = jobs.filter((j) => !seen.has(j.name)).map((j) => j.name);
    if (absent.length > 0) return fail(`no scrape of ${absent.join(', ')}`);
    const slow = [...seen].filter(([, s]) => !(s < maxSeconds));
    const listing = [...seen].map(([job, s]) => `${job} ${(s * 1000).toFixed(1)} ms`).join(', ');
    return slow.length > 0 ? fail(`slower than ${maxSeconds} s: ${listing}`) : ok(listing);
  } catch (error) {
    return fail(`scrape performance: ${reason(error)}`);
  }
}

// The configuration the stack runs with: Prometheus reports its last (re)load succeeded, and
// promtool and amtool accept the files.
async function configValidation(options: StatusOptions, base: string): Promise<Outcome> {
  let loaded: boolean;
  try {
    const info = await promApi<{ reloadConfigSuccess: boolean }>(base, '/api/v1/status/runtimeinfo');
    loaded = info.reloadConfigSuccess;
  } catch (error) {
    return fail(`cannot ask Prometheus whether its configuration loaded: ${reason(error)}`);
  }
  if (!loaded) return fail('Prometheus reports that its last configuration reload failed');
  const files =
    options.mode === 'native'
      ? {
          prometheus: join(options.layout.config, 'prometheus.yml'),
          alertmanager: join(options.layout.config, 'alertmanager.yml'),
        }
      : undefined;
  if (files === undefined) return ok('Prometheus loaded its configuration (`validate` checks the committed files)');
  const missing = (['promtool', 'amtool'] as const).filter((t) => !hasStackTool(t));
  if (missing.length > 0) return fail(`${missing.join(', ')} not installed: ${installHint(missing)}`);
  const prom = await runCommand('promtool', ['check', 'config', files.prometheus], { timeoutMs: 20_000 });
  if (prom.code !== 0) return fail(`promtool check config: ${(prom.stdout + prom.stderr).trim()}`);
  const am = await runCommand('amtool', ['check-config', files.alertmanager], { timeoutMs: 20_000 });
  if (am.code !== 0) return fail(`amtool check-config: ${(am.stdout + am.stderr).trim()}`);
  return ok('Prometheus loaded its configuration; promtool and amtool accept the running files');
}

// VictoriaMetrics answers and holds what Prometheus wrote to it (the series index answers at once;
// queries leave out the newest 30 s, -search.latencyOffset).
async function longTermStorage(options: StatusOptions): Promise<Outcome> {
  if (options.mode === 'docker') {
    // Compose's victoria-metrics is not published (no authentication), so this host cannot ask it.
    return {
      status: 'skipped',
      detail:
        'victoria-metrics is not published under Docker: `docker compose exec prometheus wget -qO- http://victoria-metrics:8428/health`',
    };
  }
  const state = readState(options.layout);
  if (state !== undefined && state.victoriaMetrics !== true) {
    return { status: 'skipped', detail: 'started with --no-victoria-metrics' };
  }
  const base = `http://127.0.0.1:${options.ports.victoriaMetrics}`;
  const healthy = await health(`${base}/health`);
  if (healthy.status !== 'ok') return healthy;
  try {
    const series = await promApi<unknown[]>(base, `/api/v1/series?${new URLSearchParams({ 'match[]': 'up' })}`);
    return series.length > 0
      ? ok(`${base}: ${series.length} \`up\` series written by Prometheus`)
      : fail(`${base}: no series written yet (remote_write from Prometheus)`);
  } catch (error) {
    return fail(`${base}: ${reason(error)}`);
  }
}

// The Pushgateway backtests push to: native, it answers /-/healthy; in Docker, Prometheus scrapes it.
async function pushgateway(options: StatusOptions, prom: string): Promise<Outcome> {
  if (options.mode === 'docker') return targetsOfJob(prom, monitoringConfig.jobs.pushgateway.name);
  return health(`http://127.0.0.1:${options.ports.pushgateway}/-/healthy`);
}

/**
 * Runs the original system's 12 checks against the running stack, in their original order, then
 * the checks of the long-term store and of the Pushgateway.
 *
 * @param options - mode, ports and layout
 * @returns one result per check
 * @example
 * ```ts
 * for (const r of await runStatusChecks({ mode: 'native', ports: DEFAULT_PORTS, layout: stackLayout() })) {
 *   console.log(formatCheck(r));
 * }
 * ```
 */
export async function runStatusChecks(options: StatusOptions): Promise<CheckResult[]> {
  const { ports } = options;
  const prom = `http://127.0.0.1:${ports.prometheus}`;
  const jobs = monitoringConfig.jobs;
  const jobPorts = nativeJobPorts(ports);
  const checks: Check[] = [
    ['Prometheus health', () => health(`${prom}/-/healthy`)],
    [
      'Grafana health',
      async () =>
        options.mode === 'docker'
          ? health(`http://127.0.0.1:${ports.grafana}/api/health`)
          : { status: 'skipped', detail: `${NO_GRAFANA} (Grafana runs in the Docker Compose stack only)` },
    ],
    ['Alertmanager health', () => health(`http://127.0.0.1:${ports.alertmanager}/-/healthy`)],
    ...(options.mode === 'docker'
      ? ([
          ['Node exporter', () => targetsOfJob(prom, jobs.node.name)],
          ['Postgres exporter', () => targetsOfJob(prom, jobs.database.name)],
          ['Market data metrics', () => targetsOfJob(prom, jobs.marketData.name)],
          ['Gateway metrics', () => targetsOfJob(prom, jobs.gateway.name)],
          ['Strategy engine metrics', () => targetsOfJob(prom, jobs.strategyEngine.name)],
        ] satisfies Check[])
      : ([
          ['Node exporter', () => nodeExporter(ports.nodeExporter)],
          ['Postgres exporter', () => postgresExporter(ports.postgresExporter)],
          ['Market data metrics', () => venueServiceMetrics(jobPorts.marketData, [marketDataDefinitions])],
          ['Gateway metrics', () => venueServiceMetrics(jobPorts.gateway, [gatewayDefinitions])],
          [
            'Strategy engine metrics',
            () => serviceMetrics(ports.strategyEngine, [strategyDefinitions, engineDefinitions]),
          ],
        ] satisfies Check[])),
    ['Metric query', () => query(prom)],
    ['Alert rules', () => rules(prom)],
    ['Scrape performance', () => scrapePerformance(prom, options.maxScrapeSeconds ?? 0.5)],
    ['Config validation', () => configValidation(options, prom)],
    ['Long-term storage', () => longTermStorage(options)],
    ['Pushgateway', () => pushgateway(options, prom)],
  ];
  const outcomes = await Promise.all(checks.map(([, run]) => run()));
  return checks.map(([name], i) => ({ number: i + 1, name, ...(outcomes[i] as Outcome) }));
}

/**
 * One line of `status` output: `ok`, `FAIL` or `skipped: <reason>`, then the detail.
 *
 * @param result - a check result
 * @returns e.g. ` 2. Grafana health          skipped: no Grafana here`
 */
export function formatCheck(result: CheckResult): string {
  const head = `${String(result.number).padStart(2)}. ${result.name.padEnd(24)}`;
  return result.status === 'skipped'
    ? `${head}skipped: ${result.detail}`
    : `${head}${result.status.padEnd(5)}${result.detail}`;
}
