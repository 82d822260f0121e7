import v8 from 'node:v8';
import { type CatalogOptions, catalog } from '../define/catalog.js';
import { closed, open } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { expectKeys, expectObject, expectPositiveInteger, toDefinitionError } from '../define/option-checks.js';
import type { CounterHandle } from '../storage/handles.js';
import { countActiveHandles, countActiveRequests, countActiveResources } from './active-resources.js';
import { GaugeSlot, KeyedGauges } from './collected-series.js';
import { EventLoopRecorder } from './event-loop.js';
import { GC_KINDS, GcRecorder } from './gc.js';
import { countOpenFds, processStartSeconds, readMaxFds, readProcStatus, readResidentMemory } from './process-stats.js';

// Names, HELP texts, kinds, label names and GC buckets are prom-client 15.1.3's (lib/metrics/*.js,
// Linux variant), so dashboards built on prom-client's default metrics keep working; the parity
// test (test/parity/runtime-prom-client.test.ts) compares the two expositions in one process.
// Units are OpenTelemetry's (`s`, `By`, `1`); they reach only an OTel exporter asked for them.

// Open-label budgets. Handle and request types are JavaScript class names and resource types
// libuv wrapper names: about twenty exist in Node 24, user subclasses add a few. V8 24 has 13 heap
// spaces. The version labels have one value per process.
const TYPE_BUDGET = 32;
const SPACE_BUDGET = 32;
const type = open({ budget: TYPE_BUDGET });
const space = open({ budget: SPACE_BUDGET });
const versionPart = open({ budget: 1 });

/**
 * Declarations of the Node.js runtime metrics: the names, kinds and labels of prom-client 15's
 * `collectDefaultMetrics` on Linux, less the three gauges named like counters (see
 * `OMITTED_RUNTIME_METRICS`).
 */
export const runtimeDefinitions = {
  cpuUser: counter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', {}, { unit: 's' }),
  cpuSystem: counter('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', {}, { unit: 's' }),
  cpuTotal: counter('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', {}, { unit: 's' }),
  startTime: gauge(
    'process_start_time_seconds',
    'Start time of the process since unix epoch in seconds.',
    {},
    { unit: 's' },
  ),
  residentMemory: gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', {}, { unit: 'By' }),
  virtualMemory: gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', {}, { unit: 'By' }),
  processHeap: gauge('process_heap_bytes', 'Process heap size in bytes.', {}, { unit: 'By' }),
  openFds: gauge('process_open_fds', 'Number of open file descriptors.', {}, { unit: '1' }),
  maxFds: gauge('process_max_fds', 'Maximum number of open file descriptors.', {}, { unit: '1' }),
  eventLoopLag: gauge('nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.', {}, { unit: 's' }),
  eventLoopLagMin: gauge(
    'nodejs_eventloop_lag_min_seconds',
    'The minimum recorded event loop delay.',
    {},
    { unit: 's' },
  ),
  eventLoopLagMax: gauge(
    'nodejs_eventloop_lag_max_seconds',
    'The maximum recorded event loop delay.',
    {},
    { unit: 's' },
  ),
  eventLoopLagMean: gauge(
    'nodejs_eventloop_lag_mean_seconds',
    'The mean of the recorded event loop delays.',
    {},
    { unit: 's' },
  ),
  eventLoopLagStddev: gauge(
    'nodejs_eventloop_lag_stddev_seconds',
    'The standard deviation of the recorded event loop delays.',
    {},
    { unit: 's' },
  ),
  eventLoopLagP50: gauge(
    'nodejs_eventloop_lag_p50_seconds',
    'The 50th percentile of the recorded event loop delays.',
    {},
    { unit: 's' },
  ),
  eventLoopLagP90: gauge(
    'nodejs_eventloop_lag_p90_seconds',
    'The 90th percentile of the recorded event loop delays.',
    {},
    { unit: 's' },
  ),
  eventLoopLagP99: gauge(
    'nodejs_eventloop_lag_p99_seconds',
    'The 99th percentile of the recorded event loop delays.',
    {},
    { unit: 's' },
  ),
  activeResources: gauge(
    'nodejs_active_resources',
    'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
    { type },
    { unit: '1' },
  ),
  activeHandles: gauge(
    'nodejs_active_handles',
    'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.',
    { type },
    { unit: '1' },
  ),
  activeRequests: gauge(
    'nodejs_active_requests',
    'Number of active libuv requests grouped by request type. Every request type is C++ class name.',
    { type },
    { unit: '1' },
  ),
  heapSizeTotal: gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', {}, { unit: 'By' }),
  heapSizeUsed: gauge(
    'nodejs_heap_size_used_bytes',
    'Process heap size used from Node.js in bytes.',
    {},
    { unit: 'By' },
  ),
  externalMemory: gauge('nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', {}, { unit: 'By' }),
  heapSpaceSizeTotal: gauge(
    'nodejs_heap_space_size_total_bytes',
    'Process heap space size total from Node.js in bytes.',
    { space },
    { unit: 'By' },
  ),
  heapSpaceSizeUsed: gauge(
    'nodejs_heap_space_size_used_bytes',
    'Process heap space size used from Node.js in bytes.',
    { space },
    { unit: 'By' },
  ),
  heapSpaceSizeAvailable: gauge(
    'nodejs_heap_space_size_available_bytes',
    'Process heap space size available from Node.js in bytes.',
    { space },
    { unit: 'By' },
  ),
  versionInfo: gauge(
    'nodejs_version_info',
    'Node.js version info.',
    { version: versionPart, major: versionPart, minor: versionPart, patch: versionPart },
    { unit: '1' },
  ),
  gcDuration: histogram(
    'nodejs_gc_duration_seconds',
    'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    { kind: closed(...GC_KINDS) },
    { unit: 's', buckets: [0.001, 0.01, 0.1, 1, 2, 5] },
  ),
} as const;

