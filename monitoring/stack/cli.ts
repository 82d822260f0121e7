// The monitoring stack runner: `npx tsx monitoring/stack/cli.ts <command>` or `make monitoring-<command>`.
// Drives Docker Compose where a Docker engine answers, and the native Debian stack otherwise.

import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backupNative } from './backup.js';
import { formatCheck, runStatusChecks } from './checks.js';
import { COMPOSE_FILE, compose, dockerAvailable } from './compose.js';
import {
  DEFAULT_PORTS,
  DEFAULT_STACK_DIR,
  PORT_SETTINGS,
  type PortName,
  readState,
  resolvePorts,
  type StackLayout,
  type StackPorts,
  stackLayout,
} from './layout.js';
import {
  NATIVE_COMPONENTS,
  NATIVE_HISTOGRAM_FLAG,
  startNativeStack,
  stopNativeStack,
  writeNativeConfig,
} from './native.js';
import { delay, logFile } from './processes.js';
import { validateConfigs } from './validate.js';

/** The original system's ten commands (docs/origin.md), in the order `help` lists them. */
export const COMMANDS = [
  ['start', 'start the stack (Docker Compose when a Docker engine answers, else the native stack)'],
  ['stop', 'stop the stack (native: each process by the PID recorded when it started)'],
  ['restart', 'stop, then start'],
  ['status', 'the 14 checks, each ok / FAIL / skipped (Grafana: only where it runs); exit 1 on a FAIL'],
  ['logs', 'show the logs: logs [component] [--lines N] [--follow]'],
  ['reload', 'make Prometheus and Alertmanager re-read their configuration (POST /-/reload)'],
  ['validate', 'promtool check config/rules, promtool test rules, amtool check-config on the committed files'],
  ['backup', 'tar.gz of config and data (a TSDB snapshot when the admin API is on, else a copy)'],
  ['clean', 'stop and delete the project folder (backups/ is kept)'],
  ['help', 'this text'],
] as const;

/** A command name. */
export type Command = (typeof COMMANDS)[number][0];

/** Where the CLI writes (tests capture it). */
export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const portOptions = Object.fromEntries(
  (Object.keys(DEFAULT_PORTS) as PortName[]).map((name) => [PORT_SETTINGS[name].flag, { type: 'string' as const }]),
);

const OPTIONS = {
  mode: { type: 'string' },
  dir: { type: 'string' },
  'webhook-url': { type: 'string' },
  'admin-api': { type: 'boolean' },
  'native-histograms': { type: 'boolean' },
  'victoria-metrics': { type: 'boolean' },
  lines: { type: 'string' },
  follow: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...portOptions,
} as const;

/**
 * The help text.
 *
 * @returns the lines
 */
export function helpText(): string {
  const ports = (Object.keys(DEFAULT_PORTS) as PortName[])
    .map((n) => {
      const flag = `  --${PORT_SETTINGS[n].flag} N`.padEnd(32);
      return `${flag}${PORT_SETTINGS[n].env} (default ${DEFAULT_PORTS[n]})`;
    })
    .join('\n');
  return [
    'usage: npx tsx monitoring/stack/cli.ts <command> [options]    (or: make monitoring-<command>)',
    '',
    'commands:',
    ...COMMANDS.map(([name, what]) => `  ${name.padEnd(10)}${what}`),
    '',
    'options:',
    '  --mode auto|docker|native     MONITORING_MODE (default auto: docker when `docker info` succeeds)',
    `  --dir DIR                     MONITORING_DIR, the native project folder (default ${relativeDir(DEFAULT_STACK_DIR)})`,
    '  --webhook-url URL             where the native Alertmanager posts notifications',
    '  --admin-api, --no-admin-api   Prometheus with --web.enable-admin-api, so backup takes a TSDB snapshot',
    '  --native-histograms, --no-native-histograms',
    `                                native stack: Prometheus with ${NATIVE_HISTOGRAM_FLAG};`,
    '                                the latency histograms are then stored in native form only (no',
    '                                _bucket/_count/_sum); rules and dashboard answer either way',
    '  --victoria-metrics, --no-victoria-metrics',
    "                                native stack: Debian's victoria-metrics as the long-term store",
    '                                Prometheus writes to (remote_write; default on)',
    '  --lines N, --follow           for logs',
    ports,
    '',
    'environment:',
    '  DATABASE_URL                  PostgreSQL the native postgres-exporter watches; default: a private',
    '                                cluster under <dir>/data/postgres (initdb, run as user postgres under root)',
    '',
    `Docker mode runs docker compose -f ${COMPOSE_FILE}. The native mode runs Debian's prometheus,`,
    'prometheus-alertmanager, prometheus-node-exporter, prometheus-postgres-exporter and victoria-metrics',
    '(the long-term store Prometheus writes to) on 127.0.0.1.',
  ].join('\n');
}

