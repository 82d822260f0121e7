import { MarketDataMetrics, PrometheusWriter, throwOnInvalidValue } from '@ttquant/metrics';
import { pollUntil, readExposition } from '@ttquant/test-kit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import type { Venue } from '../shared/protocol.js';
import {
  classifyDbError,
  DatabaseFaultError,
  DEFAULT_SHARED_BUFFERS_MB,
  openPgliteWorker,
  type SqlClient,
} from './database.js';
import { TICK_SCHEMA, type TickRecord, TickStore, type TickStoreOptions, ticksBalance } from './tick-store.js';

// Real PGlite in its worker thread (what the service runs by default), one instance for the file
// (each start runs initdb, ~3-5 s); the stores borrow it, and tables are emptied per test.

const logger = createLogger('tick-store-test', { LOG_LEVEL: 'silent' });
let worker: SqlClient;
let shared: SqlClient;
const stores: TickStore[] = [];

beforeAll(async () => {
  worker = await openPgliteWorker(undefined, logger);
  shared = { ...worker, close: async () => undefined };
  await shared.exec(TICK_SCHEMA);
});

afterAll(async () => {
  for (const s of stores) await s.close(0);
  await worker?.close();
});

let closed = false;
beforeEach(async () => {
  if (!closed) await shared.exec('TRUNCATE trades, tickers, books');
});

let seq = 0;
function tick(type: TickRecord['type'], exchange: Venue = 'binance', symbol = 'BTCUSDT'): TickRecord {
  seq++;
  const base = {
    exchange,
    symbol,
    type,
    exchangeTime: 1_700_000_000_000 + seq,
    receivedTime: 1_700_000_000_005 + seq,
    session: `${exchange}-test`,
    sequence: seq,
  };
  if (type === 'trade') {
    return {
      ...base,
      price: 100 + seq,
      quantity: 0.5,
      volume24h: 0,
      side: 'sell',
      bidPrice: 0,
      bidQty: 0,
      askPrice: 0,
      askQty: 0,
    };
  }
  if (type === 'ticker') {
    return {
      ...base,
      price: 100 + seq,
      quantity: 0,
      volume24h: 1_000,
      side: null,
      bidPrice: 0,
      bidQty: 0,
      askPrice: 0,
      askQty: 0,
    };
  }
  return {
    ...base,
    price: 100.5,
    quantity: 0,
    volume24h: 0,
    side: null,
    bidPrice: 100,
    bidQty: 2,
    askPrice: 101,
    askQty: 3,
  };
}

interface Harness {
  store: TickStore;
  metrics: MarketDataMetrics;
  clock: { t: number };
}

function makeStore(options: Partial<TickStoreOptions> = {}, client: SqlClient = shared): Harness {
  const metrics = new MarketDataMetrics({ onInvalidValue: throwOnInvalidValue });
  const clock = { t: 0 };
  const store = new TickStore(client, {
    exchanges: ['binance', 'okx'],
    metrics,
    logger,
    batchSize: 3,
    flushMs: 60_000,
    retryMinMs: 2,
    retryMaxMs: 10,
    now: () => clock.t,
    random: () => 0.5,
    ...options,
  });
  stores.push(store);
  return { store, metrics, clock };
}

async function count(table: string): Promise<number> {
  const r = await shared.query(`SELECT count(*)::int AS n FROM ${table}`);
  return (r.rows[0] as { n: number }).n;
}

/**
 * A counter's value in the catalog's exposition; never through bind(), which creates the series. A
 * venue's queue binds all its write and error series when it is made, so a missing one is a failure.
 */
function exposed(metrics: MarketDataMetrics, name: string, labels: Readonly<Record<string, string>>): number {
  const value = readExposition(new PrometheusWriter([metrics], { selfMetrics: false }).renderText()).value(
    name,
    labels,
  );
  if (value === undefined) throw new Error(`${name} ${JSON.stringify(labels)} is not exposed`);
  return value;
}

function errors(
  metrics: MarketDataMetrics,
  reason: 'connection' | 'query' | 'timeout' | 'dropped',
  exchange: Venue = 'binance',
) {
  return exposed(metrics, metrics.dbWriteErrors.name, { exchange, reason });
}

function writes(metrics: MarketDataMetrics, table: 'trades' | 'tickers' | 'books', exchange: Venue = 'binance') {
  return exposed(metrics, metrics.dbWrites.name, { exchange, table });
}

