import { stat } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { pollUntil, readExposition } from '@ttquant/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MetricDefinitionError } from '../define/errors.js';
import type { MetricDef } from '../define/metric.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { OMITTED_RUNTIME_METRICS } from './omitted.js';
import { RuntimeMetrics, type RuntimeMetricsOptions, runtimeDefinitions } from './runtime-metrics.js';

// Values are read back from the writer's text, never through bind(), which would create the series
// it checks.

const DEFS: readonly MetricDef[] = Object.values(runtimeDefinitions);

// Figures read from procfs: unset on other platforms.
const PROCFS_ONLY = ['process_virtual_memory_bytes', 'process_heap_bytes', 'process_open_fds', 'process_max_fds'];

const started: RuntimeMetrics[] = [];

function runtime(options: RuntimeMetricsOptions = {}): { rm: RuntimeMetrics; writer: PrometheusWriter } {
  const rm = new RuntimeMetrics({ onInvalidValue: throwOnInvalidValue, ...options });
  started.push(rm);
  return { rm, writer: new PrometheusWriter([rm], { selfMetrics: false }) };
}

afterEach(() => {
  for (const rm of started.splice(0)) rm.stop();
});

/** Metric names that have at least one sample (a histogram by its `_count`). */
function namesWithSamples(body: string): Set<string> {
  return new Set(
    readExposition(body)
      .names()
      .map((name) => name.replace(/_count$/, '')),
  );
}

function burnCpu(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  expect(x).toBeGreaterThan(0);
}

