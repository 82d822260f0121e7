import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ALERTMANAGER_CONFIG_PATHS, renderAlertmanagerConfig } from '../src/alertmanager-config.js';
import { type JobKey, monitoringConfig, PIPELINE_VENUES, type RemoteWriteSpec, venuePort } from '../src/config.js';
import { RULES_PATHS } from '../src/outputs.js';
import { prometheusConfig, retentionFlags } from '../src/prometheus-config.js';
import {
  ensureLayout,
  MONITORING_DIR,
  type StackLayout,
  type StackPorts,
  type StackState,
  writeState,
} from './layout.js';
import {
  logTail,
  runningPid,
  type StartedProcess,
  type StopResult,
  startProcess,
  stopProcess,
  waitUntil,
} from './processes.js';
import { installHint, missingTools, postgresBinDir, postgresUser, runCommand, type StackTool } from './tools.js';

// The native stack: Debian's prometheus, prometheus-alertmanager, prometheus-node-exporter,
// prometheus-postgres-exporter (plus a private PostgreSQL cluster for the exporter to watch) and
// prometheus-pushgateway (backtests push to it), and optionally victoria-metrics as the long-term store Prometheus writes to, all on 127.0.0.1, each a
// detached process with a PID file under the project folder.

/** Names of the native components, in start order. */
export const NATIVE_COMPONENTS = [
  'postgres',
  'postgres-exporter',
  'node-exporter',
  'alertmanager',
  'victoria-metrics',
  'pushgateway',
  'prometheus-native-histograms',
  'prometheus',
] as const;

/**
 * Prometheus features the native-histogram scrape turns on: native histograms (Prometheus then asks
 * for protobuf and stores the native form of a histogram that has one, without its classic series)
 * and exemplar storage (the trace ids the services attach to observations).
 */
export const NATIVE_HISTOGRAM_FEATURES = ['native-histograms', 'exemplar-storage'] as const;

/** `--enable-feature=native-histograms,exemplar-storage`, as Prometheus 2.42 takes it. */
export const NATIVE_HISTOGRAM_FLAG = `--enable-feature=${NATIVE_HISTOGRAM_FEATURES.join(',')}`;

/** A native component. */
export type NativeComponent = (typeof NATIVE_COMPONENTS)[number];

/** Options of {@link startNativeStack}. */
export interface NativeStackOptions {
  readonly layout: StackLayout;
  readonly ports: StackPorts;
  /**
   * PostgreSQL the postgres-exporter watches. Without it a private cluster is created under
   * `data/postgres` (initdb, run as the `postgres` user when this process is root).
   */
  readonly databaseUrl?: string;
  /** Scrape interval (and timeout) of every job; default the committed ones (5 s trading, 15 s rest). */
  readonly scrapeInterval?: string;
  /** Rule evaluation interval; default the committed one (15 s). */
  readonly evaluationInterval?: string;
  /** remote_write endpoints; default `monitoringConfig.remoteWrite.local`. */
  readonly remoteWrite?: readonly RemoteWriteSpec[];
  /**
   * Ports of the per-venue services, one per venue of PIPELINE_VENUES; default `venuePort` of
   * `ports.marketData` / `ports.gateway` for each venue (the pipeline's own rule). Tests on free ports
   * pass theirs.
   */
  readonly venueTargets?: VenueTargets;
  /**
   * Also start VictoriaMetrics (Debian's `victoria-metrics`) on this port, as the long-term store
   * Prometheus writes to (`remote_write` to its `/api/v1/write`); it answers PromQL on the same port.
   */
  readonly victoriaMetricsPort?: number;
  /** Alerting rules YAML; default monitoring/generated/alerts.yml. */
  readonly alertRules?: string;
  /** Where the local Alertmanager posts notifications; default `monitoringConfig.alertmanager.localWebhookUrl`. */
  readonly webhookUrl?: string;
  /** Start Prometheus with `--web.enable-admin-api`, so `backup` can take a TSDB snapshot. */
  readonly adminApi?: boolean;
  /** Start Prometheus with {@link NATIVE_HISTOGRAM_FLAG}: it scrapes native histograms. */
  readonly nativeHistograms?: boolean;
  /**
   * Also start a twin Prometheus on this port with {@link NATIVE_HISTOGRAM_FLAG}: the same targets and
   * rules, but no Alertmanager and no remote_write, so one stack shows both scrapes side by side.
   */
  readonly nativeHistogramsTwinPort?: number;
  /** Progress lines; default silent. */
  readonly log?: (line: string) => void;
  /** How long each component may take to become ready; default 30 s. */
  readonly readyTimeoutMs?: number;
}

