import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readExposition } from '@ttquant/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { aggregateClusterMetrics } from '../../src/cluster/cluster-metrics.js';
import { MetricsOptionError } from '../../src/define/errors.js';
import { CONTENT_TYPES } from '../../src/exposition/formats.js';
import { ProtobufWriter } from '../../src/exposition/prometheus-protobuf.js';
import { PrometheusWriter } from '../../src/exposition/prometheus-text.js';
import { ClusterDesk, recordDesk, VENUES } from '../fixtures/cluster-desk.js';
import { type DecodedFamily, decodeExposition } from '../fixtures/protobuf-exposition.js';

// A real Node cluster (a primary and three forked worker processes) serving one /metrics from the
// primary. What the workers recorded is replayed into one catalog in this process, the reference:
// the primary's counters and histograms (classic and native buckets) must equal it exactly, before
// and after a worker is killed, and the gauges must be combined as each one declares.

const PRIMARY = fileURLToPath(new URL('../fixtures/cluster-primary.ts', import.meta.url));
const N = 1500;

class Primary {
  readonly url: string;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;

  private constructor(child: ChildProcessWithoutNullStreams, lines: Interface, url: string) {
    this.#child = child;
    this.#lines = lines[Symbol.asyncIterator]();
    this.url = url;
  }

  static async start(workers: number): Promise<Primary> {
    const child = spawn(process.execPath, ['--import', 'tsx', PRIMARY, String(workers)], { stdio: 'pipe' });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const lines = createInterface({ input: child.stdout });
    const first = await lines[Symbol.asyncIterator]().next();
    if (first.done === true) throw new Error(`the cluster primary ended: ${stderr}`);
    const primary = new Primary(child, lines, (JSON.parse(first.value) as { url: string }).url);
    return primary;
  }

  async command(
    command: object,
  ): Promise<{ stats: { workers: number; retired: number; timeouts: number }; total?: number }> {
    this.#child.stdin.write(`${JSON.stringify(command)}\n`);
    const next = await this.#lines.next();
    if (next.done === true) throw new Error('the cluster primary ended');
    return JSON.parse(next.value);
  }

  async scrape(format: keyof typeof CONTENT_TYPES = 'prometheus-text'): Promise<Response> {
    const response = await fetch(`${this.url}/metrics`, { headers: { accept: CONTENT_TYPES[format] } });
    expect(response.status).toBe(200);
    return response;
  }