function relativeDir(dir: string): string {
  return dir.slice(dir.lastIndexOf('/') + 1);
}

class UsageError extends Error {
  override name = 'UsageError';
}

interface Context {
  readonly command: Command;
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly layout: StackLayout;
  readonly io: CliIo;
}

function stringFlags(values: Context['values']): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(values)) if (typeof v === 'string') out[k] = v;
  return out;
}

function ports(ctx: Context): StackPorts {
  return resolvePorts(stringFlags(ctx.values), ctx.io.env, readState(ctx.layout)?.ports);
}

async function mode(ctx: Context): Promise<'docker' | 'native'> {
  const wanted = (ctx.values['mode'] as string | undefined) ?? ctx.io.env['MONITORING_MODE'] ?? 'auto';
  if (wanted === 'native') return 'native';
  if (wanted === 'docker') {
    if (!(await dockerAvailable()))
      throw new Error('--mode docker, but no Docker engine answers (`docker info` fails)');
    return 'docker';
  }
  if (wanted !== 'auto') throw new UsageError(`--mode: expected auto, docker or native, got "${wanted}"`);
  // A stack started natively stays native even if an engine appears later.
  if (readState(ctx.layout)?.mode === 'native') return 'native';
  return (await dockerAvailable()) ? 'docker' : 'native';
}

async function start(ctx: Context): Promise<number> {
  const m = await mode(ctx);
  if (m === 'docker') return compose(['up', '-d']);
  const p = ports(ctx);
  // A restart keeps what the last start was told, unless a flag says otherwise.
  const previous = readState(ctx.layout);
  const webhookUrl = (ctx.values['webhook-url'] as string | undefined) ?? previous?.webhookUrl;
  const adminApi = (ctx.values['admin-api'] as boolean | undefined) ?? previous?.adminApi ?? false;
  const nativeHistograms =
    (ctx.values['native-histograms'] as boolean | undefined) ?? previous?.nativeHistograms ?? false;
  const victoriaMetrics =
    (ctx.values['victoria-metrics'] as boolean | undefined) ?? previous?.victoriaMetrics ?? previous === undefined;
  const databaseUrl = ctx.io.env['DATABASE_URL'];
  const stack = await startNativeStack({
    layout: ctx.layout,
    ports: p,
    ...(databaseUrl === undefined || databaseUrl === '' ? {} : { databaseUrl }),
    ...(webhookUrl === undefined ? {} : { webhookUrl }),
    ...(adminApi ? { adminApi: true } : {}),
    ...(nativeHistograms ? { nativeHistograms: true } : {}),
    ...(victoriaMetrics ? { victoriaMetricsPort: p.victoriaMetrics } : {}),
    log: ctx.io.out,
  });
  ctx.io.out(
    `native stack running: Prometheus ${stack.prometheusUrl}, Alertmanager ${stack.alertmanagerUrl}` +
      (stack.victoriaMetricsUrl === undefined ? '' : `, VictoriaMetrics ${stack.victoriaMetricsUrl}`),
  );
  ctx.io.out(`files under ${ctx.layout.root}; \`status\` checks it, \`stop\` stops it`);
  return 0;
}