/** A started native stack. */
export interface NativeStack {
  readonly state: StackState;
  readonly processes: readonly StartedProcess[];
  /** `http://127.0.0.1:<port>` of Prometheus. */
  readonly prometheusUrl: string;
  readonly alertmanagerUrl: string;
  /** VictoriaMetrics, when `victoriaMetricsPort` was given. */
  readonly victoriaMetricsUrl?: string;
  /** The twin Prometheus scraping native histograms, when `nativeHistogramsTwinPort` was given. */
  readonly nativeHistogramsTwinUrl?: string;
}

/**
 * The Debian programs the native stack runs.
 *
 * @param withPostgres - whether the private PostgreSQL cluster is needed (no DATABASE_URL)
 * @param withVictoriaMetrics - whether VictoriaMetrics runs as the long-term store
 * @returns the programs
 */
export function nativeTools(withPostgres: boolean, withVictoriaMetrics = false): StackTool[] {
  return [
    'prometheus',
    'prometheus-alertmanager',
    'prometheus-node-exporter',
    'prometheus-postgres-exporter',
    'prometheus-pushgateway',
    ...(withPostgres ? (['postgres'] as const) : []),
    ...(withVictoriaMetrics ? (['victoria-metrics'] as const) : []),
  ];
}

const local = (port: number): string => `127.0.0.1:${port}`;

/** Ports of the per-venue services the stack scrapes, one per venue. */
export interface VenueTargets {
  readonly marketData?: readonly number[];
  readonly gateway?: readonly number[];
}

/**
 * The ports the native stack scrapes per job: one each, and one per venue for market data and the
 * gateway (the venue rule on the stack's port unless `venueTargets` says otherwise).
 *
 * @param ports - the stack's ports
 * @param venueTargets - explicit per-venue ports, if any
 * @returns ports per job
 */
export function nativeJobPorts(ports: StackPorts, venueTargets: VenueTargets = {}): Record<JobKey, readonly number[]> {
  const perVenue = (base: number) => PIPELINE_VENUES.map((venue) => venuePort(base, venue));
  return {
    marketData: venueTargets.marketData ?? perVenue(ports.marketData),
    gateway: venueTargets.gateway ?? perVenue(ports.gateway),
    strategyEngine: [ports.strategyEngine],
    database: [ports.postgresExporter],
    node: [ports.nodeExporter],
    prometheus: [ports.prometheus],
    pushgateway: [ports.pushgateway],
  };
}

interface ScrapeJob {
  job_name: string;
  scrape_interval: string;
  scrape_timeout: string;
  static_configs: { targets: string[] }[];
}

/**
 * The Prometheus configuration the native stack runs: the local variant (`prometheusConfig('local')`,
 * the same description generated/prometheus.local.yml is rendered from) with each target on the
 * stack's ports, and optionally other intervals and remote_write endpoints.
 *
 * @param ports - the stack's ports
 * @param options - interval, remote_write and per-venue target overrides
 * @returns the configuration as plain data
 */
export function nativePrometheusConfig(
  ports: StackPorts,
  options: Pick<NativeStackOptions, 'scrapeInterval' | 'evaluationInterval' | 'remoteWrite' | 'venueTargets'> = {},
): Record<string, unknown> {
  const config = prometheusConfig(
    'local',
    options.remoteWrite === undefined ? {} : { remoteWrite: options.remoteWrite },
  );
  const jobPorts = nativeJobPorts(ports, options.venueTargets);
  const byName = new Map<string, readonly number[]>(
    (Object.keys(jobPorts) as JobKey[]).map((key) => [monitoringConfig.jobs[key].name, jobPorts[key]]),
  );
  const jobs = (config['scrape_configs'] as ScrapeJob[]).map((job) => {
    const jobPortList = byName.get(job.job_name);
    if (jobPortList === undefined) throw new Error(`no port for job ${job.job_name}`);
    const interval = options.scrapeInterval;
    return {
      ...job,
      ...(interval === undefined ? {} : { scrape_interval: interval, scrape_timeout: interval }),
      static_configs: [{ targets: jobPortList.map(local) }],
    };
  });
  const global = { ...(config['global'] as Record<string, string>) };
  if (options.scrapeInterval !== undefined) {
    global['scrape_interval'] = options.scrapeInterval;
    global['scrape_timeout'] = options.scrapeInterval;
  }
  if (options.evaluationInterval !== undefined) global['evaluation_interval'] = options.evaluationInterval;
  return {
    ...config,
    global,
    alerting: { alertmanagers: [{ static_configs: [{ targets: [local(ports.alertmanager)] }] }] },
    scrape_configs: jobs,
  };
}

