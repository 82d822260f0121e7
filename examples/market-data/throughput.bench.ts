import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MarketDataMetrics } from '@ttquant/metrics';
import { createLogger } from '../shared/logger.js';
import { readMarketDataConfig } from './config.js';
import { type MarketDataHandle, startMarketData } from './service.js';

// `npx tsx examples/market-data/throughput.bench.ts [--quick]`: the market-data service in this
// process (one venue parsed in its feed thread, PGlite in memory, ZeroMQ, metrics server in a
// worker thread), fed by a WebSocket sender in a
// child process so the sender's CPU is not counted. Reports:
//   1. the highest sustained tick rate (sender as fast as the socket drains);
//   2. at 10,000 ticks/s: the service's CPU, market_data_latency_ms p99 (from the histogram), and
//      the event-loop delay p99 while /metrics is scraped every 100 ms;
//   3. the cost of the metrics on the hot path: the exact per-tick record calls timed in a loop,
//      as a share of one core at 10,000 ticks/s (the "metrics on vs. off" difference).

const quick = process.argv.includes('--quick');
const logger = createLogger('bench', { LOG_LEVEL: 'silent' });
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

// The sender: plain JS (no tsx) so it starts fast; rate 0 = as fast as the socket drains.
const SENDER = `
const { WebSocketServer } = require('ws');
const rate = Number(process.env.RATE);
const symbols = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
let n = 0;
function frame() {
  n++;
  const s = symbols[n % 3];
  const T = Date.now();
  const k = n % 10;
  if (k < 6) return JSON.stringify({ e: 'trade', s, p: (60000 + (n % 100)).toFixed(2), q: '0.010', S: n % 2 ? 'buy' : 'sell', T });
  if (k < 9) return JSON.stringify({ e: 'book', s, b: ['59999.50', '1.2'], a: ['60000.50', '0.8'], T });
  return JSON.stringify({ e: 'ticker', s, p: '60000.00', v: '12345.6', T });
}
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('listening', () => console.log('port ' + wss.address().port));
wss.on('connection', (ws) => {
  if (rate > 0) {
    // 1 ms ticks, carrying the fractional remainder, so the rate holds on average.
    let due = 0;
    const start = Date.now();
    const timer = setInterval(() => {
      const target = Math.floor(((Date.now() - start) * rate) / 1000);
      while (due < target) { ws.send(frame()); due++; }
    }, 1);
    ws.on('close', () => clearInterval(timer));
  } else {
    const pump = () => {
      if (ws.readyState !== ws.OPEN) return;
      while (ws.bufferedAmount < 1 << 20) for (let i = 0; i < 200; i++) ws.send(frame());
      setImmediate(pump);
    };
    pump();
  }
});
`;

