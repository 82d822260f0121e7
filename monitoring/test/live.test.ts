import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  gatewayDefinitions,
  type HistogramDef,
  PushgatewayClient,
  StrategyMetrics,
  TRADING_CATALOGS,
  TradingLedger,
} from '@ttquant/metrics';
import {
  describeRequiring,
  freePort,
  settle,
  startWebhookReceiver,
  type WebhookAlert,
  type WebhookReceiver,
} from '@ttquant/test-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readGatewayConfig } from '../../examples/gateway/config.js';
import {
  type RunningService,
  type ServiceSpec,
  startService,
  stopServices,
} from '../../examples/pipeline/process-tree.js';
import { ALL_FAULTS, freePipelinePorts, pipelineSpecs, processName } from '../../examples/pipeline/specs.js';
import { VENUES } from '../../examples/shared/protocol.js';
import { jobList, monitoringConfig } from '../src/config.js';
import { dashboardQueries, needsNativeHistograms, substituteVariables } from '../src/dashboards/index.js';
import { externalMetrics, SDK_JOBS } from '../src/external-metrics.js';
import { histogramCountRate, isNativeHistogram } from '../src/histogram-queries.js';
import { judgedOperands } from '../src/promql-check/judged.js';
import { alertGroups, instrumentationAlerts, recordingGroups } from '../src/rules/index.js';
import { type StackLayout, type StackPorts, stackLayout } from '../stack/layout.js';
import { type NativeStack, nativeProcesses, nativeTools, startNativeStack, stopNativeStack } from '../stack/native.js';
import { isAlive } from '../stack/processes.js';
import { installHint, missingTools } from '../stack/tools.js';

// The live proof of monitoring/: the example pipeline (the exchange, a market-data service and a
// gateway per venue, the strategy engine) and the native stack
// (Debian's Prometheus, Alertmanager, node and postgres exporters, a private PostgreSQL, a second
// Prometheus as remote-write receiver, and a twin Prometheus that scrapes the same targets with
// `--enable-feature=native-histograms,exemplar-storage`), all on free 127.0.0.1 ports. On both
// scrapes (classic and native histograms) every target is up, each catalog metric, every recording
// rule, every series an alert judges and every dashboard panel query returns data (the native
// latency row only where native histograms are scraped, and explicitly none on the classic one);
// the twin answers latency quantiles from native histograms, with no classic series of them. The
// SDK's self-metrics (which instrumentation_alerts read) are scraped, a stopped gateway fires
// GatewayDown through Alertmanager to this test's webhook and resolves after the restart, and
// remote_write delivers every series to VictoriaMetrics, which answers every dashboard panel query
// too. Everything is stopped by PID in afterAll.

const missing = missingTools(nativeTools(true, true));
// A missing Debian tool fails on CI (a skipped proof must not read as green) and skips locally.
/** Divides a Prometheus duration (`30s`, `1m`, `10m`) by `factor`, never below 1 s. */
function shorten(duration: string, factor: number): string {
  const match = /^(\d+)([smh])$/.exec(duration);
  if (match === null) throw new Error(`unexpected duration ${duration}`);
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
  return `${Math.max(1, Math.round(seconds / factor))}s`;
}

// Test variant of generated/alerts.yml: the same rule definitions (alertGroups), expressions and
// thresholds, with every `for` divided by 30 (1m → 2s, 30s → 1s, 10m → 20s), so that GatewayDown
// fires within seconds of the gateway going down instead of after a minute.
const FOR_FACTOR = 30;
const testAlertRules = stringify(
  {
    groups: alertGroups.map((group) => ({
      name: group.name,
      rules: group.alerts.map((a) => ({ ...a.rule, for: shorten(a.rule.for, FOR_FACTOR) })),
    })),
  },
  { lineWidth: 0 },
);

const pipelineLines: string[] = [];
const services: RunningService[] = [];
let webhook: WebhookReceiver | undefined;
/** What Alertmanager has posted to this test's webhook so far. */
const notifications = (): readonly WebhookAlert[] => webhook?.alerts ?? [];
let layout: StackLayout | undefined;
let stack: NativeStack | undefined;
let ports: StackPorts;
let gatewaySpec: ServiceSpec;

