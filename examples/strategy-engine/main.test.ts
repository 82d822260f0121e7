import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { pollUntil } from '@ttquant/test-kit';
import { afterEach, describe, expect, it } from 'vitest';

// The entry point as a process: it prints where its metrics are, serves them, exits 0 on SIGTERM,
// and exits 2 on a bad variable.

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const children: ChildProcess[] = [];

function start(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      ENGINE_METRICS_PORT: '0',
      // Nobody listens here: ZeroMQ connects lazily and retries, the engine serves metrics regardless.
      MD_ZMQ_ENDPOINT: 'tcp://127.0.0.1:1',
      GATEWAY_ZMQ_ENDPOINT: 'tcp://127.0.0.1:1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill('SIGKILL');
  }
});

describe('strategy-engine main', () => {
  it('prints its metrics URL, serves the catalogs, and exits 0 on SIGTERM', async () => {
    const { child, output } = start({});
    const url = await pollUntil(
      () => {
        if (child.exitCode !== null) throw new Error(`engine exited with ${child.exitCode}:\n${output()}`);
        return /strategy-engine: metrics at (http:\/\/\S+)\/metrics/.exec(output())?.[1];
      },
      'the metrics URL line',
      15_000,
      50,
    );
    const body = await (await fetch(`${url}/metrics`)).text();
    expect(body).toContain('engine_active_strategies 2\n');
    expect(body).toContain('strategy_sharpe_ratio{strategy="ma_cross"} NaN\n');
    expect(body).toContain('process_cpu_user_seconds_total');
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(output()).toContain('"msg":"strategy engine stopped"');
  }, 20_000);

  it('exits 2 naming a bad variable', async () => {
    const { child, output } = start({ ENGINE_STRATEGIES: 'ma_cross:ftx:BTCUSDT' });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(output()).toContain(
      'strategy-engine: ENGINE_STRATEGIES=ma_cross:ftx:BTCUSDT: "ma_cross:ftx:BTCUSDT" has exchange "ftx"',
    );
  }, 20_000);
});
