import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { runtimeDefinitions } from '@ttquant/metrics';
import { pollUntil, readExposition } from '@ttquant/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { PROCESS_NAMES } from './specs.js';

// `npm run demo` runs this entry point: start it on free ports (DEMO_PORTS=free), check every
// service serves, then SIGTERM the parent and check the whole tree is gone with exit code 0.

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const pids: number[] = [];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterAll(() => {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

describe('npm run demo (examples/pipeline/main.ts)', () => {
  it('starts the exchange, a market data and a gateway per venue and the engine, serves /metrics, and stops the whole tree on SIGTERM', async () => {
    const demo = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, DEMO_QUIET: '1', LOG_LEVEL: 'warn', DEMO_PORTS: 'free' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (demo.pid !== undefined) pids.push(demo.pid);
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    demo.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await pollUntil(
      () => {
        if (demo.exitCode !== null) throw new Error(`demo exited with ${demo.exitCode}:\n${output}`);
        return output.includes('pipeline running');
      },
      "the demo's 'pipeline running' line",
      45_000,
    );
    for (const match of output.matchAll(/\(pid (\d+)\)/g)) pids.push(Number(match[1]));
    expect(pids).toHaveLength(PROCESS_NAMES.length + 1);
    const urls = [...output.matchAll(/^demo: (\S+) metrics at (http:\/\/\S+)\/metrics/gm)].map((m) => [m[1], m[2]]);
    expect(urls.map(([name]) => name)).toEqual(PROCESS_NAMES.filter((name) => name !== 'exchange'));
    // Each service serves its catalogs and the Node.js runtime metrics of its own process.
    for (const [name, url] of urls) {
      const where = `${name} ${url}`;
      const response = await fetch(`${url}/metrics`);
      expect(response.status).toBe(200);
      const exposed = readExposition(await response.text());
      for (const def of Object.values(runtimeDefinitions)) {
        expect(exposed.types.get(def.name), `${where}: ${def.name}`).toBe(def.kind);
      }
      // Started by this test, so within the last minute.
      const started = exposed.value('process_start_time_seconds');
      expect(started, where).toBeDefined();
      expect(Math.abs(Date.now() / 1000 - (started as number)), where).toBeLessThan(60);
    }

    const exited = once(demo, 'exit');
    demo.kill('SIGTERM');
    const [code] = await exited;
    expect(code, output).toBe(0);
    for (const name of PROCESS_NAMES) {
      expect(output).toContain(`demo: ${name} exited with 0`);
    }
    for (const pid of pids) expect(alive(pid), `pid ${pid} still running`).toBe(false);
  }, 60_000);
});