async function stop(ctx: Context): Promise<number> {
  if ((await mode(ctx)) === 'docker') return compose(['down']);
  for (const r of await stopNativeStack(ctx.layout)) {
    if (r.outcome !== 'not running') ctx.io.out(`${r.name}: ${r.outcome} (pid ${r.pid})`);
  }
  ctx.io.out('native stack stopped');
  return 0;
}

async function status(ctx: Context): Promise<number> {
  const m = await mode(ctx);
  if (m === 'docker') await compose(['ps']);
  const results = await runStatusChecks({ mode: m, ports: ports(ctx), layout: ctx.layout });
  for (const r of results) ctx.io.out(formatCheck(r));
  const count = (s: string) => results.filter((r) => r.status === s).length;
  ctx.io.out(`${results.length} checks: ${count('ok')} ok, ${count('FAIL')} FAIL, ${count('skipped')} skipped`);
  return count('FAIL') > 0 ? 1 : 0;
}

async function logs(ctx: Context): Promise<number> {
  const lines = Number(ctx.values['lines'] ?? 50);
  if (!Number.isInteger(lines) || lines < 0)
    throw new UsageError(`--lines: expected a count, got "${ctx.values['lines']}"`);
  const which = ctx.positionals[0];
  if ((await mode(ctx)) === 'docker') {
    return compose([
      'logs',
      '--tail',
      String(lines),
      ...(ctx.values['follow'] === true ? ['-f'] : []),
      ...(which ? [which] : []),
    ]);
  }
  const names = which === undefined ? [...NATIVE_COMPONENTS] : [which];
  if (which !== undefined && !(NATIVE_COMPONENTS as readonly string[]).includes(which)) {
    throw new UsageError(`logs: unknown component "${which}"; one of ${NATIVE_COMPONENTS.join(', ')}`);
  }
  const files = names.map((n) => ({ name: n, file: logFile(ctx.layout, n) })).filter((f) => existsSync(f.file));
  if (files.length === 0) {
    ctx.io.err(`no logs under ${ctx.layout.logs}`);
    return 1;
  }
  const offsets = new Map<string, number>();
  for (const { name, file } of files) {
    const text = readFileSync(file, 'utf8');
    offsets.set(file, Buffer.byteLength(text));
    ctx.io.out(`==> ${name} (${file}) <==`);
    for (const line of text.trimEnd().split('\n').slice(-lines)) ctx.io.out(line);
  }
  if (ctx.values['follow'] !== true) return 0;
  // Follow until interrupted: poll each file for bytes past what was printed.
  for (;;) {
    await delay(500);
    for (const { name, file } of files) {
      const size = statSync(file).size;
      const from = offsets.get(file) ?? 0;
      if (size <= from) continue;
      const chunk = readFileSync(file).subarray(from, size).toString('utf8');
      offsets.set(file, size);
      for (const line of chunk.trimEnd().split('\n')) ctx.io.out(`[${name}] ${line}`);
    }
  }
}

async function reload(ctx: Context): Promise<number> {
  const m = await mode(ctx);
  const p = ports(ctx);
  if (m === 'native') {
    const state = readState(ctx.layout);
    // Re-render from the committed files, so a regenerated configuration is what gets loaded.
    writeNativeConfig({
      layout: ctx.layout,
      ports: p,
      ...(state?.webhookUrl === undefined ? {} : { webhookUrl: state.webhookUrl }),
    });
  }
  let failed = 0;
  for (const [name, port] of [
    ['Prometheus', p.prometheus],
    ['Alertmanager', p.alertmanager],
  ] as const) {
    const url = `http://127.0.0.1:${port}/-/reload`;
    try {
      const response = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      const body = (await response.text()).trim();
      if (response.ok) ctx.io.out(`${name}: reloaded`);
      else {
        failed++;
        ctx.io.err(`${name}: ${url} answered ${response.status} ${body}`);
      }
    } catch (error) {
      failed++;
      ctx.io.err(
        `${name}: ${url}: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`,
      );
    }
  }
  return failed > 0 ? 1 : 0;
}

