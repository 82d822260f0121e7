// Test helpers for monitoring/: paths, the Alertmanager tools' skip/fail gate, and servers started
// by PID. Promtool and Prometheus use the SDK's describeWithTools; amtool and Alertmanager are not
// among its tools, so describeWithAlertmanager applies the same rule to them.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { freePort, pollUntil } from '../../../packages/metrics-sdk/test/helpers/tools.js';

export { describeWithTools, freePort, pollUntil, run } from '../../../packages/metrics-sdk/test/helpers/tools.js';

/** Absolute path of monitoring/. */
export const MONITORING = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Absolute path of the repository root. */
export const REPO = join(MONITORING, '..');

/** Absolute path of a file under monitoring/. */
export function monitoringPath(...parts: string[]): string {
  return join(MONITORING, ...parts);
}

/** Tools from Debian's prometheus-alertmanager package. */
export type AlertmanagerTool = 'amtool' | 'prometheus-alertmanager';

const available = new Map<AlertmanagerTool, boolean>();

function hasAlertmanagerTool(tool: AlertmanagerTool): boolean {
  let ok = available.get(tool);
  if (ok === undefined) {
    ok = spawnSync(tool, ['--version'], { timeout: 10_000 }).status === 0;
    available.set(tool, ok);
  }
  return ok;
}

/**
 * A `describe` that needs amtool or Alertmanager, with the SDK's describeWithTools semantics: on CI
 * (env `CI` set) a missing tool is one failing test naming the package; locally the block is skipped
 * and its title says so.
 *
 * @param title - the describe title
 * @param tools - the tools the block needs
 * @param body - the describe body; not run when a tool is missing
 */
export function describeWithAlertmanager(title: string, tools: readonly AlertmanagerTool[], body: () => void): void {
  const missing = tools.filter((tool) => !hasAlertmanagerTool(tool));
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const names = missing.join(', ');
  if (process.env['CI']) {
    describe(title, () => {
      it(`requires ${names}`, () => {
        throw new Error(
          `${names} not installed; on CI every check must run. Install: apt-get install -y prometheus-alertmanager`,
        );
      });
    });
    return;
  }
  describe.skip(`${title} (skipped: ${names} not installed)`, body);
}

/** A server process started by {@link startServer}. */
export interface Server {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly pid: number;
  /** The last lines it logged. */
  log(): string;
  /** Stops it by PID (SIGTERM, SIGKILL after 10 s) and removes its temporary folder. */
  stop(): Promise<void>;
}

/**
 * Starts a server on a free 127.0.0.1 port with a fresh temporary folder, and waits for `readyPath`
 * to answer 200. The caller must `stop()` it, pass or fail.
 *
 * @param command - executable
 * @param args - builds the arguments from the port and the temporary folder
 * @param readyPath - e.g. `/-/ready`
 * @returns the running server
 */
export async function startServer(
  command: string,
  args: (port: number, dir: string) => readonly string[],
  readyPath = '/-/ready',
): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'ttquant-mon-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(command, args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  let logTail = '';
  const keep = (chunk: Buffer): void => {
    logTail = (logTail + chunk.toString('utf8')).slice(-8_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (error) => {
      logTail += `\nspawn error: ${error.message}`;
      exited = true;
      resolve();
    });
  });
  const pid = child.pid ?? -1;
  const stop = async (): Promise<void> => {
    try {
      if (!exited && pid > 0) {
        signal(pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exit, new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)))]);
        clearTimeout(timer);
        if (!exited) {
          signal(pid, 'SIGKILL');
          await exit;
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await pollUntil(
      async () => {
        if (exited) throw new Error(`${command} exited`);
        const response = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(2_000) }).catch(
          () => undefined,
        );
        return response?.ok ? true : undefined;
      },
      `${command} ${readyPath}`,
      30_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${command} did not become ready: ${String(error)}\n${logTail}`);
  }
  return { url, pid, log: () => logTail, stop };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