const HEADER =
  '# Written by monitoring/stack (the native stack runner) at start: the local variant of prometheus.yml\n' +
  '# with the ports this stack runs on. Edit monitoring/src/config.ts, not this file.\n';

/**
 * Writes the files the processes read into `config/`: prometheus.yml, both rule files and
 * alertmanager.yml. Rule file names match the local variant's relative `rule_files`.
 *
 * @param options - the stack options
 * @returns the paths written
 */
export function writeNativeConfig(options: NativeStackOptions): {
  prometheus: string;
  alertmanager: string;
  nativeHistogramsTwin: string;
} {
  const { layout, ports } = options;
  ensureLayout(layout);
  const remoteWrite = [
    ...(options.remoteWrite ?? monitoringConfig.remoteWrite.local),
    ...(options.victoriaMetricsPort === undefined
      ? []
      : [{ url: `http://${local(options.victoriaMetricsPort)}/api/v1/write`, name: 'victoria-metrics' }]),
  ];
  const paths = {
    prometheus: join(layout.config, 'prometheus.yml'),
    alertmanager: join(layout.config, 'alertmanager.yml'),
    nativeHistogramsTwin: join(layout.config, 'prometheus-native-histograms.yml'),
  };
  const config = nativePrometheusConfig(ports, { ...options, remoteWrite });
  writeFileSync(paths.prometheus, HEADER + stringify(config, { lineWidth: 0 }));
  if (options.nativeHistogramsTwinPort !== undefined) {
    // Same scrape jobs and rule files (next to it, so the relative rule_files resolve); it neither
    // alerts (Alertmanager would get every alert twice) nor writes to the long-term store.
    const { alerting: _alerting, remote_write: _remoteWrite, ...twin } = config;
    writeFileSync(paths.nativeHistogramsTwin, HEADER + stringify(twin, { lineWidth: 0 }));
  }
  copyFileSync(join(MONITORING_DIR, RULES_PATHS.recording), join(layout.config, 'recording-rules.yml'));
  if (options.alertRules === undefined) {
    copyFileSync(join(MONITORING_DIR, RULES_PATHS.alerts), join(layout.config, 'alerts.yml'));
  } else {
    writeFileSync(join(layout.config, 'alerts.yml'), options.alertRules);
  }
  if (options.webhookUrl === undefined) {
    copyFileSync(join(MONITORING_DIR, ALERTMANAGER_CONFIG_PATHS.local), paths.alertmanager);
  } else {
    writeFileSync(paths.alertmanager, renderAlertmanagerConfig('local', { webhookUrl: options.webhookUrl }));
  }
  return paths;
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.ok;
}

/**
 * The URL of the private PostgreSQL cluster (trust authentication on 127.0.0.1 only).
 *
 * @param port - its port
 * @returns a libpq URL for the `postgres` database
 */
export function privateDatabaseUrl(port: number): string {
  return `postgresql://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
}

// State files are not secret stores: a password in DATABASE_URL is not written down.
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

async function startPostgres(options: NativeStackOptions): Promise<StartedProcess> {
  const bin = postgresBinDir();
  if (bin === undefined) throw new Error(`PostgreSQL is not installed (${installHint(['postgres'])})`);
  const user = postgresUser();
  if (process.getuid?.() === 0 && user === undefined) throw new Error('running as root, but there is no postgres user');
  const dir = join(options.layout.data, 'postgres');
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    mkdirSync(dir, { recursive: true });
    if (user !== undefined) {
      // initdb runs as postgres: it must own the cluster folder and reach it through the parents.
      chownSync(dir, user.uid, user.gid);
      for (const parent of [options.layout.root, options.layout.data]) chmodSync(parent, 0o755);
    }
    const init = await runCommand(
      join(bin, 'initdb'),
      ['-D', dir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      user === undefined ? {} : { user },
    );
    if (init.code !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  const started = await startProcess(options.layout, {
    name: 'postgres',
    command: join(bin, 'postgres'),
    // Sockets in the cluster folder (owned by postgres), TCP on 127.0.0.1 only; fsync off: the
    // cluster only gives the exporter something to watch.
    args: ['-D', dir, '-p', String(options.ports.postgres), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off'],
    ...(user === undefined ? {} : { user }),
  });
  await waitReady(options, 'postgres', async () => {
    const r = await runCommand(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(options.ports.postgres)], {
      timeoutMs: 5_000,
    });
    return r.code === 0;
  });
  return started;
}

async function waitReady(options: NativeStackOptions, name: string, probe: () => Promise<boolean>): Promise<void> {
  const { layout } = options;
  let died = false;
  await waitUntil(
    async () => {
      // A dead process ends the wait at once (waitUntil treats a throw as "not yet").
      died = runningPid(layout, name) === undefined;
      return died || probe();
    },
    `${name} to become ready`,
    options.readyTimeoutMs ?? 30_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; its log ends:\n${logTail(layout, name)}`);
  });
  if (died) throw new Error(`${name} exited during start; its log ends:\n${logTail(layout, name)}`);
}

