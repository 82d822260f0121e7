// Parity: RuntimeMetrics exposes what prom-client 15's `collectDefaultMetrics` exposes, in the same
// process: the same metric names, kinds, HELP texts and label names, and the same values where two
// readings of one process can agree. Both bodies are read by the test kit's exposition reader.
//
// The only differences allowed are listed here, each with its reason, and each is asserted to be
// present in prom-client's body (so the lists cannot hide anything else):
// - OMITTED_RUNTIME_METRICS, gauges named like counters that promtool flags;
// - on platforms other than Linux, the figures prom-client reads from procfs and registers only
//   where it exists (our catalog declares them everywhere and leaves them without series there).

import { stat } from 'node:fs';
import { createServer } from 'node:net';
import { readExposition, type Sample, settle } from '@ttquant/test-kit';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusWriter } from '../../src/exposition/prometheus-text.js';
import { OMITTED_RUNTIME_METRICS } from '../../src/runtime/omitted.js';
import { RuntimeMetrics, runtimeDefinitions } from '../../src/runtime/runtime-metrics.js';
import { throwOnInvalidValue } from '../../src/storage/invalid.js';

const OMITTED: readonly string[] = OMITTED_RUNTIME_METRICS;

// prom-client registers these only where /proc exists (lib/metrics/osMemoryHeap.js,
// processOpenFileDescriptors.js, processMaxFileDescriptors.js).
const PROCFS_ONLY = ['process_virtual_memory_bytes', 'process_heap_bytes', 'process_open_fds', 'process_max_fds'];
const ONLY_OURS: readonly string[] = process.platform === 'linux' ? [] : PROCFS_ONLY;

interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: readonly Sample[];
}

/** Reads a text-format 0.0.4 body: families by name, each with the samples under its HELP/TYPE lines. */
function parse(body: string): Map<string, Family> {
  const exposed = readExposition(body);
  // Every sample belongs to a family: none written outside one, or under another's lines.
  const grouped = exposed.families().reduce((n, name) => n + exposed.family(name).length, 0);
  expect(grouped, 'samples outside their family').toBe(exposed.samples.length);
  return new Map(
    exposed.families().map((name) => [
      name,
      {
        name,
        type: exposed.types.get(name) ?? '',
        help: exposed.help.get(name) ?? '',
        samples: exposed.family(name),
      },
    ]),
  );
}

function labelNames(family: Family | undefined): string[] {
  return [...new Set(family?.samples.flatMap((s) => Object.keys(s.labels)))].sort();
}

function only(families: Map<string, Family>, name: string): number {
  const samples = families.get(name)?.samples ?? [];
  expect(samples, name).toHaveLength(1);
  return samples[0]?.value as number;
}