  stop(): Promise<void> {
    if (this.#child.exitCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stdin.end();
    // The primary kills its workers when its input ends; this is the backstop.
    const backstop = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    return exited.finally(() => clearTimeout(backstop));
  }
}

let primary: Primary | undefined;
afterEach(async () => {
  await primary?.stop();
  primary = undefined;
});

// The reference: every record the workers made, in one catalog of this process.
function reference(records: readonly (readonly [worker: number, round: number, n: number])[]): ClusterDesk {
  const desk = new ClusterDesk();
  for (const [w, round, n] of records) recordDesk(desk, w, round, n);
  return desk;
}

// The samples of the counter and the histogram, as text: the gauges are combined, not summed.
function summed(text: string): string[] {
  return readExposition(text)
    .samples.filter((sample) => sample.name.startsWith('desk_ticks') || sample.name.startsWith('desk_latency'))
    .map((sample) => `${sample.name}${JSON.stringify(sample.labels)} ${sample.value}`)
    .sort();
}

function nativeOf(families: readonly DecodedFamily[]) {
  const family = families.find((f) => f.name === 'desk_latency_ms');
  return (family?.metric ?? [])
    .map((metric) => ({
      venue: metric.label?.find((label) => label.name === 'venue')?.value,
      count: metric.histogram?.sampleCount,
      sum: metric.histogram?.sampleSum,
      schema: metric.histogram?.schema,
      zeroCount: metric.histogram?.zeroCount,
      spans: metric.histogram?.positiveSpan,
      deltas: metric.histogram?.positiveDelta,
    }))
    .sort((a, b) => String(a.venue).localeCompare(String(b.venue)));
}

async function expectSums(records: Parameters<typeof reference>[0]): Promise<void> {
  const expected = reference(records);
  const text = await (await (primary as Primary).scrape()).text();
  expect(summed(text)).toEqual(summed(new PrometheusWriter([expected], { selfMetrics: false }).render().toString()));
  const body = new Uint8Array(await (await (primary as Primary).scrape('prometheus-protobuf')).arrayBuffer());
  const ours = nativeOf(decodeExposition(body).families);
  expect(ours.length).toBe(VENUES.length);
  expect(ours).toEqual(
    nativeOf(decodeExposition(new ProtobufWriter([expected], { selfMetrics: false }).render()).families),
  );
}

describe('cluster aggregation (a primary and forked workers)', () => {
  it('sums counters and histograms exactly, combines gauges as declared, and keeps the counts of a killed worker', async () => {
    primary = await Primary.start(3);
    await primary.command({ cmd: 'record', round: 1, n: N });
    const round1 = [0, 1, 2].map((w) => [w, 1, N] as const);
    await expectSums(round1);

    const gauges = readExposition(await (await primary.scrape()).text());
    for (const venue of VENUES) expect(gauges.value('desk_queue_depth', { venue })).toBe(2 + 3 + 4);
    expect(gauges.value('desk_link_up', { venue: 'a' })).toBe(0);
    const prices = gauges.samples.filter((sample) => sample.name === 'desk_last_price');
    expect(prices.map((sample) => sample.value).sort()).toEqual([100, 101, 102]);
    expect(prices.map((sample) => sample.labels['worker']).sort()).toEqual(['0', '1', '2']);

    // Killed between two scrapes: its counts stay; its gauges leave.
    const killed = await primary.command({ cmd: 'kill', index: 1 });
    expect(killed.stats).toMatchObject({ workers: 2, retired: 1 });
    await expectSums(round1);
    const after = readExposition(await (await primary.scrape()).text());
    for (const venue of VENUES) expect(after.value('desk_queue_depth', { venue })).toBe(2 + 4);
    expect(after.value('desk_link_up', { venue: 'a' })).toBe(1);
    expect(after.samples.filter((sample) => sample.name === 'desk_last_price')).toHaveLength(2);

    // The survivors record on; a worker that flushes before its planned exit loses nothing.
    await primary.command({ cmd: 'record', round: 2, n: N });
    await primary.command({ cmd: 'flushExit', index: 2, round: 3, n: N });
    const all = [...round1, [0, 2, N], [2, 2, N], [2, 3, N]] as const;
    await expectSums(all);

    // The OTel bridge reads the same aggregate, after its own pull.
    const otel = await primary.command({ cmd: 'otel' });
    expect(otel.total).toBe(readExposition(await (await primary.scrape()).text()).sum('desk_ticks_total'));
    expect(otel.total).toBe(all.reduce((sum, [, , n]) => sum + n, 0));

    // Every format the server speaks, from the same aggregate.
    const openMetrics = await (await primary.scrape('openmetrics-text')).text();
    expect(openMetrics).toMatch(/^desk_ticks_total\{venue="a",symbol="S0"\} \d+$/m);
    expect(openMetrics.endsWith('# EOF\n')).toBe(true);
    const final = await primary.command({ cmd: 'stats' });
    expect(final.stats).toMatchObject({ workers: 1, retired: 2, timeouts: 0 });
  }, 60_000);

  it('refuses to run where snapshots could not travel as typed arrays', () => {
    // This test process is no cluster primary set up for it: the IPC serialization is not 'advanced'.
    expect(() => aggregateClusterMetrics({ catalogs: [ClusterDesk] })).toThrow(MetricsOptionError);
    expect(() => aggregateClusterMetrics({ catalogs: [ClusterDesk] })).toThrow(/serialization: 'advanced'/);
    expect(() => aggregateClusterMetrics({ catalogs: [{} as never] })).toThrow(/catalogs\[0\] is not a catalog class/);
    expect(() => aggregateClusterMetrics({ catalogs: [ClusterDesk], timeoutMs: -1 })).toThrow(/timeoutMs/);
  });
});
