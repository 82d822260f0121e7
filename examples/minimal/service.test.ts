import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DROPPED_VALUES_METRIC, OVERFLOW_RECORDS_METRIC, runtimeDefinitions } from '@ttquant/metrics';
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

/** The sum of every sample of `name` in a text exposition. */
function total(body: string, name: string): number {
  let sum = 0;
  for (const match of body.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(match[1]);
  return sum;
}

/** Every `# TYPE` line, minus the runtime metrics and self-metrics the server adds to any catalog. */
function ownTypeLines(body: string): string[] {
  const added = new Set([
    ...Object.values(runtimeDefinitions).map((d) => d.name),
    DROPPED_VALUES_METRIC,
    OVERFLOW_RECORDS_METRIC,
  ]);
  return body.split('\n').filter((line) => line.startsWith('# TYPE ') && !added.has(line.split(' ')[2] ?? ''));
}

async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
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
    const urlLine = /^minimal: metrics at (http:\/\/\S+\/metrics)$/m;
    await until(() => urlLine.test(output) || child.exitCode !== null, 20_000);
    const url = urlLine.exec(output)?.[1];
    expect(url, output).toBeDefined();
    const scrape = async (): Promise<string> => {
      const response = await fetch(url as string);
      expect(response.status).toBe(200);
      return response.text();
    };

    const first = await scrape();
    expect(ownTypeLines(first)).toEqual([
      '# TYPE example_order_acks_total counter',
      '# TYPE example_order_ack_latency_ms histogram',
    ]);
    // The timer records every 100 ms: within a few seconds the counter and the histogram both move.
    const before = total(first, 'example_order_acks_total');
    let body = first;
    const deadline = Date.now() + 5_000;
    while (total(body, 'example_order_acks_total') <= before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      body = await scrape();
    }
    const acks = total(body, 'example_order_acks_total');
    expect(acks).toBeGreaterThan(before);
    // One latency sample per ack, so the histogram counts agree with the counter in the same scrape.
    expect(total(body, 'example_order_ack_latency_ms_count')).toBe(acks);

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