describe('TickStore batching', () => {
  it('writes a batch as soon as batchSize rows are buffered, and keeps the rest for the timer', async () => {
    const { store, metrics } = makeStore({ batchSize: 3 });
    const ticks = [
      tick('trade'),
      tick('ticker'),
      tick('book'),
      tick('trade'),
      tick('trade'),
      tick('trade'),
      tick('book'),
    ];
    for (const t of ticks) store.append(t);
    await pollUntil(() => store.counts().written === 6, 'two full batches', 5_000, 5);
    expect(store.counts()).toEqual({ received: 7, restored: 0, written: 6, duplicates: 0, dropped: 0, buffered: 1 });
    expect([await count('trades'), await count('tickers'), await count('books')]).toEqual([4, 1, 1]);
    expect([writes(metrics, 'trades'), writes(metrics, 'tickers'), writes(metrics, 'books')]).toEqual([4, 1, 1]);
    await store.flush();
    expect(store.counts()).toEqual({ received: 7, restored: 0, written: 7, duplicates: 0, dropped: 0, buffered: 0 });
    expect(writes(metrics, 'books')).toBe(2);
  });

  it('writes a partial batch after flushMs', async () => {
    const { store } = makeStore({ batchSize: 1_000, flushMs: 20 });
    store.append(tick('trade'));
    store.append(tick('ticker', 'okx', 'ETHUSDT'));
    expect(store.buffered).toBe(2);
    await pollUntil(() => store.buffered === 0, 'the timed flush', 5_000, 5);
    expect(store.counts('binance')).toEqual({
      received: 1,
      restored: 0,
      written: 1,
      duplicates: 0,
      dropped: 0,
      buffered: 0,
    });
    expect(store.counts('okx')).toEqual({
      received: 1,
      restored: 0,
      written: 1,
      duplicates: 0,
      dropped: 0,
      buffered: 0,
    });
  });

  it('stores every column of each kind of tick', async () => {
    const { store } = makeStore({ batchSize: 3 });
    const [t, k, b] = [tick('trade'), tick('ticker', 'okx', 'ETHUSDT'), tick('book')];
    store.append(t);
    store.append(k);
    store.append(b);
    await store.flush();
    const trade = (
      await shared.query(
        `SELECT exchange, symbol, price, quantity, side, (extract(epoch FROM time) * 1000)::bigint::float8 AS t,
                (extract(epoch FROM received_at) * 1000)::bigint::float8 AS r FROM trades`,
      )
    ).rows;
    expect(trade).toEqual([
      {
        exchange: 'binance',
        symbol: 'BTCUSDT',
        price: t.price,
        quantity: 0.5,
        side: 'sell',
        t: t.exchangeTime,
        r: t.receivedTime,
      },
    ]);
    expect((await shared.query('SELECT exchange, symbol, price, volume_24h FROM tickers')).rows).toEqual([
      { exchange: 'okx', symbol: 'ETHUSDT', price: k.price, volume_24h: 1_000 },
    ]);
    expect((await shared.query('SELECT bid_price, bid_qty, ask_price, ask_qty FROM books')).rows).toEqual([
      { bid_price: 100, bid_qty: 2, ask_price: 101, ask_qty: 3 },
    ]);
  });
});

describe('TickStore: each (venue, session, sequence) stored once', () => {
  it('skips rows the database already has, counting them as duplicates; rows without a number are always written', async () => {
    const { store } = makeStore({ batchSize: 1_000, flushMs: 10_000 });
    const sequenced = [tick('trade'), tick('book'), tick('ticker')];
    const plain = { ...tick('trade'), session: '', sequence: 0 };
    for (const t of [...sequenced, plain]) store.append(t);
    await store.flush();
    // The same rows again, as a restarted process restores them from its spool.
    store.restore([...sequenced, plain]);
    await store.flush();
    expect(store.counts()).toEqual({ received: 4, restored: 4, written: 5, duplicates: 3, dropped: 0, buffered: 0 });
    expect([await count('trades'), await count('tickers'), await count('books')]).toEqual([3, 1, 1]);
  });

  it('restores spooled rows past the buffer bound, then has no room for live ticks until they are written', async () => {
    const { store } = makeStore({ batchSize: 1_000, flushMs: 10_000, bufferMax: 2 });
    store.restore([tick('trade'), tick('trade'), tick('trade')]);
    expect(store.counts()).toMatchObject({ restored: 3, buffered: 3, dropped: 0 });
    expect(store.hasRoom()).toBe(false);
    await store.flush();
    expect(store.hasRoom(2)).toBe(true);
    expect(store.hasRoom(3)).toBe(false);
  });
});