async function startSender(rate: number): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['-e', SENDER], { cwd: repoRoot, env: { ...process.env, RATE: String(rate) } });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  proc.stderr?.pipe(process.stderr);
  const deadline = Date.now() + 10_000;
  while (!/port (\d+)/.test(out)) {
    if (Date.now() > deadline) throw new Error('sender did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  return { proc, port: Number(/port (\d+)/.exec(out)?.[1]) };
}

async function stopSender(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  await exited;
}

async function startService(port: number): Promise<MarketDataHandle> {
  const config = readMarketDataConfig({
    EXCHANGES: 'binance',
    EXCHANGE_WS_URL: `ws://127.0.0.1:${port}`,
    MD_ZMQ_ENDPOINT: 'tcp://127.0.0.1:*',
    MD_METRICS_PORT: '0',
    DB_BUFFER_MAX: '1000000',
    // PGlite in memory, as the figures in the README were measured (DB_DATA_DIR in the environment to change it).
    DB_DATA_DIR: process.env.DB_DATA_DIR ?? 'memory',
    // The spool on, as by default, in a fresh folder (MD_SPOOL_DIR='' in the environment measures without it).
    MD_SPOOL_DIR: process.env.MD_SPOOL_DIR ?? mkdtempSync(join(tmpdir(), 'md-bench-spool-')),
    // MD_FEED_THREADS=0 in the environment measures the one-thread service for comparison.
    ...(process.env.MD_FEED_THREADS === undefined ? {} : { MD_FEED_THREADS: process.env.MD_FEED_THREADS }),
  });
  return startMarketData(config, { logger });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Upper bound of the bucket holding the q-quantile, from the exposition's cumulative buckets. */
function histogramQuantile(body: string, type: string, q: number): string {
  const re = new RegExp(
    `market_data_latency_ms_bucket\\{exchange="binance",type="${type}",le="([^"]+)"\\} (\\d+)`,
    'g',
  );
  const buckets = [...body.matchAll(re)].map((m) => ({ le: m[1] as string, n: Number(m[2]) }));
  const total = buckets[buckets.length - 1]?.n ?? 0;
  return buckets.find((b) => b.n >= q * total)?.le ?? 'n/a';
}

// 1. Highest sustained rate.
{
  const sender = await startSender(0);
  const md = await startService(sender.port);
  await sleep(1_000);
  const seconds = quick ? 3 : 8;
  const a0 = md.counts();
  const t0 = performance.now();
  await sleep(seconds * 1_000);
  const a1 = md.counts();
  const dt = (performance.now() - t0) / 1_000;
  await stopSender(sender.proc);
  const final = await md.close();
  // Ingest (parse, metrics, ZeroMQ, buffer) and storage are separate limits: when the feed outruns
  // the database, the buffer fills and the excess is dropped and counted.
  console.log(
    `max: ingest ${Math.round((a1.received - a0.received) / dt)} ticks/s (parsed, published, buffered); ` +
      `storage ${Math.round((a1.written - a0.written) / dt)} rows/s written to PGlite; ` +
      `buffered at the end ${a1.buffered}; after close ${JSON.stringify(final)}`,
  );
}

// 2. At 10,000 ticks/s.
{
  const rate = 10_000;
  const sender = await startSender(rate);
  const md = await startService(sender.port);
  await sleep(1_500);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const seconds = quick ? 3 : 10;
  let scrapes = 0;
  let stop = false;
  const scraper = (async () => {
    while (!stop) {
      await (await fetch(`${md.metricsUrl}/metrics`)).arrayBuffer();
      scrapes++;
      await sleep(100);
    }
  })();
  const a0 = md.counts();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  loop.enable();
  await sleep(seconds * 1_000);
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const a1 = md.counts();
  stop = true;
  await scraper;
  const body = await (await fetch(`${md.metricsUrl}/metrics`)).text();
  await stopSender(sender.proc);
  await md.close();
  const cpuPct = ((cpu.user + cpu.system) / 1_000 / wall) * 100;
  console.log(
    `at ${rate}/s: received ${Math.round(((a1.received - a0.received) * 1000) / wall)}/s, ` +
      `service CPU ${cpuPct.toFixed(1)}% of one core, ` +
      `market_data_latency_ms (trade) p50 ≤ ${histogramQuantile(body, 'trade', 0.5)} ms, p90 ≤ ${histogramQuantile(body, 'trade', 0.9)} ms, ` +
      `p99 ≤ ${histogramQuantile(body, 'trade', 0.99)} ms, p99.9 ≤ ${histogramQuantile(body, 'trade', 0.999)} ms (bucket bounds), ` +
      `event-loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(2)} ms (max ${(loop.max / 1e6).toFixed(2)}) ` +
      `with ${scrapes} scrapes`,
  );

  // 3. The hot path's metric calls alone (what turning metrics off would save).
  const metrics = new MarketDataMetrics();
  const received = metrics.received.bind({ exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' });
  const latency = metrics.latency.bind({ exchange: 'binance', type: 'trade' });
  const price = metrics.lastPrice.bind({ exchange: 'binance', symbol: 'BTCUSDT' });
  const published = metrics.zmqPublished.bind({ exchange: 'binance', type: 'trade' });
  const n = 5_000_000;
  for (let round = 0; round < 2; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      received.inc();
      latency.observe(i & 63);
      price.set(60_000 + (i & 7));
      published.inc();
    }
    const ns = Number(process.hrtime.bigint() - start) / n;
    if (round === 1) {
      console.log(
        `metric calls per tick (inc, observe, set, inc): ${ns.toFixed(1)} ns → ${((ns * rate) / 1e7).toFixed(3)}% of one core at ${rate}/s ` +
          `(service total ${cpuPct.toFixed(1)}%: metrics are ${(((ns * rate) / 1e7 / cpuPct) * 100).toFixed(2)}% of the service's CPU)`,
      );
    }
  }
}
console.log(`node ${process.version}, ${new Date().toISOString()}`);
