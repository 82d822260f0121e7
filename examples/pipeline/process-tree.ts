import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { SERVICE_NODE_FLAGS } from '../shared/node-flags.js';

/** One service of the pipeline, started as a child process. */
export interface ServiceSpec {
  /** Short name, prefixed to its output lines. */
  readonly name: string;
  /** The service's entry point (a .ts file, run with tsx). */
  readonly entry: string;
  /** Extra environment on top of the parent's. */
  readonly env: Readonly<Record<string, string>>;
  /** A line the service prints once it is ready; group 1 is its URL. */
  readonly ready: RegExp;
}

/** A started service. */
export interface RunningService {
  readonly spec: ServiceSpec;
  readonly child: ChildProcess;
  /** What the ready line captured (a URL). */
  readonly url: string;
}

/** Options of {@link startService}. */
export interface StartOptions {
  /** Where each output line goes; default: the parent's stdout, prefixed with the service name. */
  readonly onLine?: (service: string, line: string) => void;
  /** How long to wait for the ready line. */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts one service as a child process of this one (same Node binary, tsx loader) and resolves
 * when it prints its ready line. Rejects, after killing the child, when it exits or stays silent.
 */
export async function startService(spec: ServiceSpec, options: StartOptions = {}): Promise<RunningService> {
  const onLine = options.onLine ?? ((service, line) => process.stdout.write(`[${service}] ${line}\n`));
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, '--import', 'tsx', spec.entry], {
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let resolveReady: (url: string) => void = () => {};
  const ready = new Promise<string>((resolve) => {
    resolveReady = resolve;
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on('line', (line) => {
      onLine(spec.name, line);
      const match = spec.ready.exec(line);
      if (match !== null) resolveReady(match[1] ?? '');
    });
  }
  const exited = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`${spec.name} exited before it was ready (code ${String(code)}, signal ${String(signal)})`);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${spec.name} was not ready within ${options.readyTimeoutMs ?? 30_000} ms`)),
      options.readyTimeoutMs ?? 30_000,
    );
  });
  try {
    const url = await Promise.race([ready, exited, timeout]);
    return { spec, child, url };
  } catch (error) {
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
    exited.catch(() => undefined);
  }
}

/**
 * Stops services in the given order: SIGTERM by PID, then SIGKILL after `graceMs`. Resolves with
 * each service's exit code (null when it had to be killed).
 */
export async function stopServices(
  services: readonly RunningService[],
  graceMs = 10_000,
): Promise<{ name: string; code: number | null; signal: string | null }[]> {
  const results: { name: string; code: number | null; signal: string | null }[] = [];
  for (const { spec, child } of services) {
    if (child.exitCode !== null || child.signalCode !== null) {
      results.push({ name: spec.name, code: child.exitCode, signal: child.signalCode });
      continue;
    }
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const [code, signal] = await exited;
    clearTimeout(timer);
    results.push({ name: spec.name, code, signal });
  }
  return results;
}
