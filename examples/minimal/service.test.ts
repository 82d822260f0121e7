import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DROPPED_VALUES_METRIC, OVERFLOW_RECORDS_METRIC, runtimeDefinitions } from '@ttquant/metrics';
import { pollUntil, readExposition } from '@ttquant/test-kit';
import { afterAll, describe, expect, it } from 'vitest';

// `npm run minimal` runs this file: start it on a free port, scrape it twice, check what it declares
// and that its counter moves, then SIGTERM it and check it exits 0. Values are read from the
// exposition text only, never through bind() (binding creates the series it would check).

const service = fileURLToPath(new URL('./service.ts', import.meta.url));
const readme = fileURLToPath(new URL('../../README.md', import.meta.url));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Every `# TYPE` line, minus the runtime metrics and self-metrics the server adds to any catalog. */
function ownTypeLines(body: string): string[] {
  const added = new Set([
    ...Object.values(runtimeDefinitions).map((d) => d.name),
    DROPPED_VALUES_METRIC,
    OVERFLOW_RECORDS_METRIC,
  ]);
  return body.split('\n').filter((line) => line.startsWith('# TYPE ') && !added.has(line.split(' ')[2] ?? ''));
}

describe('examples/minimal/service.ts', () => {
  it('serves its catalog on PORT=0, records on a timer, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', service], {
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const url = await pollUntil(
      () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before serving:\n${output}`);
        return /^minimal: metrics at (http:\/\/\S+\/metrics)$/m.exec(output)?.[1];
      },
      'the metrics URL line',
      20_000,
      50,
    );
    const scrape = async (): Promise<string> => {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      return response.text();
    };

    const first = await scrape();
    expect(ownTypeLines(first)).toEqual([
      '# TYPE example_order_acks_total counter',
      '# TYPE example_order_ack_latency_ms histogram',
    ]);
    // The timer records every 100 ms: within a few seconds the counter and the histogram both move.
    // The example binds its four routes at start, so the counter's series exist from the first scrape.
    const acks = (body: string): number | undefined => readExposition(body).sum('example_order_acks_total');
    const before = acks(first);
    expect(before).toBeDefined();
    const body = await pollUntil(
      async () => {
        const next = await scrape();
        return (acks(next) ?? 0) > (before ?? 0) && next;
      },
      'the ack counter to move',
      5_000,
      200,
    );
    // One latency sample per ack, so the histogram counts agree with the counter in the same scrape.
    expect(readExposition(body).sum('example_order_ack_latency_ms_count')).toBe(acks(body));

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no exit within 5 s')), 5_000)),
    ]);
    expect(code, output).toBe(0);
  }, 30_000);

  // The root README's "Use it" snippet is a trimmed excerpt of service.ts: every code line of its
  // first ts block must appear, as written, in this example, so the two cannot drift apart.
  it('contains every line of the root README "Use it" snippet', () => {
    const block = /```ts\n([\s\S]*?)```/.exec(readFileSync(readme, 'utf8'))?.[1];
    expect(block).toBeDefined();
    const source = new Set(
      readFileSync(service, 'utf8')
        .split('\n')
        .map((line) => line.trim()),
    );
    const lines = (block as string)
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('// …'));
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((line) => !source.has(line))).toEqual([]);
  });
});