function labelValues(family: Family | undefined, label: string): string[] {
  return [...new Set(family?.samples.map((s) => s.labels[label] as string))].sort();
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('RuntimeMetrics against prom-client collectDefaultMetrics, in one process', () => {
  // prom-client's collectors count CPU from their registration, ours from the process start: the
  // CPU used before registration is the expected difference.
  const cpuAtRegistration = process.cpuUsage();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const rm = new RuntimeMetrics({ onInvalidValue: throwOnInvalidValue });
  const writer = new PrometheusWriter([rm], { selfMetrics: false });
  const server = createServer();

  let ours: Map<string, Family>;
  let theirs: Map<string, Family>;

  beforeAll(async () => {
    // Something in every per-type gauge: a listening server (a handle and a resource), and a file
    // stat in flight while both collect.
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const declared = Object.values(runtimeDefinitions)
      .map((d) => d.name)
      .filter((n) => !ONLY_OURS.includes(n));
    let ourText = '';
    // Ours has event-loop statistics once the monitor has sampled; prom-client's gc series once a
    // collection was observed.
    const missing = await settle(
      async () => {
        // Garbage, so both GC observers record (prom-client has a gc series only once one ran).
        const garbage: unknown[] = [];
        for (let i = 0; i < 50_000; i++) garbage.push({ i });
        await delay(20);
        stat('.', () => {});
        const theirText = registry.metrics();
        ourText = writer.renderText();
        ours = parse(ourText);
        theirs = parse(await theirText);
        const gc = (theirs.get('nodejs_gc_duration_seconds')?.samples.length ?? 0) > 0;
        return [
          ...declared.filter((n) => (ours.get(n)?.samples.length ?? 0) === 0).map((n) => `ours: ${n}`),
          ...(gc ? [] : ['prom-client: nodejs_gc_duration_seconds']),
        ];
      },
      15_000,
      0,
    );
    expect(missing, `series still missing after 15 s:\n${ourText}`).toEqual([]);
  });

  afterAll(async () => {
    rm.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('has the same metric names, less the documented exceptions', () => {
    const ourNames = [...ours.keys()].sort();
    const theirNames = [...theirs.keys()].sort();
    expect(ourNames).toEqual(
      Object.values(runtimeDefinitions)
        .map((d) => d.name)
        .sort(),
    );
    // Each exception is really in prom-client's body, or really absent from it.
    for (const name of OMITTED) expect(theirNames, name).toContain(name);
    for (const name of ONLY_OURS) expect(theirNames, name).not.toContain(name);
    expect(theirNames.filter((n) => !ours.has(n))).toEqual([...OMITTED].sort());
    expect(ourNames.filter((n) => !theirs.has(n))).toEqual([...ONLY_OURS].sort());
  });

  it('has the same kind, HELP and label names for every shared metric', () => {
    const shared = [...ours.keys()].filter((n) => theirs.has(n));
    expect(shared.length).toBe(ours.size - ONLY_OURS.length);
    for (const name of shared) {
      const a = ours.get(name) as Family;
      const b = theirs.get(name) as Family;
      expect(a.type, name).toBe(b.type);
      expect(a.help, name).toBe(b.help);
      // Both have samples (beforeAll waited for them), so the label names are comparable.
      expect(a.samples.length, name).toBeGreaterThan(0);
      expect(b.samples.length, name).toBeGreaterThan(0);
      expect(labelNames(a), name).toEqual(labelNames(b));
    }
  });

  it('uses the same GC buckets and kinds', () => {
    const gc = 'nodejs_gc_duration_seconds';
    expect(labelValues(ours.get(gc), 'le')).toEqual(labelValues(theirs.get(gc), 'le'));
    // prom-client has a series only for the kinds that ran; ours has all four from the start.
    const theirKinds = labelValues(theirs.get(gc), 'kind');
    expect(theirKinds.length).toBeGreaterThan(0);
    for (const kind of theirKinds) expect(labelValues(ours.get(gc), 'kind')).toContain(kind);
  });

  it('agrees on the values two readings of one process can share', () => {
    // prom-client rounds the start time to whole seconds.
    expect(
      Math.abs(only(ours, 'process_start_time_seconds') - only(theirs, 'process_start_time_seconds')),
    ).toBeLessThanOrEqual(1);
    const version = (f: Map<string, Family>) => f.get('nodejs_version_info')?.samples.map((s) => s.labels);
    expect(version(ours)).toEqual(version(theirs));
    expect(only(ours, 'nodejs_version_info')).toBe(1);
    expect(labelValues(ours.get('nodejs_heap_space_size_total_bytes'), 'space')).toEqual(
      labelValues(theirs.get('nodejs_heap_space_size_total_bytes'), 'space'),
    );
    for (const name of ['process_resident_memory_bytes', 'nodejs_heap_size_total_bytes']) {
      expect(Math.abs(only(ours, name) / only(theirs, name) - 1), name).toBeLessThan(0.2);
    }
    if (process.platform === 'linux') {
      expect(only(ours, 'process_max_fds')).toBe(only(theirs, 'process_max_fds'));
    }
  });

  it('agrees on CPU time, counted from the process start instead of the registration', () => {
    const base = { user: cpuAtRegistration.user / 1e6, system: cpuAtRegistration.system / 1e6 };
    const pairs: [string, number][] = [
      ['process_cpu_user_seconds_total', base.user],
      ['process_cpu_system_seconds_total', base.system],
      ['process_cpu_seconds_total', base.user + base.system],
    ];
    for (const [name, before] of pairs) {
      // Ours read a moment after prom-client's (in the same turn): never less, and the gap is the
      // CPU time of prom-client's own collection and our render.
      const gap = only(ours, name) - before - only(theirs, name);
      expect(gap, name).toBeGreaterThanOrEqual(-1e-6);
      expect(gap, name).toBeLessThan(0.05);
    }
  });
});
