import { once } from 'node:events';
import type { Exposition, Sample } from '@ttquant/test-kit';
import { readTickCounts } from '../market-data/buffer-metrics.js';
import type { TickCounts } from '../market-data/tick-store.js';
import { type RunningService, type ServiceSpec, type StartOptions, startService } from './process-tree.js';

// The parts of the fault tour (fault-tour.test.ts): the pipeline's processes with their lives (each
// start of a service is one life, ended by a kill or a stop), a watch that scrapes /metrics and
// checks that no counter goes backwards within a life, and the tick counts of one scrape.

/** One process life of a service: from its start to its kill or stop. */
export interface Life {
  /** 0 for the first start of the service, then 1, 2, … */
  readonly index: number;
  readonly service: RunningService;
  readonly pid: number;
  /** Wall clock (ms) just before the process was spawned. */
  readonly startedAt: number;
  /** Wall clock (ms) once it had exited; undefined while it runs. */
  endedAt: number | undefined;
  /** How it ended. */
  end: 'running' | 'killed' | 'stopped';
  /** Exit code of a stop (null when it had to be killed). */
  exitCode: number | null;
}

/** The pipeline's processes, started, killed and restarted by name; each start is a new {@link Life}. */
export class ServiceLives {
  readonly #specs: ReadonlyMap<string, ServiceSpec>;
  readonly #options: StartOptions;
  readonly #lives = new Map<string, Life[]>();

  /**
   * @param specs - the services (see `pipelineSpecs`)
   * @param options - where their output lines go, ready timeout
   */
  constructor(specs: readonly ServiceSpec[], options: StartOptions = {}) {
    this.#specs = new Map(specs.map((s) => [s.name, s]));
    this.#options = options;
  }

  /**
   * Starts a service (again) and waits for its ready line.
   *
   * @param name - the service
   * @returns its new life
   */
  async start(name: string): Promise<Life> {
    const spec = this.#specs.get(name);
    if (spec === undefined) throw new Error(`no service ${name}`);
    const lives = this.#lives.get(name) ?? [];
    this.#lives.set(name, lives);
    const startedAt = Date.now();
    const service = await startService(spec, this.#options);
    const life: Life = {
      index: lives.length,
      service,
      pid: service.child.pid as number,
      startedAt,
      endedAt: undefined,
      end: 'running',
      exitCode: null,
    };
    lives.push(life);
    return life;
  }

  /**
   * The life that runs now.
   *
   * @param name - the service
   * @returns it, or undefined while the service is down
   */
  current(name: string): Life | undefined {
    const life = this.#lives.get(name)?.at(-1);
    return life?.end === 'running' ? life : undefined;
  }

  /**
   * Every life of a service so far.
   *
   * @param name - the service
   * @returns its lives, oldest first
   */
  lives(name: string): readonly Life[] {
    return this.#lives.get(name) ?? [];
  }

  /**
   * Kills the running process of a service with SIGKILL (by PID) and waits for it to exit.
   *
   * @param name - the service
   * @returns the life that ended
   */
  async kill(name: string): Promise<Life> {
    const life = this.#running(name);
    // Marked first: from here on, nothing scraped is credited to this life.
    life.end = 'killed';
    const exited = once(life.service.child, 'exit');
    life.service.child.kill('SIGKILL');
    await exited;
    life.endedAt = Date.now();
    return life;
  }

  /**
   * Stops a service with SIGTERM (SIGKILL after `graceMs`) and waits for it to exit.
   *
   * @param name - the service
   * @param graceMs - time allowed for a clean stop
   * @returns the exit code (null when it had to be killed)
   */
  async stop(name: string, graceMs = 15_000): Promise<number | null> {
    const life = this.#running(name);
    const { child } = life.service;
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const [code] = await exited;
    clearTimeout(timer);
    life.end = 'stopped';
    life.endedAt = Date.now();
    life.exitCode = code;
    return code;
  }

  /** SIGKILLs (by PID) every process still running; for `finally`. */
  killAll(): void {
    for (const lives of this.#lives.values()) {
      for (const life of lives) {
        const { child } = life.service;
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        if (life.end === 'running') life.end = 'killed';
      }
    }
  }

  #running(name: string): Life {
    const life = this.current(name);
    if (life === undefined) throw new Error(`${name} is not running`);
    return life;
  }
}

