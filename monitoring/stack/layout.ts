import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_PORTS } from '@ttquant/metrics';
import { COMPONENT_PORTS } from '../src/config.js';

// Where the native stack keeps its files, and which ports it uses. One project folder holds
// everything (config, data, logs, PID files), so `clean` is one `rm -r` and nothing leaks elsewhere.

/** The repository root (two levels above this file). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The monitoring/ folder. */
export const MONITORING_DIR = join(REPO_ROOT, 'monitoring');

/** Default project folder of the native stack, at the repository root (gitignored). */
export const DEFAULT_STACK_DIR = join(REPO_ROOT, '.monitoring');

/** Every port the stack listens on or scrapes. */
export interface StackPorts {
  readonly prometheus: number;
  readonly alertmanager: number;
  readonly nodeExporter: number;
  readonly postgresExporter: number;
  /** VictoriaMetrics, the long-term store Prometheus writes to (native stack). */
  readonly victoriaMetrics: number;
  /** The Pushgateway backtests push to, scraped with honor_labels. */
  readonly pushgateway: number;
  /** The private PostgreSQL cluster the postgres-exporter watches (unused with DATABASE_URL). */
  readonly postgres: number;
  /** Grafana, in the Docker Compose stack only. */
  readonly grafana: number;
  readonly marketData: number;
  readonly gateway: number;
  readonly strategyEngine: number;
}

/** Name of a port in {@link StackPorts}. */
export type PortName = keyof StackPorts;

/**
 * The default ports: the upstream defaults of each component and the original service ports
 * (docs/origin.md). The
 * private PostgreSQL cluster uses 55432, not 5432, so it never collides with a system server.
 */
export const DEFAULT_PORTS: StackPorts = Object.freeze({
  prometheus: COMPONENT_PORTS.prometheus,
  alertmanager: COMPONENT_PORTS.alertmanager,
  nodeExporter: COMPONENT_PORTS.nodeExporter,
  postgresExporter: COMPONENT_PORTS.postgresExporter,
  victoriaMetrics: COMPONENT_PORTS.victoriaMetrics,
  pushgateway: COMPONENT_PORTS.pushgateway,
  postgres: 55432,
  grafana: 3000,
  marketData: SERVICE_PORTS['market-data'],
  gateway: SERVICE_PORTS.gateway,
  strategyEngine: SERVICE_PORTS['strategy-engine'],
});

/** Command-line flag and environment variable of each port, e.g. `--prometheus-port`, `MONITORING_PROMETHEUS_PORT`. */
export const PORT_SETTINGS: Readonly<Record<PortName, { readonly flag: string; readonly env: string }>> = Object.freeze(
  Object.fromEntries(
    (Object.keys(DEFAULT_PORTS) as PortName[]).map((name) => {
      const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      return [name, { flag: `${kebab}-port`, env: `MONITORING_${kebab.replace(/-/g, '_').toUpperCase()}_PORT` }];
    }),
  ) as Record<PortName, { flag: string; env: string }>,
);

/**
 * Ports from flags, then the environment, then the state of a running stack, then the defaults.
 *
 * @param flags - parsed `--<name>-port` values (strings)
 * @param env - the environment
 * @param running - ports recorded by `start`, if the stack runs
 * @returns the ports
 * @throws Error naming the flag or variable when a value is not a port number
 */
export function resolvePorts(
  flags: Readonly<Record<string, string | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
  running?: Partial<StackPorts>,
): StackPorts {
  const out: Record<string, number> = {};
  for (const name of Object.keys(DEFAULT_PORTS) as PortName[]) {
    const { flag, env: variable } = PORT_SETTINGS[name];
    const raw = flags[flag] ?? env[variable];
    const where = flags[flag] !== undefined ? `--${flag}` : variable;
    if (raw === undefined) {
      out[name] = running?.[name] ?? DEFAULT_PORTS[name];
      continue;
    }
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 1 || port > 65_535)
      throw new Error(`${where}: expected a port, got "${raw}"`);
    out[name] = port;
  }
  return out as unknown as StackPorts;
}

/** The folders and files under the project folder. */
export interface StackLayout {
  readonly root: string;
  /** Rendered prometheus.yml, rules and alertmanager.yml the processes run with. */
  readonly config: string;
  /** TSDB, Alertmanager state and the private PostgreSQL cluster. */
  readonly data: string;
  readonly logs: string;
  readonly pids: string;
  /** Backups survive `clean`. */
  readonly backups: string;
  /** JSON written by `start`: mode, ports, components. */
  readonly stateFile: string;
}

/**
 * The layout of a project folder (nothing is created).
 *
 * @param root - the project folder, e.g. {@link DEFAULT_STACK_DIR}
 * @returns its paths
 */
export function stackLayout(root: string = DEFAULT_STACK_DIR): StackLayout {
  const abs = resolve(root);
  return {
    root: abs,
    config: join(abs, 'config'),
    data: join(abs, 'data'),
    logs: join(abs, 'logs'),
    pids: join(abs, 'pids'),
    backups: join(abs, 'backups'),
    stateFile: join(abs, 'state.json'),
  };
}

/**
 * Creates the folders of a layout.
 *
 * @param layout - the layout
 */
export function ensureLayout(layout: StackLayout): void {
  for (const dir of [layout.config, layout.data, layout.logs, layout.pids]) mkdirSync(dir, { recursive: true });
}

/** What `start` records for `status`, `stop` and `reload`. */
export interface StackState {
  readonly mode: 'native' | 'docker';
  readonly ports: StackPorts;
  /** Names of the processes started (native), in start order. */
  readonly components: readonly string[];
  /** PostgreSQL URL the postgres-exporter reads (native), without a password. */
  readonly databaseUrl?: string;
  /** Receiver of the native Alertmanager, when not the default. */
  readonly webhookUrl?: string;
  /** Whether Prometheus runs with the admin API (TSDB snapshots). */
  readonly adminApi?: boolean;
  /** Whether Prometheus scrapes native histograms (`--native-histograms`). */
  readonly nativeHistograms?: boolean;
  /** Whether VictoriaMetrics runs as the long-term store (native; off with `--no-victoria-metrics`). */
  readonly victoriaMetrics?: boolean;
  readonly startedAt: string;
}

/**
 * Reads the state a running stack recorded.
 *
 * @param layout - the layout
 * @returns the state, or `undefined` when none was recorded
 */
export function readState(layout: StackLayout): StackState | undefined {
  if (!existsSync(layout.stateFile)) return undefined;
  return JSON.parse(readFileSync(layout.stateFile, 'utf8')) as StackState;
}

/**
 * Records the state of a started stack.
 *
 * @param layout - the layout
 * @param state - what was started
 */
export function writeState(layout: StackLayout, state: StackState): void {
  mkdirSync(layout.root, { recursive: true });
  writeFileSync(layout.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}