async function api<T>(base: string, path: string): Promise<T> {
  const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
  const json = (await response.json()) as { status: string; data: T; error?: string };
  if (json.status !== 'success') throw new Error(`${path}: ${json.error ?? response.status}`);
  return json.data;
}

interface Vector {
  readonly resultType: string;
  readonly result: readonly { metric: Record<string, string> }[];
}

async function query(base: string, expr: string): Promise<readonly Record<string, string>[]> {
  const data = await api<Vector>(base, `/api/v1/query?query=${encodeURIComponent(expr)}`);
  return data.result.map((r) => r.metric);
}

async function resultCount(base: string, expr: string): Promise<number> {
  return (await query(base, expr)).length;
}

/** The values of an instant query, one per series. */
async function values(base: string, expr: string): Promise<number[]> {
  const data = await api<{ result: { value: [number, string] }[] }>(
    base,
    `/api/v1/query?query=${encodeURIComponent(expr)}`,
  );
  return data.result.map((r) => Number(r.value[1]));
}

/**
 * The two scrapes of the same pipeline the rules and the dashboard must answer either way: the
 * stack's Prometheus (classic: `_bucket`, `_count`, `_sum` series) and its twin with native
 * histograms on (the native form only, for histograms declared native).
 */
const SCRAPES = [
  { scrape: 'classic scrape', nativeHistograms: false, url: (): string => stack?.prometheusUrl ?? '' },
  {
    scrape: 'native-histogram scrape',
    nativeHistograms: true,
    url: (): string => stack?.nativeHistogramsTwinUrl ?? '',
  },
] as const;

/** The catalog histograms declared with native resolution (from the catalogs, not listed here). */
const nativeHistograms = TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions)).filter(
  (def): def is HistogramDef => def.kind === 'histogram' && isNativeHistogram(def as HistogramDef),
);

/** Pause between tries of a probe that queries Prometheus: each try runs up to one query per metric. */
const RETRY_MS = 500;

const context = (): string =>
  [`pipeline (last lines):`, ...pipelineLines.slice(-15), `notifications: ${JSON.stringify(notifications())}`].join(
    '\n',
  );