async function validate(ctx: Context): Promise<number> {
  const steps = await validateConfigs();
  for (const step of steps) {
    ctx.io.out(`${step.ok ? 'ok  ' : 'FAIL'} ${step.command}`);
    if (!step.ok) for (const line of step.output.split('\n')) ctx.io.out(`     ${line}`);
  }
  const failed = steps.filter((s) => !s.ok).length;
  ctx.io.out(`${steps.length} validations: ${steps.length - failed} ok, ${failed} FAIL`);
  return failed > 0 ? 1 : 0;
}

async function backup(ctx: Context): Promise<number> {
  const m = await mode(ctx);
  if (m === 'docker') {
    ctx.io.err(
      'backup in Docker mode: run `docker compose -f docker/docker-compose.yml run --rm -v "$PWD:/backup" ...`',
    );
    ctx.io.err('against the named volumes; see docs/MONITORING.md. This runner backs up the native stack.');
    return 1;
  }
  const result = await backupNative(ctx.layout, `http://127.0.0.1:${ports(ctx).prometheus}`);
  ctx.io.out(`wrote ${result.archive} (${result.method}: ${result.contents.join(', ')})`);
  if (result.method === 'copy') {
    ctx.io.out('the TSDB was copied, not snapshotted: start with --admin-api for a consistent snapshot');
  }
  return 0;
}

async function clean(ctx: Context): Promise<number> {
  if ((await mode(ctx)) === 'docker') return compose(['down', '-v']);
  await stop(ctx);
  if (!existsSync(ctx.layout.root)) {
    ctx.io.out(`nothing to clean: ${ctx.layout.root} does not exist`);
    return 0;
  }
  for (const entry of readdirSync(ctx.layout.root)) {
    if (entry === 'backups') continue;
    rmSync(join(ctx.layout.root, entry), { recursive: true, force: true });
  }
  const kept = existsSync(ctx.layout.backups) ? ` (kept ${ctx.layout.backups})` : '';
  if (kept === '') rmSync(ctx.layout.root, { recursive: true, force: true });
  ctx.io.out(`deleted ${ctx.layout.root}${kept}`);
  return 0;
}

const HANDLERS: Readonly<Record<Command, (ctx: Context) => Promise<number>>> = {
  start,
  stop,
  restart: async (ctx) => {
    const stopped = await stop(ctx);
    return stopped === 0 ? start(ctx) : stopped;
  },
  status,
  logs,
  reload,
  validate,
  backup,
  clean,
  help: async (ctx) => {
    ctx.io.out(helpText());
    return 0;
  },
};

/**
 * Runs one CLI invocation.
 *
 * @param argv - arguments after the script name, e.g. `['status', '--prometheus-port', '9091']`
 * @param io - output sinks and the environment
 * @returns the exit code: 0 success, 1 failure, 2 usage error
 * @example
 * ```ts
 * const code = await runCli(['status'], { out: console.log, err: console.error, env: process.env });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let ctx: Context;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      allowNegative: true,
      strict: true,
    });
    const [name = 'help', ...rest] = positionals;
    const command = values.help === true ? 'help' : name;
    if (!COMMANDS.some(([c]) => c === command)) throw new UsageError(`unknown command "${command}"`);
    const dir = values.dir ?? io.env['MONITORING_DIR'] ?? DEFAULT_STACK_DIR;
    ctx = { command: command as Command, positionals: rest, values, layout: stackLayout(dir), io };
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${helpText()}`);
    return 2;
  }
  try {
    return await HANDLERS[ctx.command](ctx);
  } catch (error) {
    io.err(`${ctx.command}: ${(error as Error).message}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

// Run only as a program (tsx cli.ts), not when a test imports runCli.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  const code = await runCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
  });
  process.exitCode = code;
}
