import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { MarketDataMetrics, PrometheusWriter, throwOnInvalidValue } from '@ttquant/metrics';
import { pollUntil, readExposition } from '@ttquant/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import * as zmq from 'zeromq';
import { createLogger } from '../shared/logger.js';
import type { Tick, Venue } from '../shared/protocol.js';
import { readMarketDataConfig } from './config.js';
import { pgliteClient } from './database.js';
import { type MarketDataHandle, startMarketData } from './service.js';

// The service against real parts: a ws server standing in for the exchange (it sends protocol
// frames), a real ZeroMQ SUB, real PGlite, and the real metrics server.

const T0 = 1_700_000_000_000;
const clock = { t: T0 + 7 }; // every message "arrives" 7 ms after T0

let exchange: WebSocketServer;
const sockets: Record<Venue, WebSocket[]> = { binance: [], okx: [] };
let pglite: PGlite;
let md: MarketDataHandle;
let metrics: MarketDataMetrics;
let sub: zmq.Subscriber;
const received: { topic: string; tick: Tick }[] = [];

function open(venue: Venue): WebSocket {
  const live = sockets[venue].filter((s) => s.readyState === s.OPEN);
  const ws = live[live.length - 1];
  if (ws === undefined) throw new Error(`no open ${venue} connection`);
  return ws;
}

function send(venue: Venue, frame: unknown, binary = false): void {
  open(venue).send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame), { binary });
}

const trade = (s = 'BTCUSDT', p = '65000.1', T = T0) => ({ e: 'trade', s, p, q: '0.25', S: 'buy', T });

beforeAll(async () => {
  exchange = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  exchange.on('connection', (ws, req) => {
    const venue = req.url?.slice('/ws/'.length) as Venue;
    if (venue !== 'binance' && venue !== 'okx') ws.close(1008, 'unknown venue');
    else sockets[venue].push(ws);
  });
  await once(exchange, 'listening');
  const { port } = exchange.address() as AddressInfo;

  pglite = new PGlite();
  await pglite.waitReady;
  metrics = new MarketDataMetrics({ onInvalidValue: throwOnInvalidValue });
  const config = readMarketDataConfig({
    EXCHANGES: 'binance,okx',
    EXCHANGE_WS_URL: `ws://127.0.0.1:${port}`,
    MD_ZMQ_ENDPOINT: 'tcp://127.0.0.1:*',
    MD_METRICS_PORT: '0',
    MD_RECONNECT_MIN_MS: '10',
    MD_RECONNECT_MAX_MS: '40',
    MD_MAX_FRAME_BYTES: '1024',
    // On this thread: the test drives the clock the feeds read.
    MD_FEED_THREADS: '0',
    DB_BATCH_SIZE: '1000',
    DB_FLUSH_MS: '60000',
    DB_RETRY_MIN_MS: '5',
    DB_RETRY_MAX_MS: '20',
    MD_SPOOL_DIR: '',
  });
  md = await startMarketData(config, {
    metrics,
    logger: createLogger('md-test', { LOG_LEVEL: process.env.TEST_LOG ?? 'silent' }),
    database: pgliteClient(pglite, false),
    now: () => clock.t,
  });
  await pollUntil(() => md.connected('binance') && md.connected('okx'), 'both feeds to connect', 5_000, 5);

  sub = new zmq.Subscriber();
  sub.connect(md.zmqEndpoint);
  sub.subscribe('tick.');
  void (async () => {
    for await (const [topic, payload] of sub) {
      received.push({ topic: String(topic), tick: JSON.parse(String(payload)) as Tick });
    }
  })().catch(() => undefined);
  // ZeroMQ's slow joiner: send until the subscription is live, then start from a clean slate.
  await pollUntil(
    () => {
      send('okx', trade('SOLUSDT', '1'));
      return received.length > 0;
    },
    'the ZeroMQ subscription',
    5_000,
    5,
  );
  await md.flush();
}, 60_000);

