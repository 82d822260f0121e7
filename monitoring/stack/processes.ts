import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { StackLayout } from './layout.js';

// Detached processes with PID files. A process is only ever signalled through the PID this module
// recorded when it started it, never found by name; before signalling, the recorded command is
// compared with /proc/<pid>/cmdline so a PID the kernel has since reused is left alone.

/** What to start. */
export interface ProcessSpec {
  /** Name of the PID and log files, e.g. `prometheus`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Extra environment on top of this process's. */
  readonly env?: Readonly<Record<string, string>>;
  /** Run as this user (PostgreSQL refuses to run as root). */
  readonly user?: { readonly uid: number; readonly gid: number };
}

/** A process this module started (or found recorded). */
export interface StartedProcess {
  readonly name: string;
  readonly pid: number;
  readonly log: string;
}

interface PidRecord {
  readonly pid: number;
  readonly command: string;
}

const pidFile = (layout: StackLayout, name: string): string => join(layout.pids, `${name}.pid`);

/**
 * The log file of a component.
 *
 * @param layout - the layout
 * @param name - the component
 * @returns its path
 */
export function logFile(layout: StackLayout, name: string): string {
  return join(layout.logs, `${name}.log`);
}

/**
 * Whether a PID names a live process (a zombie, exited but not yet reaped, counts as gone).
 *
 * @param pid - the PID
 * @returns true when it runs
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): kill(0) is all we know
  }
}

// True when the PID still runs the recorded command: guards against a reused PID after a reboot.
function runsCommand(pid: number, command: string): boolean {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return basename(argv0) === basename(command) || argv0.startsWith(`${basename(command)}:`);
  } catch {
    return true;
  }
}

function readRecord(layout: StackLayout, name: string): PidRecord | undefined {
  const file = pidFile(layout, name);
  if (!existsSync(file)) return undefined;
  const [pid, command] = readFileSync(file, 'utf8').trim().split('\n');
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 ? { pid: n, command: command ?? '' } : undefined;
}

/**
 * The PID of a component started by this module, if it still runs.
 *
 * @param layout - the layout
 * @param name - the component
 * @returns its PID, or `undefined` when it is not running
 */
export function runningPid(layout: StackLayout, name: string): number | undefined {
  const record = readRecord(layout, name);
  if (record === undefined) return undefined;
  return isAlive(record.pid) && runsCommand(record.pid, record.command) ? record.pid : undefined;
}

/**
 * Starts a process detached from this one (it outlives the CLI), with stdout and stderr appended to
 * `logs/<name>.log`, and records its PID in `pids/<name>.pid`.
 *
 * @param layout - the layout (folders must exist)
 * @param spec - what to start
 * @returns the started process
 * @throws Error when the command cannot be started or the component already runs
 */
export async function startProcess(layout: StackLayout, spec: ProcessSpec): Promise<StartedProcess> {
  const already = runningPid(layout, spec.name);
  if (already !== undefined) throw new Error(`${spec.name} already runs (pid ${already})`);
  const log = logFile(layout, spec.name);
  const fd = openSync(log, 'a');
  try {
    const child = spawn(spec.command, [...spec.args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...spec.env },
      ...(spec.user === undefined ? {} : { uid: spec.user.uid, gid: spec.user.gid }),
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`${spec.name}: cannot start ${spec.command}: ${error.message}`)));
      child.once('spawn', () => resolve(child.pid as number));
    });
    child.unref();
    writeFileSync(pidFile(layout, spec.name), `${pid}\n${spec.command}\n`);
    return { name: spec.name, pid, log };
  } finally {
    closeSync(fd);
  }
}

/** How a process was stopped. */
export interface StopResult {
  readonly name: string;
  readonly pid?: number;
  /** `stopped` (exited after the signal), `killed` (needed SIGKILL), `not running`. */
  readonly outcome: 'stopped' | 'killed' | 'not running';
}

/**
 * Stops a component by its recorded PID: `signal` (default SIGTERM), then SIGKILL after `graceMs`.
 * Removes the PID file.
 *
 * @param layout - the layout
 * @param name - the component
 * @param options - signal (PostgreSQL wants SIGINT for a fast shutdown) and grace period
 * @returns what happened
 */
export async function stopProcess(
  layout: StackLayout,
  name: string,
  options: { readonly signal?: NodeJS.Signals; readonly graceMs?: number } = {},
): Promise<StopResult> {
  const pid = runningPid(layout, name);
  rmSync(pidFile(layout, name), { force: true });
  if (pid === undefined) return { name, outcome: 'not running' };
  signal(pid, options.signal ?? 'SIGTERM');
  if (await waitForExit(pid, options.graceMs ?? 10_000)) return { name, pid, outcome: 'stopped' };
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 5_000);
  return { name, pid, outcome: 'killed' };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await delay(50);
  }
  return true;
}

/**
 * The last lines of a component's log, for error messages.
 *
 * @param layout - the layout
 * @param name - the component
 * @param lines - how many
 * @returns the lines joined, or '' when there is no log
 */
export function logTail(layout: StackLayout, name: string, lines = 20): string {
  const file = logFile(layout, name);
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Waits until `probe` returns true.
 *
 * @param probe - the condition (a throw counts as false)
 * @param what - named in the timeout error
 * @param timeoutMs - overall limit
 * @param intervalMs - pause between tries
 * @throws Error after `timeoutMs`
 */
export async function waitUntil(
  probe: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (
      await Promise.resolve()
        .then(probe)
        .catch(() => false)
    )
      return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @param ms - the pause
 * @returns a promise
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