/**
 * Starts the native stack and waits until every component answers. On a failure, everything this
 * call started is stopped again (by PID) before the error is thrown.
 *
 * @param options - folder, ports and overrides
 * @returns the running stack
 * @throws Error naming the missing Debian packages, or the component that did not start (with its log)
 * @example
 * ```ts
 * const layout = stackLayout();
 * const stack = await startNativeStack({ layout, ports: DEFAULT_PORTS });
 * try { await fetch(`${stack.prometheusUrl}/-/ready`); } finally { await stopNativeStack(layout); }
 * ```
 */
export async function startNativeStack(options: NativeStackOptions): Promise<NativeStack> {
  const { layout, ports } = options;
  const log = options.log ?? (() => {});
  const missing = missingTools(
    nativeTools(options.databaseUrl === undefined, options.victoriaMetricsPort !== undefined),
  );
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}: ${installHint(missing)}`);
  const running = nativeProcesses(layout).filter((p) => p.pid !== undefined);
  if (running.length > 0) {
    throw new Error(`already running: ${running.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}; stop it first`);
  }
  const paths = writeNativeConfig(options);
  const started: StartedProcess[] = [];
  const track = (p: StartedProcess): StartedProcess => {
    started.push(p);
    log(`started ${p.name} (pid ${p.pid}), log ${p.log}`);
    return p;
  };
  const databaseUrl = options.databaseUrl ?? privateDatabaseUrl(ports.postgres);
  const prometheusArgs = (port: number, config: string, data: string): string[] => [
    `--config.file=${config}`,
    `--storage.tsdb.path=${data}`,
    ...retentionFlags(),
    `--web.listen-address=${local(port)}`,
    '--web.enable-lifecycle',
  ];
  try {
    const database =
      options.databaseUrl === undefined ? startPostgres(options).then(track) : Promise.resolve(undefined);
    const nodeExporter = startProcess(layout, {
      name: 'node-exporter',
      command: 'prometheus-node-exporter',
      args: [`--web.listen-address=${local(ports.nodeExporter)}`],
    }).then(track);
    const alertmanager = startProcess(layout, {
      name: 'alertmanager',
      command: 'prometheus-alertmanager',
      args: [
        `--config.file=${paths.alertmanager}`,
        `--storage.path=${join(layout.data, 'alertmanager')}`,
        `--web.listen-address=${local(ports.alertmanager)}`,
        // No gossip cluster: a single instance, and the default 0.0.0.0:9094 listener would clash.
        '--cluster.listen-address=',
      ],
    }).then(track);
    // The long-term store only receives (remote_write) and answers queries: no scrape of its own.
    const victoriaMetrics =
      options.victoriaMetricsPort === undefined
        ? Promise.resolve(undefined)
        : startProcess(layout, {
            name: 'victoria-metrics',
            command: 'victoria-metrics',
            args: [
              `-storageDataPath=${join(layout.data, 'victoria-metrics')}`,
              `-httpListenAddr=${local(options.victoriaMetricsPort)}`,
            ],
          }).then(track);
    // Backtests push here; it keeps the pushed groups in a file, so a restart does not lose them.
    const pushgateway = startProcess(layout, {
      name: 'pushgateway',
      command: 'prometheus-pushgateway',
      args: [
        `--web.listen-address=${local(ports.pushgateway)}`,
        `--persistence.file=${join(layout.data, 'pushgateway.metrics')}`,
      ],
    }).then(track);
    const twinPort = options.nativeHistogramsTwinPort;
    const twin =
      twinPort === undefined
        ? Promise.resolve(undefined)
        : startProcess(layout, {
            name: 'prometheus-native-histograms',
            command: 'prometheus',
            args: [
              ...prometheusArgs(
                twinPort,
                paths.nativeHistogramsTwin,
                join(layout.data, 'prometheus-native-histograms'),
              ),
              NATIVE_HISTOGRAM_FLAG,
            ],
          }).then(track);
    const prometheus = startProcess(layout, {
      name: 'prometheus',
      command: 'prometheus',
      args: [
        ...prometheusArgs(ports.prometheus, paths.prometheus, join(layout.data, 'prometheus')),
        ...(options.adminApi === true ? ['--web.enable-admin-api'] : []),
        ...(options.nativeHistograms === true ? [NATIVE_HISTOGRAM_FLAG] : []),
      ],
    }).then(track);
    // Wait for every start, then for readiness, so one failure still lets the others be tracked.
    const results = await Promise.allSettled([
      database,
      nodeExporter,
      alertmanager,
      victoriaMetrics,
      pushgateway,
      twin,
      prometheus,
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const exporter = await startProcess(layout, {
      name: 'postgres-exporter',
      command: 'prometheus-postgres-exporter',
      args: [`--web.listen-address=${local(ports.postgresExporter)}`],
      env: { DATA_SOURCE_NAME: databaseUrl },
    }).then(track);
    const url = (port: number, path: string): string => `http://${local(port)}${path}`;
    await Promise.all([
      waitReady(options, 'node-exporter', () => httpOk(url(ports.nodeExporter, '/metrics'))),
      waitReady(options, 'alertmanager', () => httpOk(url(ports.alertmanager, '/-/ready'))),
      waitReady(options, 'pushgateway', () => httpOk(url(ports.pushgateway, '/-/ready'))),
      waitReady(options, 'prometheus', () => httpOk(url(ports.prometheus, '/-/ready'))),
      waitReady(options, exporter.name, () => httpOk(url(ports.postgresExporter, '/metrics'))),
      ...(options.victoriaMetricsPort === undefined
        ? []
        : [
            waitReady(options, 'victoria-metrics', () => httpOk(url(options.victoriaMetricsPort as number, '/health'))),
          ]),
      ...(twinPort === undefined
        ? []
        : [waitReady(options, 'prometheus-native-histograms', () => httpOk(url(twinPort, '/-/ready')))]),
    ]);
    const state: StackState = {
      mode: 'native',
      ports,
      components: started.map((p) => p.name),
      databaseUrl: withoutPassword(databaseUrl),
      ...(options.webhookUrl === undefined ? {} : { webhookUrl: options.webhookUrl }),
      ...(options.adminApi === true ? { adminApi: true } : {}),
      ...(options.nativeHistograms === true ? { nativeHistograms: true } : {}),
      ...(options.victoriaMetricsPort === undefined ? {} : { victoriaMetrics: true }),
      startedAt: new Date().toISOString(),
    };
    writeState(layout, state);
    return {
      state,
      processes: started,
      prometheusUrl: url(ports.prometheus, ''),
      alertmanagerUrl: url(ports.alertmanager, ''),
      ...(options.victoriaMetricsPort === undefined
        ? {}
        : { victoriaMetricsUrl: url(options.victoriaMetricsPort, '') }),
      ...(twinPort === undefined ? {} : { nativeHistogramsTwinUrl: url(twinPort, '') }),
    };
  } catch (error) {
    // Processes whose start resolved after the failure are tracked too: stop every known component.
    await stopNativeStack(layout);
    throw error;
  }
}

/**
 * Stops every native component that has a PID file, in reverse start order, each by its recorded
 * PID (PostgreSQL with SIGINT, its fast shutdown). Keeps data and logs.
 *
 * @param layout - the layout
 * @returns one result per component
 */
export async function stopNativeStack(layout: StackLayout): Promise<StopResult[]> {
  const results: StopResult[] = [];
  for (const name of [...NATIVE_COMPONENTS].reverse()) {
    results.push(await stopProcess(layout, name, name === 'postgres' ? { signal: 'SIGINT' } : {}));
  }
  return results;
}

/**
 * Which native components run now.
 *
 * @param layout - the layout
 * @returns name and PID of each running component
 */
export function nativeProcesses(layout: StackLayout): { name: NativeComponent; pid: number | undefined }[] {
  return NATIVE_COMPONENTS.map((name) => ({ name, pid: runningPid(layout, name) }));
}