/** Options of {@link RuntimeMetrics}: the catalog's own, plus the event-loop monitor's resolution. */
export interface RuntimeMetricsOptions extends CatalogOptions<typeof runtimeDefinitions> {
  /**
   * Sampling period of the event-loop delay monitor (`perf_hooks.monitorEventLoopDelay`), in
   * milliseconds: an integer ≥ 1. Default 10, as prom-client's `eventLoopMonitoringPrecision`.
   */
  readonly eventLoopResolutionMs?: number;
}

const DEFAULT_EVENT_LOOP_RESOLUTION_MS = 10;

/**
 * The Node.js runtime metrics of this process (CPU, memory, file descriptors, event loop, heap
 * spaces, active handles, garbage collection, version) as a catalog: recorded into the same
 * storage as every other catalog, so the Prometheus writer, the OTel bridge and a prom-client
 * registry all expose them. Names, kinds and labels are those of prom-client 15's
 * `collectDefaultMetrics` on Linux, less `OMITTED_RUNTIME_METRICS`.
 *
 * Construction starts an event-loop delay monitor and a garbage-collection observer (neither keeps
 * the process alive); {@link RuntimeMetrics.stop} releases them. Nothing runs at import. Every
 * other figure is read in a collect hook, once per collection:
 *
 * - **CPU** counters add the `process.cpuUsage()` growth since the previous collection. They count
 *   from the process start, as the process collectors of other Prometheus clients do (prom-client
 *   counts from its registration); `rate()` is the same either way.
 * - **Memory and file descriptors** come from `/proc/self/status` (`VmRSS`, `VmSize`, `VmData`),
 *   `/proc/self/fd` and `/proc/self/limits` (read once). Without procfs those series stay unset,
 *   except the resident memory, which falls back to `process.memoryUsage.rss()`. The `nodejs_heap_*`
 *   and external sizes are V8's heap statistics, the figures of `process.memoryUsage()`.
 * - **Event loop**: `nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds` describe the
 *   delays sampled since the previous collection (the monitor is reset after each read). The
 *   collection is synchronous, so `nodejs_eventloop_lag_seconds` (how long a `setImmediate`
 *   waits) is measured from each collection and reported at the next one, as prom-client's
 *   registry reads it.
 * - **Per-type gauges** (`nodejs_active_*{type}`, `nodejs_heap_space_size_*{space}`) keep a series
 *   for every value seen: a type that disappears is set to 0 rather than removed, so series stay
 *   stable and their sum is still the total.
 * - **GC** durations are recorded as each garbage collection ends, whatever the collection hooks do;
 *   the series of all four kinds exist at 0 from the start.
 *
 * With several readers on one instance (a Prometheus scrape and an OTel reader), each collection
 * resets the event-loop statistics for the others: give each reader its own interval, or one reader.
 *
 * @example
 * ```ts
 * const runtime = new RuntimeMetrics();
 * const md = new MarketDataMetrics();
 * const writer = new PrometheusWriter([md, runtime]);
 * const body = writer.render(); // catalogs, then process_* and nodejs_*
 * // at shutdown
 * runtime.stop();
 * ```
 */
