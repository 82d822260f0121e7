import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_FLAGS } from './node-flags.js';

// Every launcher of the example services passes the same Node flags: the npm scripts, the Docker
// image's entry point (the pipeline's process tree imports them).

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const SERVICES = ['exchange', 'market-data', 'gateway', 'strategy-engine'];

describe('SERVICE_NODE_FLAGS', () => {
  it('are the flags of each service’s npm script', () => {
    const scripts = (JSON.parse(read('../package.json')) as { scripts: Record<string, string> }).scripts;
    for (const name of SERVICES) {
      expect(scripts[name], `npm run ${name}`).toMatch(
        new RegExp(`^tsx ${SERVICE_NODE_FLAGS.join(' ')} \\S+/main\\.ts$`),
      );
    }
  });

  it('are the flags of the Docker image’s entry point', () => {
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(read('../../docker/Dockerfile.examples'))?.[1];
    expect(JSON.parse(entry ?? '[]')).toEqual(['node', ...SERVICE_NODE_FLAGS, '--import', 'tsx']);
  });

  it('bound the young generation of every thread of a process started with them (not without)', () => {
    // Objects that outlive a scavenge make V8 grow the new space; reported in MB, main and worker.
    const churn = `
      const v8 = require('node:v8');
      const ring = new Array(300000);
      for (let i = 0; i < 6e6; i++) ring[i % ring.length] = { i, s: 'x' + (i & 1023) };
      const mb = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;`;
    const script = `${churn}
      const { Worker } = require('node:worker_threads');
      new Worker(\`${churn.replaceAll('`', '\\`')}; require('node:worker_threads').parentPort.postMessage(mb);\`, { eval: true })
        .once('message', (worker) => console.log(JSON.stringify({ main: mb, worker })));`;
    const run = (flags: readonly string[]) =>
      JSON.parse(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' })) as Record<
        string,
        number
      >;
    const semi = Number(/^--max-semi-space-size=(\d+)$/.exec(SERVICE_NODE_FLAGS[0] ?? '')?.[1]);
    const bounded = run(SERVICE_NODE_FLAGS);
    expect(bounded.main).toBeLessThanOrEqual(2 * semi);
    expect(bounded.worker).toBeLessThanOrEqual(2 * semi);
    const unbounded = run([]);
    expect(
      Math.max(unbounded.main ?? 0, unbounded.worker ?? 0),
      'V8 without the flag grows the new space further',
    ).toBeGreaterThan(2 * semi);
  }, 60_000);
});