/**
 * Whether a sample must never decrease: a counter's value, or a histogram's `_bucket` or `_count`.
 * Decided by the declared type, never by the name: `strategy_pnl_total` is a gauge.
 *
 * @param name - the sample name
 * @param types - the exposition's declared types
 * @returns true for a monotonic sample
 */
export function isMonotonic(name: string, types: ReadonlyMap<string, string>): boolean {
  const type = types.get(name);
  if (type === 'counter') return true;
  if (type !== undefined) return false;
  // prom-client declares a counter by its base name and writes samples with _total.
  if (name.endsWith('_total') && types.get(name.slice(0, -'_total'.length)) === 'counter') return true;
  for (const suffix of ['_bucket', '_count'] as const) {
    if (!name.endsWith(suffix)) continue;
    const family = types.get(name.slice(0, -suffix.length));
    if (family === 'histogram' || family === 'summary') return true;
  }
  return false;
}

function seriesKey(sample: Sample): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((k) => `${k}="${sample.labels[k]}"`)
    .join(',');
  return `${sample.name}{${labels}}`;
}

/** What the watch knows of one life. */
interface LifeRecord {
  readonly last: Map<string, number>;
  scrapes: number;
  startTime: number | undefined;
}

/**
 * Checks every scrape of every life: no counter or histogram bucket/count goes down, and no such
 * series disappears, within one process life (a new life starts from zero, as Prometheus expects).
 */
export class CounterWatch {
  readonly #lives = new Map<string, LifeRecord>();
  /** Every breach found, as `service#life series: before -> after`. */
  readonly violations: string[] = [];
  /** Monotonic samples compared with their previous value. */
  comparisons = 0;

  /**
   * Checks one scrape against the previous one of the same life, and keeps it.
   *
   * @param service - the service
   * @param life - its life index
   * @param exposition - the parsed body
   */
  record(service: string, life: number, exposition: Exposition): void {
    const id = `${service}#${life}`;
    let record = this.#lives.get(id);
    if (record === undefined) {
      record = { last: new Map(), scrapes: 0, startTime: undefined };
      this.#lives.set(id, record);
    }
    record.scrapes++;
    const seen = new Set<string>();
    for (const sample of exposition.samples) {
      if (sample.name === 'process_start_time_seconds') {
        // One life is one process: its start time never changes.
        if (record.startTime !== undefined && record.startTime !== sample.value) {
          this.violations.push(`${id} process_start_time_seconds: ${record.startTime} -> ${sample.value}`);
        }
        record.startTime = sample.value;
      }
      if (!isMonotonic(sample.name, exposition.types)) continue;
      const key = seriesKey(sample);
      seen.add(key);
      const before = record.last.get(key);
      if (before !== undefined) {
        this.comparisons++;
        if (!(sample.value >= before)) this.violations.push(`${id} ${key}: ${before} -> ${sample.value}`);
      }
      record.last.set(key, sample.value);
    }
    for (const key of record.last.keys()) {
      if (!seen.has(key)) this.violations.push(`${id} ${key}: disappeared`);
    }
  }

  /**
   * Scrapes recorded for a life.
   *
   * @param service - the service
   * @param life - its life index
   * @returns the count
   */
  scrapes(service: string, life: number): number {
    return this.#lives.get(`${service}#${life}`)?.scrapes ?? 0;
  }

  /** Scrapes recorded in all. */
  get totalScrapes(): number {
    let n = 0;
    for (const r of this.#lives.values()) n += r.scrapes;
    return n;
  }

  /** Lives seen (service#index). */
  get livesSeen(): number {
    return this.#lives.size;
  }
}

/**
 * Reads the tick counts from one market-data scrape ({@link readTickCounts}).
 *
 * @param scrape - the scrape, read by the test kit's `readExposition`
 * @returns the sums over venues
 */
export function tickCounts(scrape: Exposition): TickCounts {
  return readTickCounts((metric, labels) => scrape.sum(metric, labels));
}