export class RuntimeMetrics extends catalog(runtimeDefinitions) {
  readonly #cpuUser: CounterHandle;
  readonly #cpuSystem: CounterHandle;
  readonly #cpuTotal: CounterHandle;
  #cpuUserMicros = 0;
  #cpuSystemMicros = 0;
  readonly #residentMemory = new GaugeSlot(this.residentMemory);
  readonly #virtualMemory = new GaugeSlot(this.virtualMemory);
  readonly #processHeap = new GaugeSlot(this.processHeap);
  readonly #openFds = new GaugeSlot(this.openFds);
  readonly #maxFds = new GaugeSlot(this.maxFds);
  readonly #maxFdsValue = readMaxFds();
  readonly #heapSizeTotal = new GaugeSlot(this.heapSizeTotal);
  readonly #heapSizeUsed = new GaugeSlot(this.heapSizeUsed);
  readonly #externalMemory = new GaugeSlot(this.externalMemory);
  readonly #activeHandles = new KeyedGauges((type) => this.activeHandles.bind({ type }));
  readonly #activeRequests = new KeyedGauges((type) => this.activeRequests.bind({ type }));
  readonly #activeResources = new KeyedGauges((type) => this.activeResources.bind({ type }));
  readonly #spaceTotal = new KeyedGauges((space) => this.heapSpaceSizeTotal.bind({ space }));
  readonly #spaceUsed = new KeyedGauges((space) => this.heapSpaceSizeUsed.bind({ space }));
  readonly #spaceAvailable = new KeyedGauges((space) => this.heapSpaceSizeAvailable.bind({ space }));
  /** Reused by every count of handles, requests and resources. */
  readonly #counts = new Map<string, number>();
  readonly #eventLoop: EventLoopRecorder;
  readonly #gc: GcRecorder;
  #stopped = false;

  /**
   * Creates the catalog and starts the event-loop monitor and the GC observer.
   *
   * @param options - the catalog options (budgets, hooks, clock) and `eventLoopResolutionMs`
   * @throws MetricDefinitionError for an unknown option or one of the wrong type (from untyped
   *   JavaScript), naming the option (`options.eventLoopResolutionMs`) and what it expects
   */
  constructor(options: RuntimeMetricsOptions = {}) {
    super(catalogOptions(options));
    const now = options.now ?? Date.now;
    this.#cpuUser = this.cpuUser.bind();
    this.#cpuSystem = this.cpuSystem.bind();
    this.#cpuTotal = this.cpuTotal.bind();
    this.startTime.bind().set(processStartSeconds(now()));
    this.versionInfo.bind(versionLabels(process.version)).set(1);
    this.#eventLoop = new EventLoopRecorder(
      {
        lag: new GaugeSlot(this.eventLoopLag),
        min: new GaugeSlot(this.eventLoopLagMin),
        max: new GaugeSlot(this.eventLoopLagMax),
        mean: new GaugeSlot(this.eventLoopLagMean),
        stddev: new GaugeSlot(this.eventLoopLagStddev),
        p50: new GaugeSlot(this.eventLoopLagP50),
        p90: new GaugeSlot(this.eventLoopLagP90),
        p99: new GaugeSlot(this.eventLoopLagP99),
      },
      options.eventLoopResolutionMs ?? DEFAULT_EVENT_LOOP_RESOLUTION_MS,
    );
    this.#gc = new GcRecorder((kind) => this.gcDuration.bind({ kind }));
    this.beforeCollect(() => this.#collect());
  }

