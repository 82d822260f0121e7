import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { MarketDataMetrics, PrometheusWriter } from '@ttquant/metrics';
import { pollUntil, readExposition } from '@ttquant/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import { readMarketDataConfig } from './config.js';
import { type Feeds, startFeeds } from './feeds.js';
import type { TickRecord } from './tick-store.js';

// The feeds in threads: a venue's frames are parsed and recorded in its own thread while the
// service thread is blocked, and their ticks reach the service thread afterwards, in order.

// A stand-in exchange in a thread of its own (the service thread is blocked while it sends): on
// "send N" it sends N trades to every connection, numbered by price, and answers "sent".
const EXCHANGE = `
const { parentPort } = require('node:worker_threads');
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('listening', () => parentPort.postMessage({ port: wss.address().port }));
let price = 0;
parentPort.on('message', ({ send }) => {
  for (let i = 0; i < send; i++) {
    price++;
    const frame = JSON.stringify({ e: 'trade', s: 'BTCUSDT', p: String(price), q: '1', S: 'buy', T: Date.now() });
    for (const ws of wss.clients) ws.send(frame);
  }
  parentPort.postMessage({ sent: send });
});
`;

let feeds: Feeds | undefined;
let exchange: Worker | undefined;
afterEach(async () => {
  await feeds?.close();
  await exchange?.terminate();
});

function exposed(metrics: MarketDataMetrics) {
  return readExposition(new PrometheusWriter([metrics], { selfMetrics: false }).renderText());
}

describe('feeds in threads', () => {
  it('parse and record in their own thread while the service thread is blocked, then deliver every tick in order', async () => {
    exchange = new Worker(EXCHANGE, { eval: true });
    const [{ port }] = (await once(exchange, 'message')) as [{ port: number }];
    const metrics = new MarketDataMetrics({ shared: { threads: 4 } });
    const ticks: TickRecord[] = [];
    const config = readMarketDataConfig({ EXCHANGES: 'binance', EXCHANGE_WS_URL: `ws://127.0.0.1:${port}` });
    expect(config.feed.threads).toBe(true);
    feeds = startFeeds({
      metrics,
      feed: config.feed,
      logger: createLogger('feeds-test', { LOG_LEVEL: 'silent' }),
      now: Date.now,
      random: Math.random,
      onTick: (tick) => ticks.push(tick),
    });
    await pollUntil(() => feeds?.connected('binance') === true, 'the feed thread to connect', 10_000, 10);

    const flags = new Int32Array(new SharedArrayBuffer(4));
    const sent = once(exchange, 'message');
    exchange.postMessage({ send: 500 });
    // This thread stops; the exchange and the feed thread do not.
    Atomics.wait(flags, 0, 0, 1_500);
    // Before this thread has taken a single message: the feed thread parsed every frame meanwhile.
    const during = exposed(metrics);
    expect(during.value('market_data_latency_ms_count', { exchange: 'binance', type: 'trade' })).toBe(500);
    expect(during.value('market_last_price', { exchange: 'binance', symbol: 'BTCUSDT' })).toBe(500);
    expect(ticks).toHaveLength(0);
    await sent;
    await pollUntil(() => ticks.length === 500, 'the ticks to reach this thread', 5_000, 5);
    expect(ticks.map((tick) => tick.price)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(new Set(ticks.map((tick) => tick.exchange))).toEqual(new Set(['binance']));
  });
});
