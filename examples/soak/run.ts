import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_ENV } from '../pipeline/demo-env.js';
import { type RunningService, startService, stopServices } from '../pipeline/process-tree.js';
import { type ExtraEnv, freePipelinePorts, pipelineSpecs, processName, SERVICE_NAMES } from '../pipeline/specs.js';
import { VENUES } from '../shared/protocol.js';
import { type ProcessTarget, type Sample, type StoreTarget, takeSample } from './sampler.js';

// Runs the pipeline under the demo's load for a while and samples it: the process tree of
// `npm run demo` (pipeline/specs.ts, on free ports so it can run next to a demo), each market-data
// process with its own tick store and spool under the soak's own folder, then one sample every few
// seconds until the time is up or the caller aborts. Every process it started is stopped by its PID
// on the way out, whatever the way out is.

/** How the soak runs. */
export interface SoakSettings {
  /** How long to sample, minutes (fractions allowed). */
  readonly minutes: number;
  /** The exchange's EXCHANGE_TICK_MS: one message per symbol and venue every this many ms. */
  readonly tickMs: number;
  /** Seconds between samples. */
  readonly sampleSeconds: number;
  /** Samples before this are left out of the trends, minutes. */
  readonly warmupMinutes: number;
  /** The soak's own folder: each market-data process's tick store and spool go under it. */
  readonly dataDir: string;
}

/** What the soak saw. */
export interface SoakResult {
  readonly settings: SoakSettings;
  /** The environment given to the services on top of their defaults (demo settings, tick rate, extra). */
  readonly env: ExtraEnv;
  readonly samples: readonly Sample[];
  /** Wall-clock start of sampling. */
  readonly startedAt: Date;
  /** How each process exited when stopped. */
  readonly exits: readonly { name: string; code: number | null; signal: string | null }[];
}

/** Options of {@link runSoak} beyond the settings. */
export interface RunOptions {
  /** More environment per role or process (e.g. retention limits); wins over the demo's settings. */
  readonly extraEnv?: ExtraEnv;
  /** Where the services' output lines go; default: dropped (the soak prints its own progress). */
  readonly onLine?: (service: string, line: string) => void;
  /** Called after each sample (progress). */
  readonly onSample?: (sample: Sample) => void;
  /** Aborting ends the sampling early (Ctrl-C); the samples so far are returned. */
  readonly signal?: AbortSignal;
}

/**
 * Starts the pipeline, samples it for `settings.minutes`, stops every process it started.
 *
 * @param settings - duration, tick rate, sampling interval, warm-up and folder
 * @param options - extra environment, output, progress, abort
 * @returns the samples and how the processes exited
 * @throws Error when a process does not start or stops on its own during the soak (after stopping the rest)
 */
export async function runSoak(settings: SoakSettings, options: RunOptions = {}): Promise<SoakResult> {
  const ports = await freePipelinePorts();
  const env = soakEnv(settings, options.extraEnv ?? {});
  const specs = pipelineSpecs(ports, env);
  const stores: StoreTarget[] = [];
  for (const spec of specs) {
    const dataDir = spec.env.DB_DATA_DIR;
    if (dataDir !== undefined) stores.push({ name: spec.name, dataDir });
  }
  for (const dir of Object.values(env).flatMap((e) => [e?.DB_DATA_DIR, e?.MD_SPOOL_DIR])) {
    if (dir !== undefined) mkdirSync(dir, { recursive: true });
  }

  const started: RunningService[] = [];
  let stopping = false;
  let died: ((error: Error) => void) | undefined;
  const death = new Promise<never>((_, reject) => {
    died = reject;
  });
  death.catch(() => undefined);
  const onLine = options.onLine ?? (() => {});
  const samples: Sample[] = [];
  try {
    for (const spec of specs) {
      const service = await startService(spec, { onLine, readyTimeoutMs: 60_000 });
      started.push(service);
      service.child.on('exit', (code, signal) => {
        if (!stopping) died?.(new Error(`soak: ${spec.name} stopped on its own (${code ?? signal}) during the soak`));
      });
    }
    const targets: ProcessTarget[] = started.map((s) => ({
      name: s.spec.name,
      pid: s.child.pid as number,
      // The exchange's URL is its HTTP API: it has no /metrics.
      metricsUrl: s.spec.name === 'exchange' ? undefined : s.url,
    }));
    const startedAt = new Date();
    const t0 = Date.now();
    const endMs = settings.minutes * 60_000;
    const everyMs = settings.sampleSeconds * 1_000;
    for (let k = 0; k * everyMs <= endMs; k++) {
      // Sample on a fixed grid from the start, so a slow sample does not shift the ones after it.
      const wait = t0 + k * everyMs - Date.now();
      try {
        if (wait > 0) await Promise.race([delay(wait, options.signal), death]);
        if (options.signal?.aborted === true) break;
        samples.push(await Promise.race([takeSample(targets, stores, Date.now() - t0), death]));
      } catch (error) {
        // Ctrl-C reaches the services too (one process group): one may exit before the abort is seen.
        if (options.signal?.aborted === true) break;
        throw error;
      }
      const sample = samples.at(-1) as Sample;
      options.onSample?.(sample);
    }
    stopping = true;
    const exits = await stopServices([...started].reverse());
    return { settings, env, samples, startedAt, exits };
  } finally {
    stopping = true;
    // On an error or abort: whatever is still running is stopped here (a no-op after a clean stop).
    await stopServices([...started].reverse());
  }
}

/**
 * The environment the soak gives the services: the demo's settings (unless set in the soak's own
 * environment, as in `npm run demo`), the exchange's tick rate, each market-data process's own
 * tick store and spool under the soak's folder, then `extra`.
 *
 * @param settings - the soak's settings
 * @param extra - more environment per role or process; wins
 * @returns the extra environment for {@link pipelineSpecs}
 */
export function soakEnv(settings: SoakSettings, extra: ExtraEnv): ExtraEnv {
  const demo: Record<string, string> = {};
  for (const [name, value] of Object.entries(DEMO_ENV)) demo[name] = process.env[name] ?? value;
  const out: Record<string, Record<string, string>> = {};
  const merge = (key: string, env: Readonly<Record<string, string>> | undefined) => {
    out[key] = { ...out[key], ...env };
  };
  for (const role of SERVICE_NAMES) merge(role, demo);
  merge('exchange', { EXCHANGE_TICK_MS: String(settings.tickMs) });
  for (const name of VENUES.map((venue) => processName('market-data', venue))) {
    merge(name, {
      DB_DATA_DIR: join(settings.dataDir, name, 'db'),
      MD_SPOOL_DIR: join(settings.dataDir, name, 'spool'),
    });
  }
  for (const [key, env] of Object.entries(extra)) merge(key, env);
  return out as ExtraEnv;
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