afterAll(async () => {
  sub?.close();
  await md?.close();
  for (const ws of [...sockets.binance, ...sockets.okx]) ws.terminate();
  await new Promise((resolve) => exchange?.close(resolve));
  await pglite?.close();
});

/**
 * One series' value in the catalog's own exposition, rendered in process; `undefined` when the series
 * does not exist. Never `bind()` to read a value: it creates the very series the test would check.
 *
 * @param family - the metric family (its wire name)
 * @param labels - the series' full label set
 * @returns its value, or `undefined`
 */
function exposed(family: { readonly name: string }, labels: Readonly<Record<string, string>>): number | undefined {
  return readExposition(new PrometheusWriter([metrics], { selfMetrics: false }).renderText()).value(
    family.name,
    labels,
  );
}

function receivedCount(venue: Venue, symbol: string, type: 'trade' | 'ticker' | 'book'): number {
  return exposed(metrics.received, { exchange: venue, symbol, type }) ?? 0;
}

function parseErrors(venue: Venue, reason: 'invalid_json' | 'unknown_type' | 'missing_field' | 'invalid_value') {
  return exposed(metrics.parseErrors, { exchange: venue, reason }) ?? 0;
}

async function scrape(): Promise<string> {
  return (await fetch(`${md.metricsUrl}/metrics`)).text();
}

