import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// The Debian programs the native stack runs, how to find them, and how to run one to completion.

/** A program of the native stack. */
export type StackTool =
  | 'prometheus'
  | 'promtool'
  | 'prometheus-alertmanager'
  | 'amtool'
  | 'prometheus-node-exporter'
  | 'prometheus-postgres-exporter'
  | 'victoria-metrics'
  | 'prometheus-pushgateway'
  | 'postgres';

/** The Debian package of each program, for the "install" hint. */
export const DEBIAN_PACKAGES: Readonly<Record<StackTool, string>> = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  amtool: 'prometheus-alertmanager',
  'prometheus-node-exporter': 'prometheus-node-exporter',
  'prometheus-postgres-exporter': 'prometheus-postgres-exporter',
  'victoria-metrics': 'victoria-metrics',
  'prometheus-pushgateway': 'prometheus-pushgateway',
  postgres: 'postgresql',
};

/**
 * The folder of PostgreSQL's server binaries (Debian: /usr/lib/postgresql/<version>/bin, newest first).
 *
 * @returns the folder, or `undefined` when no server is installed
 */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'postgres'))) return join(root, v, 'bin');
  return undefined;
}

const found = new Map<StackTool, boolean>();

/**
 * Whether a program can be run here (probed once per process).
 *
 * @param tool - the program
 * @returns true when it runs
 */
export function hasStackTool(tool: StackTool): boolean {
  let ok = found.get(tool);
  if (ok === undefined) {
    ok =
      tool === 'postgres'
        ? postgresBinDir() !== undefined
        : spawnSync(tool, ['--version'], { timeout: 10_000, stdio: 'ignore' }).status === 0;
    found.set(tool, ok);
  }
  return ok;
}

/**
 * The programs of a list that are missing.
 *
 * @param tools - programs needed
 * @returns the missing ones
 */
export function missingTools(tools: readonly StackTool[]): StackTool[] {
  return tools.filter((tool) => !hasStackTool(tool));
}

/**
 * The apt-get line that installs the packages of some programs.
 *
 * @param tools - programs
 * @returns e.g. `apt-get install -y prometheus postgresql`
 */
export function installHint(tools: readonly StackTool[]): string {
  return `apt-get install -y ${[...new Set(tools.map((t) => DEBIAN_PACKAGES[t]))].join(' ')}`;
}

/**
 * The uid and gid of the `postgres` user when this process runs as root (PostgreSQL refuses root).
 *
 * @returns the ids, or `undefined` when not root (or no such user)
 */
export function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    };
  } catch {
    return undefined;
  }
}

/** Exit status and output of a finished command. */
export interface RunResult {
  /** Exit code, or `null` when a signal ended it (or it could not start). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion (killed by its PID after `timeoutMs`). A command that cannot start
 * resolves with code `null` and the error in `stderr`.
 *
 * @param command - executable
 * @param args - arguments
 * @param options - timeout, environment, a user to run as
 * @returns exit code and output
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: {
    readonly timeoutMs?: number;
    readonly env?: Readonly<Record<string, string>>;
    readonly user?: { uid: number; gid: number };
    readonly cwd?: string;
  } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.user ?? {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout: '', stderr: `${command}: ${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}