describeRequiring('live: the pipeline scraped by the native stack', { missing, install: installHint(missing) }, () => {
  beforeAll(async () => {
    // Webhook receiver for Alertmanager on 127.0.0.1.
    webhook = await startWebhookReceiver();

    const free = await Promise.all(Array.from({ length: 10 }, freePort));
    const victoriaMetricsPort = free[9] as number;
    // The pipeline on free ports, each venue's services on their own; the stack scrapes them all.
    const pipelinePorts = await freePipelinePorts();
    ports = {
      victoriaMetrics: victoriaMetricsPort,
      prometheus: free[0] as number,
      alertmanager: free[1] as number,
      nodeExporter: free[2] as number,
      postgresExporter: free[3] as number,
      postgres: free[4] as number,
      grafana: free[5] as number,
      // The first venue's; every venue's are in venueTargets below.
      marketData: pipelinePorts.venues.binance.marketData,
      gateway: pipelinePorts.venues.binance.gateway,
      strategyEngine: pipelinePorts.strategyEngine,
      pushgateway: await freePort(),
    };

    // The pipeline with the fault knobs of examples/pipeline/pipeline.test.ts, so that every metric
    // (parse errors, reconnects, DB write errors, retries, rejects, fills) gets series quickly.
    const quiet = { LOG_LEVEL: 'warn' };
    const specs = pipelineSpecs(pipelinePorts, {
      exchange: { ...ALL_FAULTS.exchange, ...quiet },
      'market-data': { ...ALL_FAULTS['market-data'], ...quiet },
      gateway: { ...ALL_FAULTS.gateway, ...quiet },
      'strategy-engine': { ...ALL_FAULTS['strategy-engine'], ...quiet },
    });
    gatewaySpec = specs.find((s) => s.name === processName('gateway', 'binance')) as ServiceSpec;
    const onLine = (name: string, line: string): void => {
      pipelineLines.push(`[${name}] ${line}`);
    };
    for (const spec of specs) services.push(await startService(spec, { onLine }));

    // The stack through the runner's library (not the CLI), scraping every second.
    layout = stackLayout(mkdtempSync(join(tmpdir(), 'ttquant-live-')));
    // Taken just before the start: the running pipeline's own connections use ephemeral ports too.
    const nativeHistogramsTwinPort = await freePort();
    stack = await startNativeStack({
      layout,
      ports,
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      victoriaMetricsPort,
      venueTargets: {
        marketData: VENUES.map((venue) => pipelinePorts.venues[venue].marketData),
        gateway: VENUES.map((venue) => pipelinePorts.venues[venue].gateway),
      },
      nativeHistogramsTwinPort,
      alertRules: testAlertRules,
      webhookUrl: webhook.url,
    });
    // A backtest run on the stack's Pushgateway (as `npm run backtest` pushes one), for the
    // dashboard's "Backtest vs live" row: a registered strategy has its PnL and drawdown at 0.
    const backtest = new StrategyMetrics();
    new TradingLedger({ metrics: backtest }).register('ma_cross');
    await new PushgatewayClient({
      url: `http://127.0.0.1:${ports.pushgateway}`,
      job: monitoringConfig.backtest.job,
      grouping: { [monitoringConfig.backtest.runLabel]: 'live-test' },
      // As the backtest CLI: the run's metrics only, not the pushing process' SDK self-metrics.
      selfMetrics: false,
    }).push([backtest]);
  }, 90_000);

  afterAll(async () => {
    const errors: unknown[] = [];
    const attempt = async (what: () => Promise<unknown>): Promise<void> => {
      await what().catch((error: unknown) => {
        errors.push(error);
      });
    };
    await attempt(() => stopServices([...services].reverse(), 5_000));
    if (layout !== undefined) {
      const l = layout;
      const pids = nativeProcesses(l).flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
      await attempt(() => stopNativeStack(l));
      for (const pid of pids) if (isAlive(pid)) errors.push(new Error(`pid ${pid} still runs after stop`));
      rmSync(l.root, { recursive: true, force: true });
    }
    await attempt(async () => webhook?.close());
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  }, 60_000);

  it.each(SCRAPES)(
    '$scrape: has every target up: the pipeline (each venue’s market data and gateway), node-exporter, postgres-exporter and Prometheus',
    async ({ url }) => {
      const want = jobList().map((job) => job.name);
      const failing = await settle(
        async () => {
          const data = await api<{
            activeTargets: { labels: Record<string, string>; health: string; lastError: string }[];
          }>(url(), '/api/v1/targets?state=active');
          return want.flatMap((job) => {
            // Market data and the gateway have one target per venue: every one must be up.
            const targets = data.activeTargets.filter((t) => t.labels['job'] === job);
            const expected = jobList().find((j) => j.name === job)?.local.length ?? 1;
            if (targets.length !== expected) return [`${job}: ${targets.length} targets, want ${expected}`];
            return targets
              .filter((t) => t.health !== 'up')
              .map((t) => `${job} ${t.labels['instance']}: ${t.health} ${t.lastError}`);
          });
        },
        20_000,
        RETRY_MS,
      );
      expect(failing, context()).toEqual([]);
    },
    30_000,
  );

  it.each(SCRAPES)(
    '$scrape: answers a query for each catalog metric',
    async ({ url }) => {
      const defs = TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions));
      // A histogram through its observation rate, which reads whichever form Prometheus stores.
      const exprOf = (def: (typeof defs)[number]): string =>
        def.kind === 'histogram'
          ? histogramCountRate({ def: def as HistogramDef, select: (series) => series, window: '1m', by: [] })
          : def.name;
      const failing = await settle(
        async () => {
          const out: string[] = [];
          for (const def of defs) {
            const expr = exprOf(def);
            if ((await resultCount(url(), expr)) === 0) out.push(expr);
          }
          return out;
        },
        45_000,
        RETRY_MS,
      );
      expect(failing, `metrics with no series:\n${failing.join('\n')}\n${context()}`).toEqual([]);
    },
    60_000,
  );

  it('scrapes the SDK self-metrics from every process that runs the SDK, and the instrumentation alerts read it', async () => {
    const sdkJobs = SDK_JOBS.map((key) => monitoringConfig.jobs[key].name).sort();
    const catalogNames = TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions)).map((def) => def.name);
    const labelValues = (series: readonly Record<string, string>[], label: string): string[] =>
      [...new Set(series.map((m) => m[label] ?? ''))].sort();
    // The exemplar drop counter exists only where a catalog declares exemplars (each catalog's
    // service is its job); the other two everywhere the SDK runs.
    const exemplarJobs = [
      ...new Set(
        TRADING_CATALOGS.filter((c) => Object.values(c.definitions).some((def) => def.exemplars !== undefined)).map(
          (c) => c.service as string,
        ),
      ),
    ].sort();
    expect(exemplarJobs.length).toBeGreaterThan(0);
    for (const job of exemplarJobs) expect(sdkJobs).toContain(job);
    const jobsCounting = (metric: string): string[] =>
      metric === externalMetrics.exemplarsDropped.name ? exemplarJobs : sdkJobs;
    const failing = await settle(
      async () => {
        const out: string[] = [];
        for (const metric of [
          externalMetrics.overflowRecords,
          externalMetrics.droppedValues,
          externalMetrics.exemplarsDropped,
        ]) {
          const jobs = labelValues(await query(stack?.prometheusUrl ?? '', metric.name), 'job');
          if (jobs.join() !== jobsCounting(metric.name).join()) out.push(`${metric.name}: jobs ${jobs.join()}`);
        }
        // Every catalog metric has its drop counter, at 0 or above.
        const dropped = labelValues(
          await query(stack?.prometheusUrl ?? '', externalMetrics.droppedValues.name),
          'metric',
        );
        const lacking = catalogNames.filter((name) => !dropped.includes(name));
        if (lacking.length > 0) out.push(`no drop counter for ${lacking.join(', ')}`);
        // Each alert's expression without its `> 0` finds one series per process and metric: the
        // job matcher and the grouping fit what is really scraped.
        for (const { rule } of instrumentationAlerts.alerts) {
          const increase = rule.expr.replace(/ > 0$/, '');
          expect(increase, rule.alert).not.toBe(rule.expr);
          const series = await query(stack?.prometheusUrl ?? '', increase);
          const counted = rule.expr.includes(externalMetrics.exemplarsDropped.name)
            ? jobsCounting(externalMetrics.exemplarsDropped.name)
            : sdkJobs;
          if (labelValues(series, 'job').join() !== counted.join()) out.push(`${rule.alert}: no series for every job`);
          if (series.some((m) => Object.keys(m).sort().join() !== 'instance,job,metric')) {
            out.push(`${rule.alert}: labels ${JSON.stringify(series[0])}`);
          }
        }
        return out;
      },
      30_000,
      RETRY_MS,
    );
    expect(failing, context()).toEqual([]);
  }, 45_000);

  it.each(SCRAPES)(
    '$scrape: returns data for every dashboard panel query (variables substituted)',
    async ({ url, nativeHistograms: native }) => {
      const queries = dashboardQueries();
      expect(queries.length).toBeGreaterThanOrEqual(34);
      // The native latency row reads native histograms alone: data only on the native-histogram scrape.
      const nativeOnly = queries.filter(needsNativeHistograms);
      expect(nativeOnly.length).toBeGreaterThan(0);
      const expected = native ? queries : queries.filter((q) => !needsNativeHistograms(q));
      const failing = await settle(
        async () => {
          const out: string[] = [];
          for (const q of expected) {
            const expr = substituteVariables(q.expr);
            if ((await resultCount(url(), expr)) === 0) {
              out.push(`#${q.panelId} ${q.panelTitle} (${q.refId}): ${expr}`);
            }
          }
          return out;
        },
        30_000,
        RETRY_MS,
      );
      expect(failing, `panel queries with no data:\n${failing.join('\n')}`).toEqual([]);
      if (!native) {
        const answered: string[] = [];
        for (const q of nativeOnly) {
          if ((await resultCount(url(), substituteVariables(q.expr))) > 0) answered.push(q.expr);
        }
        expect(answered, 'native-histogram panels with data on the classic scrape').toEqual([]);
      }
    },
    60_000,
  );

  it.each(SCRAPES)(
    '$scrape: has a value for every recording rule and data for every series an alert judges',
    async ({ url }) => {
      const records = recordingGroups.flatMap((group) => group.rules.map((rule) => rule.record));
      const judged = alertGroups.flatMap((group) =>
        group.alerts.flatMap(({ rule }) => judgedOperands(rule.expr).map((expr) => ({ alert: rule.alert, expr }))),
      );
      expect(records.length * judged.length).toBeGreaterThan(0);
      const failing = await settle(
        async () => {
          const out: string[] = [];
          for (const record of records) if ((await resultCount(url(), record)) === 0) out.push(`record ${record}`);
          for (const { alert, expr } of judged)
            if ((await resultCount(url(), expr)) === 0) out.push(`${alert}: ${expr}`);
          return out;
        },
        45_000,
        RETRY_MS,
      );
      expect(failing, `rules with no data:\n${failing.join('\n')}\n${context()}`).toEqual([]);
    },
    60_000,
  );

  it('native-histogram scrape: answers the p99 order latency from native histograms, which have no classic series there', async () => {
    const twin = stack?.nativeHistogramsTwinUrl ?? '';
    const classic = stack?.prometheusUrl ?? '';
    const p99 = `histogram_quantile(0.99, sum(rate(${gatewayDefinitions.orderLatency.name}[1m])))`;
    const answer = await settle(
      async () => {
        const v = await values(twin, p99);
        return v.length === 1 && Number.isFinite(v[0]) && (v[0] as number) > 0 ? [] : [`${p99}: ${v.join()}`];
      },
      30_000,
      RETRY_MS,
    );
    expect(answer, context()).toEqual([]);
    expect(nativeHistograms.map((def) => def.name)).toContain(gatewayDefinitions.orderLatency.name);
    for (const def of nativeHistograms) {
      const classicSeries = `{__name__=~"${def.name}_(bucket|count|sum)"}`;
      // The twin stores only the native form: the quantile above came from native samples.
      expect(await resultCount(twin, classicSeries), `${def.name} classic series on the twin`).toBe(0);
      expect(await resultCount(twin, def.name), `${def.name} native series on the twin`).toBeGreaterThan(0);
      const observed = await values(twin, `sum(histogram_count(rate(${def.name}[1m])))`);
      expect(observed.length, `histogram_count of ${def.name}`).toBe(1);
      // And the stack's own Prometheus the other way round.
      expect(await resultCount(classic, def.name), `${def.name} native series on the classic scrape`).toBe(0);
      expect(
        await resultCount(classic, `${def.name}_bucket`),
        `${def.name}_bucket on the classic scrape`,
      ).toBeGreaterThan(0);
    }
    // Exemplars (exemplar-storage is on in the twin): the gateway records each order's latency with
    // the trace the engine started for it; the twin stores them from the protobuf scrape, and
    // query_exemplars returns trace ids the gateway exposes.
    const name = gatewayDefinitions.orderLatency.name;
    const exposedTraces = async (): Promise<Set<string>> => {
      const body = await (
        await fetch(`http://127.0.0.1:${ports.gateway}/metrics`, {
          headers: { accept: 'application/openmetrics-text; version=1.0.0' },
        })
      ).text();
      return new Set(
        [...body.matchAll(new RegExp(`^${name}_bucket\\{.* # \\{trace_id="([0-9a-f]{32})"`, 'gm'))].map(
          (m) => m[1] as string,
        ),
      );
    };
    const seen = new Set<string>();
    const stored: string[] = [];
    const missing = await settle(
      async () => {
        for (const id of await exposedTraces()) seen.add(id);
        const end = Date.now() / 1000 + 60;
        const series = await api<{ exemplars: { labels: Record<string, string> }[] }[]>(
          twin,
          `/api/v1/query_exemplars?query=${encodeURIComponent(name)}&start=${end - 3600}&end=${end}`,
        );
        stored.length = 0;
        for (const s of series) for (const e of s.exemplars) stored.push(e.labels['trace_id'] ?? '');
        if (stored.length === 0) return [`no exemplars of ${name} stored yet`];
        return stored.some((id) => seen.has(id))
          ? []
          : [`stored ${stored.join()} but the gateway exposed ${[...seen].join()}`];
      },
      30_000,
      RETRY_MS,
    );
    expect(missing, context()).toEqual([]);
    for (const id of stored) expect(id).toMatch(/^[0-9a-f]{32}$/);
  }, 75_000);

  it('delivers every series by remote_write to VictoriaMetrics, which answers every classic dashboard panel query', async () => {
    const vm = stack?.victoriaMetricsUrl ?? '';
    const queries = dashboardQueries().filter((q) => !needsNativeHistograms(q));
    expect(queries.length).toBeGreaterThanOrEqual(34);
    // VictoriaMetrics leaves out the last 30 s of samples by default (-search.latencyOffset, so a
    // query never sees a half-written scrape): its first answers come about 30 s after the first write.
    const failing = await settle(
      async () => {
        const out: string[] = [];
        for (const q of queries) {
          const expr = substituteVariables(q.expr);
          if ((await resultCount(vm, expr)) === 0) out.push(`#${q.panelId} ${q.panelTitle} (${q.refId}): ${expr}`);
        }
        return out;
      },
      75_000,
      RETRY_MS,
    );
    expect(failing, `panel queries with no data in VictoriaMetrics:\n${failing.join('\n')}`).toEqual([]);
    // It scrapes nothing itself: what it holds came through remote_write, Prometheus' own series included.
    expect(await resultCount(vm, 'up{job="prometheus",instance=~".+"}')).toBeGreaterThan(0);
  }, 90_000);

  it('fires GatewayDown through Alertmanager to the webhook when the gateway stops, and resolves it after a restart', async () => {
    const gatewayDown = (status: string) => (n: WebhookAlert) =>
      n.labels['alertname'] === 'GatewayDown' && n.status === status;
    expect(notifications().filter(gatewayDown('firing')), 'no GatewayDown before the fault').toEqual([]);

    const index = services.findIndex((s) => s.spec.name === gatewaySpec.name);
    const gateway = services[index] as RunningService;
    // Its grace outlasts the gateway's own drain of in-flight orders (an order caught in an exchange
    // latency spike and its retries may hold it that long), so a clean exit is never cut short.
    const grace = readGatewayConfig({}).drainTimeoutMs + 5_000;
    const [stopped] = await stopServices([gateway], grace);
    expect(stopped?.code, 'gateway exits cleanly on SIGTERM').toBe(0);

    const fired = await settle(
      async () => (notifications().some(gatewayDown('firing')) ? [] : ['not fired']),
      30_000,
      RETRY_MS,
    );
    expect(fired, context()).toEqual([]);
    const alert = notifications().find(gatewayDown('firing'));
    expect(alert?.labels).toMatchObject({
      severity: 'critical',
      job: 'gateway',
      instance: `127.0.0.1:${ports.gateway}`,
    });

    services[index] = await startService(gatewaySpec, {
      onLine: (name, line) => {
        pipelineLines.push(`[${name}] ${line}`);
      },
    });
    const resolved = await settle(
      async () => (notifications().some(gatewayDown('resolved')) ? [] : ['not resolved']),
      30_000,
      RETRY_MS,
    );
    expect(resolved, context()).toEqual([]);
  }, 75_000);
});