describe('RuntimeMetrics', () => {
  // Something in each per-type gauge: a listening server is a handle (and a resource), a file
  // stat started right before a collection is a request in flight while the collection runs.
  const server: Server = createServer();
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('declares every metric of the contract except the omitted ones', () => {
    expect(DEFS.map((d) => d.name).filter((n) => (OMITTED_RUNTIME_METRICS as readonly string[]).includes(n))).toEqual(
      [],
    );
    expect(RuntimeMetrics.definitions).toBe(runtimeDefinitions);
  });

  it('has a series for every metric after a collection', async () => {
    const { writer } = runtime();
    const expected = DEFS.map((d) => d.name).filter((n) => process.platform === 'linux' || !PROCFS_ONLY.includes(n));
    const render = (): string => {
      stat('.', () => {});
      return writer.renderText();
    };
    // The event-loop statistics need a sample of the monitor first (10 ms).
    const body = await pollUntil(
      () => {
        const text = render();
        const names = namesWithSamples(text);
        return expected.every((n) => names.has(n)) ? text : undefined;
      },
      'series for every metric',
      10_000,
      20,
    );
    const exposed = readExposition(body);
    expect(exposed.value('nodejs_active_handles', { type: 'Server' })).toBeGreaterThanOrEqual(1);
    expect(exposed.value('nodejs_active_resources', { type: 'TCPServerWrap' })).toBeGreaterThanOrEqual(1);
    expect(exposed.value('nodejs_active_requests', { type: 'FSReqCallback' })).toBeGreaterThanOrEqual(1);
  });

  it('reports the version, the start time and the heap spaces as the process sees them', () => {
    const before = process.uptime();
    const { writer } = runtime({ now: () => 2_000_000_000_000 });
    const after = process.uptime();
    const exposed = readExposition(writer.renderText());
    const [major = '', minor = '', patch = ''] = process.versions.node.split('.');
    expect(exposed.value('nodejs_version_info', { version: process.version, major, minor, patch })).toBe(1);
    const start = exposed.value('process_start_time_seconds') as number;
    expect(start).toBeGreaterThanOrEqual(2_000_000_000 - after - 0.001);
    expect(start).toBeLessThanOrEqual(2_000_000_000 - before + 0.001);
    const spaces = exposed.select('nodejs_heap_space_size_total_bytes').map((sample) => sample.labels['space']);
    expect(spaces).toContain('old');
    expect(spaces).toContain('new');
    expect(spaces.every((s) => s !== undefined && !s.endsWith('_space'))).toBe(true);
  });

  it('keeps the CPU counters monotonic, with the total the sum of user and system', () => {
    const { writer } = runtime();
    let previous = { user: 0, system: 0, total: 0 };
    for (let i = 0; i < 4; i++) {
      burnCpu(20);
      const exposed = readExposition(writer.renderText());
      const now = {
        user: exposed.value('process_cpu_user_seconds_total') as number,
        system: exposed.value('process_cpu_system_seconds_total') as number,
        total: exposed.value('process_cpu_seconds_total') as number,
      };
      expect(now.user).toBeGreaterThanOrEqual(previous.user);
      expect(now.system).toBeGreaterThanOrEqual(previous.system);
      expect(now.total).toBeGreaterThan(previous.total);
      expect(now.total).toBeCloseTo(now.user + now.system, 9);
      previous = now;
    }
    // Counted from the process start, so at least the CPU this worker has used so far.
    const usage = process.cpuUsage();
    expect(previous.total).toBeLessThanOrEqual((usage.user + usage.system) / 1e6);
    expect(previous.total).toBeGreaterThan(0.02 * 4);
  });

  it('counts a type down to 0 when it disappears, keeping the series', async () => {
    const { writer } = runtime();
    const servers = [createServer(), createServer()];
    for (const s of servers) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const servers0 = (): number | undefined =>
      readExposition(writer.renderText()).value('nodejs_active_handles', { type: 'Server' });
    const before = servers0() as number;
    expect(before).toBeGreaterThanOrEqual(3);
    // A closed handle leaves the list when libuv has closed it, a turn of the loop after 'close'.
    for (let closed = 1; closed <= servers.length; closed++) {
      await new Promise<void>((resolve) => servers[closed - 1]?.close(() => resolve()));
      await pollUntil(() => servers0() === before - closed, `${closed} server(s) closed`, 10_000, 20);
    }
    // A type seen once stays, at 0, once nothing of it is left.
    const requests = (): number | undefined =>
      readExposition(writer.renderText()).value('nodejs_active_requests', { type: 'FSReqCallback' });
    stat('.', () => {});
    expect(requests()).toBeGreaterThanOrEqual(1);
    await pollUntil(() => requests() === 0, 'the stat to complete', 10_000, 20);
  });

  it('records garbage-collection durations by kind', async () => {
    const { rm, writer } = runtime();
    // The four kinds exist from the start: a sum over no series would be undefined, not 0.
    const count = (): number | undefined => readExposition(writer.renderText()).sum('nodejs_gc_duration_seconds_count');
    expect(count()).toBe(0);
    const gc = (globalThis as { gc?: () => void }).gc;
    // Each try that finds no entry yet collects (or allocates) once more before the next look.
    await pollUntil(() => (count() ?? 0) > 0 || void (gc ?? allocate)(), 'a gc entry', 10_000, 5);
    const exposed = readExposition(writer.renderText());
    expect(exposed.sum('nodejs_gc_duration_seconds_sum')).toBeGreaterThan(0);
    // The four kinds exist from the start; the +Inf bucket of each equals its count.
    for (const kind of ['major', 'minor', 'incremental', 'weakcb']) {
      const count = exposed.value('nodejs_gc_duration_seconds_count', { kind });
      expect(count, kind).toBeDefined();
      expect(exposed.value('nodejs_gc_duration_seconds_bucket', { kind, le: '+Inf' })).toBe(count);
    }
    expect(rm.gcDuration.dropped).toBe(0);
  });

  it('stops idempotently, and records nothing after stop()', async () => {
    const { rm, writer } = runtime();
    await pollUntil(
      () => (readExposition(writer.renderText()).sum('nodejs_gc_duration_seconds_count') ?? 0) > 0 || void allocate(),
      'a gc entry',
      10_000,
      5,
    );
    rm.stop();
    rm.stop();
    const stopped = writer.renderText();
    burnCpu(30);
    // A garbage collection after stop(), seen by an observer of the test's own.
    let collections = 0;
    const witness = new PerformanceObserver((list) => {
      collections += list.getEntries().length;
    });
    witness.observe({ entryTypes: ['gc'] });
    try {
      await pollUntil(() => collections > 0 || void allocate(), 'a gc entry after stop()', 10_000, 5);
    } finally {
      witness.disconnect();
    }
    const later = writer.renderText();
    expect(later).toBe(stopped);
  });

  it('rejects an unknown option or one of the wrong type, naming it and what it expects', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ eventLoopResolutionMs: '10' }, 'options.eventLoopResolutionMs', /milliseconds ≥ 1; got string "10"$/],
      [{ eventLoopResolutionMs: 0 }, 'options.eventLoopResolutionMs', /got number 0$/],
      [{ eventLoopResolutionMs: 2.5 }, 'options.eventLoopResolutionMs', /got number 2.5$/],
      [{ eventLoopResolution: 10 }, 'options.eventLoopResolution', /did you mean "eventLoopResolutionMs"/],
      [{ now: 5 }, 'options.now', /expected a function; got number 5$/],
      [{ onOverflow: {} }, 'options.onOverflow', /expected a function/],
      [{ budgets: 3 }, 'options.budgets', /expected an object/],
      [42, 'options', /expected an object; got number 42$/],
      [null, 'options', /got null$/],
    ];
    for (const [options, path, message] of cases) {
      let error: unknown;
      try {
        started.push(new RuntimeMetrics(options as RuntimeMetricsOptions));
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(options)).toBeInstanceOf(MetricDefinitionError);
      const issues = (error as MetricDefinitionError).issues;
      expect(issues.map((i) => i.path)).toEqual([path]);
      expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
      expect(issues[0]?.message).toMatch(message);
    }
  });

  it('accepts the catalog options, and a budget override of an open label', () => {
    const { rm } = runtime({ eventLoopResolutionMs: 20, budgets: { activeHandles: { type: 64 } } });
    expect(rm.activeHandles['~store'].layout.capacity).toBe(65);
  });
});

// Garbage for the young generation: enough arrays to fill a semi-space a few times.
function allocate(): void {
  const keep: unknown[] = [];
  for (let i = 0; i < 200_000; i++) keep.push({ i, s: `x${i}` });
  expect(keep.length).toBe(200_000);
}
