import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readExchangeConfig } from '../fixtures/exchange/config.js';
import { type Exchange, startExchange } from '../fixtures/exchange/service.js';
import { type RunningService, type ServiceSpec, startService, stopServices } from '../pipeline/process-tree.js';
import { VENUES, type Venue } from '../shared/protocol.js';

// Market data keeps its ticks on disk (a PGlite folder per process), across a restart, and the
// backtest reads the folders of both venues' processes, once they are stopped, as one store.

const mdEntry = fileURLToPath(new URL('../market-data/main.ts', import.meta.url));
const backtestEntry = fileURLToPath(new URL('./main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'md-on-disk-'));
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  rmSync(dir, { recursive: true, force: true });
});

const dataDir = (venue: Venue) => join(dir, `ticks-${venue}`);

function mdSpec(venue: Venue, exchange: Exchange): ServiceSpec {
  return {
    name: `market-data-${venue}`,
    entry: mdEntry,
    ready: /market-data: metrics at (\S+)\/metrics/,
    env: {
      EXCHANGES: venue,
      EXCHANGE_URL: exchange.url,
      MD_METRICS_PORT: '0',
      MD_ZMQ_ENDPOINT: 'tcp://127.0.0.1:*',
      DB_DATA_DIR: dataDir(venue),
      MD_SPOOL_DIR: join(dir, `spool-${venue}`),
      DB_FLUSH_MS: '50',
      LOG_LEVEL: 'warn',
    },
  };
}

/** Runs market data for `ms`, stops it with SIGTERM, and returns the ticks it wrote (its stop line). */
async function runFor(spec: ServiceSpec, ms: number): Promise<number> {
  const lines: string[] = [];
  // A first start runs initdb in the folder: seconds, more on a busy machine.
  const service: RunningService = await startService(spec, {
    onLine: (_name, line) => lines.push(line),
    readyTimeoutMs: 90_000,
  });
  cleanup.push(() => stopServices([service], 2_000));
  await new Promise((resolve) => setTimeout(resolve, ms));
  const [result] = await stopServices([service]);
  expect(result?.code, lines.slice(-10).join('\n')).toBe(0);
  const stop = lines
    .map((l) =>
      /stopped on SIGTERM \(received (\d+), written (\d+), dropped (\d+), buffered (\d+), deleted by retention (\d+)\)/.exec(
        l,
      ),
    )
    .find((m) => m);
  expect(stop, lines.slice(-10).join('\n')).toBeDefined();
  const [, received, written, dropped, buffered, deleted] = (stop as RegExpExecArray).map(Number);
  expect({ dropped, buffered, deleted }).toEqual({ dropped: 0, buffered: 0, deleted: 0 });
  expect(written).toBe(received);
  return written as number;
}

function backtest(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', backtestEntry], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('market data on disk, read back by the backtest', () => {
  it('keeps each process’s ticks across a restart, and the backtest replays both venues’ stores as one', async () => {
    const exchange = await startExchange({ ...readExchangeConfig({}), port: 0, tickMs: 5 });
    cleanup.push(() => exchange.close());
    const written: Record<Venue, number> = { binance: 0, okx: 0 };
    const exchangeRef = exchange;
    // Binance twice (a restart on the same folder), okx once, both at the same time the first time.
    const [b1, o1] = await Promise.all([
      runFor(mdSpec('binance', exchangeRef), 4_000),
      runFor(mdSpec('okx', exchangeRef), 4_000),
    ]);
    written.binance += b1;
    written.okx += o1;
    written.binance += await runFor(mdSpec('binance', exchangeRef), 3_000);
    expect(b1).toBeGreaterThan(0);
    expect(o1).toBeGreaterThan(0);

    const run = await backtest({
      BACKTEST_DATA_DIR: VENUES.map(dataDir).join(','),
      BACKTEST_NOOP: '1',
      BACKTEST_RUN_ID: 'on-disk',
    });
    expect(run.code, run.out).toBe(0);
    const replayed = /backtest on-disk: (\d+) ticks replayed/.exec(run.out);
    expect(replayed, run.out).not.toBeNull();
    // Every tick both processes wrote, across the restart, and nothing recorded by the backtest.
    expect(Number(replayed?.[1])).toBe(written.binance + written.okx);
    expect(run.out).not.toContain('just recorded');
  }, 300_000);
});