describe('TickStore during a database outage', () => {
  it('counts each failed attempt, keeps the rows, and writes each exactly once after recovery', async () => {
    const { store, metrics, clock } = makeStore({ batchSize: 2 });
    store.injectFault(1_000);
    for (let i = 0; i < 5; i++) store.append(tick('trade'));
    await pollUntil(() => errors(metrics, 'connection') >= 3, 'three failed attempts', 5_000, 5);
    expect(store.counts()).toEqual({ received: 5, restored: 0, written: 0, duplicates: 0, dropped: 0, buffered: 5 });
    expect(ticksBalance(store.counts())).toBe(true);
    expect(await count('trades')).toBe(0);

    clock.t = 1_000; // the outage is over
    await store.flush();
    expect(store.counts()).toEqual({ received: 5, restored: 0, written: 5, duplicates: 0, dropped: 0, buffered: 0 });
    const prices = (await shared.query('SELECT price FROM trades ORDER BY price')).rows.map(
      (r) => (r as { price: number }).price,
    );
    expect(new Set(prices).size).toBe(5);
    expect(writes(metrics, 'trades')).toBe(5);
    expect(errors(metrics, 'timeout') + errors(metrics, 'query') + errors(metrics, 'dropped')).toBe(0);
  });

  it('gives every venue its attempts during an outage (one venue does not hold the writer)', async () => {
    const { store, metrics, clock } = makeStore({ batchSize: 2 });
    store.injectFault(1_000);
    for (let i = 0; i < 4; i++) store.append(tick('trade', i % 2 === 0 ? 'binance' : 'okx'));
    await pollUntil(
      () => errors(metrics, 'connection', 'binance') >= 2 && errors(metrics, 'connection', 'okx') >= 2,
      'failed attempts on both venues',
      5_000,
      5,
    );
    clock.t = 1_000;
    await store.flush();
    expect(store.counts('binance')).toEqual({
      received: 2,
      restored: 0,
      written: 2,
      duplicates: 0,
      dropped: 0,
      buffered: 0,
    });
    expect(store.counts('okx')).toEqual({
      received: 2,
      restored: 0,
      written: 2,
      duplicates: 0,
      dropped: 0,
      buffered: 0,
    });
  });

  it('follows the configured window DB_FAULT_AT_MS / DB_FAULT_FOR_MS, relative to construction', async () => {
    const { store, metrics, clock } = makeStore({ batchSize: 1, faultAtMs: 100, faultForMs: 50 });
    store.append(tick('trade'));
    await pollUntil(() => store.counts().written === 1, 'a write before the window', 5_000, 5);
    clock.t = 120;
    expect(store.faultActive).toBe(true);
    store.append(tick('trade'));
    await pollUntil(() => errors(metrics, 'connection') >= 1, 'a failure inside the window', 5_000, 5);
    clock.t = 150;
    expect(store.faultActive).toBe(false);
    await store.flush();
    expect(store.counts()).toEqual({ received: 2, restored: 0, written: 2, duplicates: 0, dropped: 0, buffered: 0 });
  });

  it('bounds the buffer: ticks past DB_BUFFER_MAX are dropped and counted one by one', async () => {
    const { store, metrics, clock } = makeStore({ batchSize: 4, bufferMax: 10 });
    store.injectFault(1_000);
    for (let i = 0; i < 25; i++) store.append(tick(i % 2 === 0 ? 'trade' : 'book', i < 20 ? 'binance' : 'okx'));
    expect(store.counts()).toEqual({ received: 25, restored: 0, written: 0, duplicates: 0, dropped: 15, buffered: 10 });
    expect(errors(metrics, 'dropped', 'binance')).toBe(10);
    expect(errors(metrics, 'dropped', 'okx')).toBe(5);
    expect(ticksBalance(store.counts('binance')) && ticksBalance(store.counts('okx'))).toBe(true);

    clock.t = 1_000;
    await store.flush();
    expect(store.counts()).toEqual({ received: 25, restored: 0, written: 10, duplicates: 0, dropped: 15, buffered: 0 });
    expect((await count('trades')) + (await count('books'))).toBe(10);
    // Room again: new ticks are buffered, not dropped.
    store.append(tick('trade'));
    expect(store.counts()).toEqual({ received: 26, restored: 0, written: 10, duplicates: 0, dropped: 15, buffered: 1 });
  });

  it('drops a batch whose statement keeps failing (a query error), after maxQueryAttempts', async () => {
    let failures = 0;
    // The real PGlite error of a failing statement (22012 division_by_zero) in place of the insert.
    const poisoned: SqlClient = {
      ...shared,
      query: async (sql, params) => {
        if (sql.startsWith('WITH')) {
          failures++;
          return shared.query('SELECT 1 / 0');
        }
        return shared.query(sql, params);
      },
    };
    const { store, metrics } = makeStore({ batchSize: 2, maxQueryAttempts: 3 }, poisoned);
    store.append(tick('trade'));
    store.append(tick('trade'));
    await pollUntil(() => store.buffered === 0, 'the batch to be given up', 5_000, 5);
    expect(failures).toBe(3);
    expect(errors(metrics, 'query')).toBe(3);
    expect(errors(metrics, 'dropped')).toBe(2);
    expect(store.counts()).toEqual({ received: 2, restored: 0, written: 0, duplicates: 0, dropped: 2, buffered: 0 });
  });
});