describe('market-data service', () => {
  it('publishes each tick on ZeroMQ under tick.{exchange}.{symbol} and moves the metrics', async () => {
    const ours = () => received.filter((r) => r.topic.startsWith('tick.binance.'));
    send('binance', trade());
    send('binance', { e: 'ticker', s: 'BTCUSDT', p: '65010.5', v: '12345.5', T: T0 });
    send('binance', { e: 'book', s: 'BTCUSDT', b: ['65000', '1'], a: ['65001', '2'], T: T0 + 10 });
    await pollUntil(() => ours().length === 3, 'three ticks on the bus', 5_000, 5);
    const common = { exchange: 'binance', symbol: 'BTCUSDT', receivedTime: T0 + 7 };
    expect(ours()).toEqual([
      {
        topic: 'tick.binance.BTCUSDT',
        tick: { ...common, type: 'trade', price: 65000.1, quantity: 0.25, volume24h: 0, exchangeTime: T0 },
      },
      {
        topic: 'tick.binance.BTCUSDT',
        tick: { ...common, type: 'ticker', price: 65010.5, quantity: 0, volume24h: 12345.5, exchangeTime: T0 },
      },
      {
        topic: 'tick.binance.BTCUSDT',
        tick: { ...common, type: 'book', price: 65000.5, quantity: 0, volume24h: 0, exchangeTime: T0 + 10 },
      },
    ]);
    await pollUntil(
      () => exposed(metrics.zmqPublished, { exchange: 'binance', type: 'book' }) === 1,
      'publish count',
      5_000,
      5,
    );

    const body = await scrape();
    expect(body).toContain('market_data_received_total{exchange="binance",symbol="BTCUSDT",type="trade"} 1\n');
    expect(body).toContain('market_data_received_total{exchange="binance",symbol="BTCUSDT",type="ticker"} 1\n');
    expect(body).toContain('market_data_received_total{exchange="binance",symbol="BTCUSDT",type="book"} 1\n');
    expect(body).toContain('zmq_published_total{exchange="binance",type="trade"} 1\n');
    expect(body).toContain('market_last_price{exchange="binance",symbol="BTCUSDT"} 65010.5\n');
    expect(body).toContain('market_volume_24h{exchange="binance",symbol="BTCUSDT"} 12345.5\n');
    expect(body).toContain('ws_connection_status{exchange="binance"} 1\n');
    // 7 ms after T0 for trade and ticker; the book's T is 3 ms ahead of our clock: skew, recorded as 0.
    expect(body).toContain('market_data_latency_ms_bucket{exchange="binance",type="trade",le="5"} 0\n');
    expect(body).toContain('market_data_latency_ms_bucket{exchange="binance",type="trade",le="10"} 1\n');
    expect(body).toContain('market_data_latency_ms_sum{exchange="binance",type="trade"} 7\n');
    expect(body).toContain('market_data_latency_ms_bucket{exchange="binance",type="book",le="1"} 1\n');
    expect(body).toContain('market_data_latency_ms_sum{exchange="binance",type="book"} 0\n');
    expect(md.clockSkewed).toBe(1);
    // No gauge for a symbol that has not traded yet.
    expect(body).not.toContain('market_last_price{exchange="binance",symbol="ETHUSDT"}');
  });

  it('counts malformed and hostile frames by reason and keeps the connection', async () => {
    const connections = exposed(metrics.reconnects, { exchange: 'okx' }) ?? 0;
    const valid = receivedCount('okx', 'ETHUSDT', 'trade');
    send('okx', '{"e":"trade",'); // invalid_json
    send('okx', Buffer.from(JSON.stringify(trade('ETHUSDT'))), true); // invalid_json: binary frame
    send('okx', JSON.stringify({ ...trade('ETHUSDT'), pad: 'x'.repeat(2_000) })); // invalid_json: over 1 KiB
    send('okx', { ...trade('ETHUSDT'), e: 'funding' }); // unknown_type
    send('okx', { e: 'trade', s: 'ETHUSDT', q: '1', S: 'buy', T: T0 }); // missing_field
    send('okx', { ...trade('ETHUSDT'), p: 'NaN' }); // invalid_value
    send('okx', { ...trade('ETHUSDT'), p: '-5' }); // invalid_value
    send('okx', trade('DOGEUSDT')); // invalid_value: not in MD_SYMBOLS
    send('okx', trade('ETHUSDT')); // the one valid message, last
    await pollUntil(
      () => receivedCount('okx', 'ETHUSDT', 'trade') === valid + 1,
      'the valid trade after the bad ones',
      5_000,
      5,
    );
    expect([
      parseErrors('okx', 'invalid_json'),
      parseErrors('okx', 'unknown_type'),
      parseErrors('okx', 'missing_field'),
      parseErrors('okx', 'invalid_value'),
    ]).toEqual([3, 1, 1, 3]);
    expect(parseErrors('binance', 'invalid_json')).toBe(0);
    expect(md.connected('okx')).toBe(true);
    expect(exposed(metrics.reconnects, { exchange: 'okx' }) ?? 0).toBe(connections);
    expect(await scrape()).toContain('message_parse_errors_total{exchange="okx",reason="invalid_json"} 3\n');
  });

  it('reconnects with backoff after the exchange drops the connection', async () => {
    const status = (): number | undefined => exposed(metrics.connectionStatus, { exchange: 'binance' });
    const reconnects = (): number => exposed(metrics.reconnects, { exchange: 'binance' }) ?? 0;
    const before = reconnects();
    const dropped = open('binance');
    dropped.terminate();
    await pollUntil(() => status() === 0, 'status 0 after the drop', 5_000, 5);
    await pollUntil(() => md.connected('binance'), 'the reconnection', 5_000, 5);
    expect(status()).toBe(1);
    expect(reconnects()).toBe(before + 1);
    expect(md.connected('okx')).toBe(true);
    // The new connection carries ticks.
    const trades = receivedCount('binance', 'BTCUSDT', 'trade');
    await pollUntil(
      () => sockets.binance.some((s) => s !== dropped && s.readyState === s.OPEN),
      'server side',
      5_000,
      5,
    );
    send('binance', trade());
    await pollUntil(
      () => receivedCount('binance', 'BTCUSDT', 'trade') === trades + 1,
      'a tick after reconnecting',
      5_000,
      5,
    );
    expect(await scrape()).toContain(`ws_reconnect_total{exchange="binance"} ${before + 1}\n`);
  });

  it('treats a frame over ws maxPayload as invalid_json and reconnects', async () => {
    const reconnects = (): number => exposed(metrics.reconnects, { exchange: 'binance' }) ?? 0;
    const before = reconnects();
    const errors = parseErrors('binance', 'invalid_json');
    send('binance', 'x'.repeat(4 * 1024 * 1024 + 1));
    await pollUntil(() => reconnects() === before + 1 && md.connected('binance'), 'the reconnection', 5_000, 5);
    expect(parseErrors('binance', 'invalid_json')).toBe(errors + 1);
  });

  it('writes ticks to the database through an outage without losing any', async () => {
    md.injectFault(60_000);
    for (let i = 0; i < 20; i++) send('okx', trade('ETHUSDT', `${3000 + i}`));
    await pollUntil(() => md.counts('okx').buffered >= 20, 'ticks buffered', 5_000, 5);
    // One scrape balances the tick counts while rows wait: received = written + dropped + buffered.
    const during = readExposition(await scrape());
    const okx = { exchange: 'okx' };
    const buffered = during.value('db_buffered_ticks', okx);
    expect(buffered).toBeGreaterThanOrEqual(20);
    expect(during.sum('market_data_received_total', okx)).toBe(
      (during.sum('db_writes_total', okx) ?? 0) +
        (during.value('db_write_errors_total', { exchange: 'okx', reason: 'dropped' }) ?? 0) +
        (buffered ?? 0),
    );
    const flushing = md.flush();
    const connectionErrors = (): number =>
      exposed(metrics.dbWriteErrors, { exchange: 'okx', reason: 'connection' }) ?? 0;
    await pollUntil(() => connectionErrors() >= 2, 'failed write attempts', 5_000, 5);
    clock.t += 60_000; // the outage ends (the store's fault window is on the injected clock)
    await flushing;
    const a = md.counts();
    expect(a.buffered).toBe(0);
    expect(a.received).toBe(a.written + a.dropped + a.buffered);
    // Every parsed message reached the store.
    let parsed = 0;
    for (const venue of ['binance', 'okx'] as const) {
      for (const symbol of ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']) {
        for (const type of ['trade', 'ticker', 'book'] as const) parsed += receivedCount(venue, symbol, type);
      }
    }
    expect(a.received).toBe(parsed);
    const rows = await pglite.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM trades WHERE exchange = 'okx' AND symbol = 'ETHUSDT' AND price >= 3000 AND price < 3020",
    );
    expect(rows.rows[0]?.n).toBe(20);
    const after = readExposition(await scrape());
    expect(after.value('db_write_errors_total', { exchange: 'okx', reason: 'connection' })).toBeGreaterThanOrEqual(2);
    expect(after.value('db_writes_total', { exchange: 'okx', table: 'trades' })).toBe(md.counts('okx').written);
    expect(after.value('db_buffered_ticks', okx)).toBe(0);
  });

  it('close() stops the feeds, flushes the buffer and frees the ports', async () => {
    for (let i = 0; i < 5; i++) send('binance', { e: 'ticker', s: 'SOLUSDT', p: `${150 + i}`, v: '10', T: T0 });
    await pollUntil(() => md.counts('binance').buffered === 5, 'five buffered tickers', 5_000, 5);
    const final = await md.close();
    expect(final.buffered).toBe(0);
    expect(final.dropped).toBe(0);
    expect(final.received).toBe(final.written);
    const n = await pglite.query<{ n: number }>("SELECT count(*)::int AS n FROM tickers WHERE symbol = 'SOLUSDT'");
    expect(n.rows[0]?.n).toBe(5);
    expect(exposed(metrics.connectionStatus, { exchange: 'binance' })).toBe(0);
    await expect(fetch(`${md.metricsUrl}/metrics`)).rejects.toThrow();
    await pollUntil(
      () => sockets.binance.every((s) => s.readyState === s.CLOSED),
      'the feed sockets to close',
      5_000,
      5,
    );
  });
});
