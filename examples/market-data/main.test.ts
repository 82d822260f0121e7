import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pollUntil, readExposition } from '@ttquant/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';

// main.ts as a process: it prints where it listens, and SIGTERM flushes every buffered tick to the
// database before it exits 0 with the final tick counts.

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
let exchange: WebSocketServer;
const feeds: WebSocket[] = [];
let child: ChildProcess | undefined;
let output = '';

function start(env: Record<string, string>): ChildProcess {
  output = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', main], {
    // No spool, ticks in memory: each run starts clean, and nothing is written into the repository.
    env: { ...process.env, LOG_LEVEL: 'warn', MD_SPOOL_DIR: '', DB_DATA_DIR: 'memory', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  proc.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return proc;
}

beforeAll(async () => {
  exchange = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/ws/binance' });
  exchange.on('connection', (ws) => feeds.push(ws));
  await once(exchange, 'listening');
});

afterAll(async () => {
  if (child?.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  for (const ws of feeds) ws.terminate();
  await new Promise((resolve) => exchange?.close(resolve));
});

describe('market-data main.ts', () => {
  it('exits 2 on a bad variable, naming it', async () => {
    const proc = start({ MD_METRICS_PORT: 'eighty' });
    const [code] = await once(proc, 'exit');
    expect(code).toBe(2);
    expect(output).toContain('market-data: MD_METRICS_PORT=eighty');
  });

  it('on SIGTERM writes every buffered tick, logs the tick counts and exits 0', async () => {
    const { port } = exchange.address() as AddressInfo;
    child = start({
      EXCHANGES: 'binance',
      EXCHANGE_WS_URL: `ws://127.0.0.1:${port}`,
      MD_METRICS_PORT: '0',
      MD_ZMQ_ENDPOINT: 'tcp://127.0.0.1:*',
      // Nothing is written before shutdown: one big batch, a long timer.
      DB_BATCH_SIZE: '10000',
      DB_FLUSH_MS: '600000',
    });
    await pollUntil(
      () => /metrics at (http:\S+)\/metrics/.test(output) && feeds.length > 0,
      'the service to start',
      45_000,
      5,
    );
    const url = /metrics at (http:\S+)\/metrics/.exec(output)?.[1] as string;
    const feed = feeds[0] as WebSocket;
    for (let i = 0; i < 40; i++) {
      feed.send(JSON.stringify({ e: 'trade', s: 'BTCUSDT', p: `${60_000 + i}`, q: '0.1', S: 'sell', T: Date.now() }));
    }
    feed.send('{"e": oops');
    const trades = { exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' };
    const exposed = await pollUntil(
      async () => {
        const scraped = readExposition(await (await fetch(`${url}/metrics`)).text());
        return scraped.value('market_data_received_total', trades) === 40 && scraped;
      },
      'the 40 trades counted',
      10_000,
      25,
    );
    expect(exposed.value('message_parse_errors_total', { exchange: 'binance', reason: 'invalid_json' })).toBe(1);
    expect(exposed.value('db_writes_total', { exchange: 'binance', table: 'trades' })).toBe(0);

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(output).toContain(
      'market-data: stopped on SIGTERM (received 40, written 40, dropped 0, buffered 0, deleted by retention 0)',
    );
  }, 60_000);
});