  /**
   * Stops the event-loop monitor and the GC observer and ends collection: the series keep their
   * last values. Call it when the exposition it feeds shuts down; calling it again does nothing.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#eventLoop.stop();
    this.#gc.stop();
  }

  // Each reader returns undefined (or false) instead of throwing, so one missing figure never
  // stops the others or the collection.
  #collect(): void {
    if (this.#stopped) return;
    this.#collectCpu();
    this.#collectMemory();
    const openFds = countOpenFds();
    if (openFds !== undefined) this.#openFds.set(openFds);
    if (this.#maxFdsValue !== undefined) this.#maxFds.set(this.#maxFdsValue);
    this.#eventLoop.collect();
    const counts = this.#counts;
    if (countActiveHandles(counts)) writeCounts(this.#activeHandles, counts);
    if (countActiveRequests(counts)) writeCounts(this.#activeRequests, counts);
    if (countActiveResources(counts)) writeCounts(this.#activeResources, counts);
    this.#collectHeapSpaces();
  }

  #collectCpu(): void {
    let usage: NodeJS.CpuUsage;
    try {
      usage = process.cpuUsage();
    } catch {
      return;
    }
    const user = usage.user - this.#cpuUserMicros;
    const system = usage.system - this.#cpuSystemMicros;
    // cpuUsage() never goes back; the guard keeps a counter from ever being handed a negative step.
    if (user < 0 || system < 0) return;
    this.#cpuUserMicros = usage.user;
    this.#cpuSystemMicros = usage.system;
    this.#cpuUser.add(user / 1e6);
    this.#cpuSystem.add(system / 1e6);
    this.#cpuTotal.add((user + system) / 1e6);
  }

  #collectMemory(): void {
    const status = readProcStatus();
    const rss = status?.rss ?? readResidentMemory();
    if (rss !== undefined) this.#residentMemory.set(rss);
    if (status?.virtual !== undefined) this.#virtualMemory.set(status.virtual);
    if (status?.data !== undefined) this.#processHeap.set(status.data);
    // The V8 figures process.memoryUsage() reports as heapTotal, heapUsed and external, without the
    // resident-size read it adds (0.8 µs against 9 µs; procfs gave that already).
    let heap: v8.HeapInfo;
    try {
      heap = v8.getHeapStatistics();
    } catch {
      return;
    }
    this.#heapSizeTotal.set(heap.total_heap_size);
    this.#heapSizeUsed.set(heap.used_heap_size);
    this.#externalMemory.set(heap.external_memory);
  }

  #collectHeapSpaces(): void {
    let spaces: v8.HeapSpaceInfo[];
    try {
      spaces = v8.getHeapSpaceStatistics();
    } catch {
      return;
    }
    this.#spaceTotal.clear();
    this.#spaceUsed.clear();
    this.#spaceAvailable.clear();
    for (const s of spaces) {
      const name = spaceLabel(s.space_name);
      this.#spaceTotal.add(name, s.space_size);
      this.#spaceUsed.add(name, s.space_used_size);
      this.#spaceAvailable.add(name, s.space_available_size);
    }
  }
}

function writeCounts(gauges: KeyedGauges, counts: ReadonlyMap<string, number>): void {
  gauges.clear();
  for (const [key, n] of counts) gauges.add(key, n);
}

// V8's `new_large_object_space` → `new_large_object`, as prom-client labels it.
function spaceLabel(v8Name: string): string {
  return v8Name.endsWith('_space') ? v8Name.slice(0, -'_space'.length) : v8Name;
}

// `v24.21.0` → the version and its three numbers, as prom-client labels them.
function versionLabels(version: string): { version: string; major: string; minor: string; patch: string } {
  const [major = '', minor = '', patch = ''] = version
    .slice(1)
    .split('.')
    .map((part) => String(Number(part)));
  return { version, major, minor, patch };
}

const OPTION_KEYS = Object.keys({
  budgets: true,
  onInvalidValue: true,
  onOverflow: true,
  now: true,
  shared: true,
  noop: true,
  eventLoopResolutionMs: true,
} satisfies Record<keyof RuntimeMetricsOptions, true>);

// Checks this class's own option and hands the rest to the catalog, which checks its own. The keys
// are checked here, against both lists, so a typo of `eventLoopResolutionMs` is named as such.
function catalogOptions(value: RuntimeMetricsOptions | undefined): CatalogOptions<typeof runtimeDefinitions> {
  if (value === undefined) return {};
  const options = expectObject(value, 'options', toDefinitionError);
  expectKeys(options, 'options', OPTION_KEYS, toDefinitionError);
  const { eventLoopResolutionMs, ...rest } = options;
  if (eventLoopResolutionMs !== undefined) {
    expectPositiveInteger(
      eventLoopResolutionMs,
      'options.eventLoopResolutionMs',
      toDefinitionError,
      'an integer number of milliseconds ≥ 1',
    );
  }
  return rest;
}