describe('TickStore.close', () => {
  it('flushes what is buffered, then drops (and counts) ticks that arrive after', async () => {
    const { store, metrics } = makeStore({ batchSize: 100 });
    for (let i = 0; i < 7; i++) store.append(tick('ticker'));
    const final = await store.close(5_000);
    expect(final).toEqual({ received: 7, restored: 0, written: 7, duplicates: 0, dropped: 0, buffered: 0 });
    expect(await count('tickers')).toBe(7);
    store.append(tick('ticker'));
    expect(store.counts()).toEqual({ received: 8, restored: 0, written: 7, duplicates: 0, dropped: 1, buffered: 0 });
    expect(errors(metrics, 'dropped')).toBe(1);
  });

  it('gives up at the deadline during an outage and reports what is still buffered', async () => {
    const { store, metrics, clock } = makeStore({ batchSize: 100 });
    store.injectFault(60_000);
    for (let i = 0; i < 4; i++) store.append(tick('trade'));
    // The deadline is on the store's clock: move it past the deadline once an attempt has failed.
    const closing = store.close(1_000);
    await pollUntil(() => errors(metrics, 'connection') >= 1, 'a failed attempt during close', 5_000, 5);
    clock.t = 2_000;
    const final = await closing;
    expect(final).toEqual({ received: 4, restored: 0, written: 0, duplicates: 0, dropped: 0, buffered: 4 });
    expect(ticksBalance(final)).toBe(true);
  });
});

describe('the PGlite worker client', () => {
  it('carries PostgreSQL error codes back from the worker', async () => {
    const error = await shared.query('SELECT 1 / 0').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'WorkerDatabaseError', code: '22012', message: 'division by zero' });
    expect(classifyDbError(error)).toBe('query');
  });

  // Last test using the database: it closes the shared worker.
  it('fails every call as a connection error once closed', async () => {
    expect((await worker.query('SELECT 41 + 1 AS n')).rows).toEqual([{ n: 42 }]);
    await worker.close();
    closed = true;
    const error = await worker.query('SELECT 1').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'WorkerDatabaseError' });
    expect(classifyDbError(error)).toBe('connection');
  });
});

describe('classifyDbError', () => {
  it.each([
    [new DatabaseFaultError('x'), 'connection'],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'connection'],
    [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'connection'],
    [Object.assign(new Error('x'), { code: '08006' }), 'connection'],
    [new Error('Connection terminated unexpectedly'), 'connection'],
    [new Error('PGlite is closed'), 'connection'],
    [Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }), 'timeout'],
    [new Error('Query read timeout'), 'timeout'],
    [new Error('timeout exceeded when trying to connect'), 'timeout'],
    [Object.assign(new Error('division by zero'), { code: '22012' }), 'query'],
    ['a string', 'query'],
    [null, 'query'],
  ])('%s → %s', (error, reason) => {
    expect(classifyDbError(error)).toBe(reason);
  });
});

describe('the PGlite worker', () => {
  it('runs with DEFAULT_SHARED_BUFFERS_MB of shared buffers, or those asked for, and reports its thread’s memory', async () => {
    const shown = async (db: SqlClient) =>
      ((await db.query('SHOW shared_buffers')).rows[0] as { shared_buffers: string }).shared_buffers;
    const [byDefault, small] = await Promise.all([
      openPgliteWorker(undefined, logger),
      openPgliteWorker(undefined, logger, { sharedBuffersMb: 8 }),
    ]);
    try {
      expect(await shown(byDefault)).toBe(`${DEFAULT_SHARED_BUFFERS_MB}MB`);
      expect(await shown(small)).toBe('8MB');
      const memory = await byDefault.memory?.();
      expect(memory?.heapUsed).toBeGreaterThan(0);
      expect(memory?.heapTotal).toBeGreaterThanOrEqual(memory?.heapUsed ?? Number.POSITIVE_INFINITY);
      // PostgreSQL's WASM memory is outside the JS heap, and holds the shared buffers at least.
      expect(memory?.external).toBeGreaterThan(DEFAULT_SHARED_BUFFERS_MB * 2 ** 20);
    } finally {
      await Promise.all([byDefault.close(), small.close()]);
    }
  }, 60_000);
});
