import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollUntil } from '@ttquant/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError } from '../shared/config.js';
import { type ExecutionEvent, type FillEvent, SYMBOLS, type Venue } from '../shared/protocol.js';
import {
  type ExchangeConfig,
  type FaultConfig,
  MALFORMED_REASONS,
  type MalformedReason,
  readExchangeConfig,
} from './config.js';
import { readJournal, summarizeJournal } from './journal.js';
import { MarketStream } from './market.js';
import { validateOrder } from './orders.js';
import { type Exchange, type ExchangeDeps, startExchange } from './service.js';

// Against a real exchange on an ephemeral port and real `ws` clients. Waits are on events (a frame,
// a close) with a bound; a few polls wait for timers the exchange owns (fill delay).

const opened: Exchange[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) {
    ws.on('error', () => {});
    if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  }
  await Promise.all(opened.splice(0).map((x) => x.close()));
});

type Overrides = Partial<Omit<ExchangeConfig, 'faults'>> & { faults?: Partial<FaultConfig> };

async function exchange(overrides: Overrides = {}, deps: ExchangeDeps = {}): Promise<Exchange> {
  const base = readExchangeConfig({});
  const config: ExchangeConfig = {
    ...base,
    port: 0,
    tickMs: 5,
    ackMs: 1,
    fillMs: 5,
    ...overrides,
    faults: { ...base.faults, ...overrides.faults },
  };
  const x = await startExchange(config, deps);
  opened.push(x);
  return x;
}

/** A WebSocket client that keeps every text frame it gets. */
class Client {
  readonly frames: string[] = [];
  readonly ws: WebSocket;
  #waiters: (() => void)[] = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    sockets.push(this.ws);
    this.ws.on('message', (data) => {
      this.frames.push(String(data));
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.ws.on('error', () => {});
  }

  async open(): Promise<this> {
    await once(this.ws, 'open');
    return this;
  }

  /** Resolves once `done(frames)` holds, checked on every new frame; fails after `ms`. */
  async until(done: (frames: readonly string[]) => boolean, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done(this.frames)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.frames.length} frames`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  events(): ExecutionEvent[] {
    return this.frames.map((f) => JSON.parse(f) as ExecutionEvent);
  }
}

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function order(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { clientOrderId: id, symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.5, ...extra };
}

/**
 * The reference classification of a feed frame: a well-formed kind, or the reason it is malformed
 * (the same rules a receiver applies for `message_parse_errors_total`).
 */
function classify(text: string): 'trade' | 'book' | 'ticker' | MalformedReason {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'invalid_json';
  }
  const decimal = (v: unknown) => typeof v === 'string' && /^\d+(\.\d+)?$/.test(v);
  const pair = (v: unknown) => Array.isArray(v) && v.length === 2 && decimal(v[0]) && decimal(v[1]);
  const required = { trade: ['s', 'p', 'q', 'S', 'T'], ticker: ['s', 'p', 'v', 'T'], book: ['s', 'b', 'a', 'T'] };
  if (m.e !== 'trade' && m.e !== 'ticker' && m.e !== 'book') return 'unknown_type';
  if (required[m.e].some((k) => !(k in m))) return 'missing_field';
  if (!(SYMBOLS as readonly string[]).includes(m.s as string) || !Number.isInteger(m.T)) return 'invalid_value';
  if (m.e === 'trade')
    return decimal(m.p) && decimal(m.q) && (m.S === 'buy' || m.S === 'sell') ? 'trade' : 'invalid_value';
  if (m.e === 'ticker') return decimal(m.p) && decimal(m.v) ? 'ticker' : 'invalid_value';
  return pair(m.b) && pair(m.a) && Number((m.b as string[])[0]) < Number((m.a as string[])[0])
    ? 'book'
    : 'invalid_value';
}

describe('config', () => {
  it('has documented defaults with every fault off', () => {
    const c = readExchangeConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 9400, seed: 42, tickMs: 20, ackMs: 5, feeBps: 4 });
    expect(c.faults).toEqual({
      dropEveryMs: 0,
      malformedFraction: 0,
      rateLimitFraction: 0,
      errorFraction: 0,
      latencySpikeFraction: 0,
      latencySpikeMs: 250,
    });
  });

  it('rejects bad values with a ConfigError naming the variable', () => {
    expect(() => readExchangeConfig({ EXCHANGE_MALFORMED_FRACTION: '1.5' })).toThrow(ConfigError);
    expect(() => readExchangeConfig({ EXCHANGE_PORT: 'x' })).toThrow(/EXCHANGE_PORT/);
    expect(() => readExchangeConfig({ EXCHANGE_TICK_MS: '0' })).toThrow(/EXCHANGE_TICK_MS/);
    expect(() => readExchangeConfig({ EXCHANGE_SEED: '1.5' })).toThrow(/EXCHANGE_SEED/);
    expect(() => readExchangeConfig({ EXCHANGE_RATE_LIMIT_FRACTION: '0.6', EXCHANGE_ERROR_FRACTION: '0.6' })).toThrow(
      ConfigError,
    );
  });
});

describe('price walk', () => {
  it('repeats for a seed and differs for another', () => {
    const run = (seed: number) => {
      const s = new MarketStream('binance', 'BTCUSDT', seed, 20);
      return Array.from({ length: 200 }, () => s.encode(s.step(), 1));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('keeps the book uncrossed and every frame well-formed', () => {
    for (const symbol of SYMBOLS) {
      const s = new MarketStream('okx', symbol, 1, 20);
      for (let i = 0; i < 2_000; i++) {
        const kind = s.step();
        expect(s.bid).toBeLessThan(s.ask);
        expect(classify(s.encode(kind, 1))).toBe(kind);
      }
    }
  });

  it('breaks a malformed frame for exactly the reason asked', () => {
    const s = new MarketStream('binance', 'ETHUSDT', 3, 20);
    for (let i = 0; i < 5; i++) {
      const kind = s.step();
      for (const reason of MALFORMED_REASONS) expect(classify(s.encodeMalformed(kind, reason, 1))).toBe(reason);
    }
  });
});

describe('market-data feed', () => {
  it('sends trade, book and ticker frames for every symbol, T back-dated by the base delay', async () => {
    // A fixed clock makes T exact: now - latencyMs, no jitter.
    const x = await exchange({ latencyMs: 30, latencyJitterMs: 0 }, { now: () => 1_000_000 });
    const c = await new Client(`${x.wsUrl}/ws/binance`).open();
    await c.until((f) => f.length >= 60);
    const seen = new Set<string>();
    for (const text of c.frames) {
      const kind = classify(text);
      expect(kind === 'trade' || kind === 'book' || kind === 'ticker').toBe(true);
      const m = JSON.parse(text) as { s: string; T: number };
      expect(m.T).toBe(999_970);
      seen.add(`${kind}:${m.s}`);
    }
    expect(seen.size).toBe(9); // 3 kinds × 3 symbols
    const okx = await new Client(`${x.wsUrl}/ws/okx`).open();
    await okx.until((f) => f.length >= 3);
    expect(classify(okx.frames[0])).toMatch(/^(trade|book|ticker)$/);
  });

  it('counts what it sent, per venue and type', async () => {
    const x = await exchange();
    const c = await new Client(`${x.wsUrl}/ws/okx`).open();
    await c.until((f) => f.length >= 30);
    c.ws.close();
    await once(c.ws, 'close');
    const sent = x.stats().feed.okx.sent;
    const kinds = c.frames.map(classify);
    expect(sent).toEqual({
      trade: kinds.filter((k) => k === 'trade').length,
      book: kinds.filter((k) => k === 'book').length,
      ticker: kinds.filter((k) => k === 'ticker').length,
    });
    expect(x.stats().feed.binance.sent).toEqual({ trade: 0, book: 0, ticker: 0 });
  });

  it('adds a latency spike to the configured fraction of frames', async () => {
    const x = await exchange(
      { latencyMs: 0, latencyJitterMs: 0, faults: { latencySpikeFraction: 0.25, latencySpikeMs: 500 } },
      { now: () => 1_000_000 },
    );
    const c = await new Client(`${x.wsUrl}/ws/binance`).open();
    await c.until((f) => f.length >= 400);
    const ts = c.frames.map((f) => (JSON.parse(f) as { T: number }).T);
    expect(new Set(ts)).toEqual(new Set([1_000_000, 999_500]));
    const spikes = ts.filter((t) => t === 999_500).length;
    expect(spikes / ts.length).toBeGreaterThan(0.15);
    expect(spikes / ts.length).toBeLessThan(0.35);
    x.setFaults({ latencySpikeFraction: 0 });
    expect(x.stats().feed.binance.latencySpikes).toBeGreaterThanOrEqual(spikes);
  });

  it('sends the malformed fraction with every reason, and counts each reason exactly', async () => {
    const x = await exchange({ faults: { malformedFraction: 1 } });
    const c = await new Client(`${x.wsUrl}/ws/binance`).open();
    await c.until((f) => f.length >= 80);
    // Turn malformation off, snapshot the counts (no tick can run in between: both are synchronous),
    // then read on until the first good frame: everything before it was sent before the snapshot.
    x.setFaults({ malformedFraction: 0 });
    const stats = x.stats().feed.binance;
    const good = (f: string) => ['trade', 'book', 'ticker'].includes(classify(f));
    await c.until((f) => f.some(good));
    const reasons = c.frames.slice(0, c.frames.findIndex(good)).map(classify);
    for (const reason of MALFORMED_REASONS) {
      expect(reasons.filter((r) => r === reason).length, reason).toBe(stats.malformed[reason]);
      expect(stats.malformed[reason], reason).toBeGreaterThan(0);
    }
    expect(reasons.length).toBe(MALFORMED_REASONS.reduce((n, r) => n + stats.malformed[r], 0));
    expect(stats.sent).toEqual({ trade: 0, book: 0, ticker: 0 });
  });

  it('sends about the configured fraction malformed', async () => {
    const x = await exchange({ faults: { malformedFraction: 0.2 } });
    const c = await new Client(`${x.wsUrl}/ws/okx`).open();
    await c.until((f) => f.length >= 500);
    const bad = c.frames.filter((f) => !['trade', 'book', 'ticker'].includes(classify(f))).length;
    expect(bad / c.frames.length).toBeGreaterThan(0.12);
    expect(bad / c.frames.length).toBeLessThan(0.28);
  });

  it('drops every market-data connection every EXCHANGE_DROP_EVERY_MS, and accepts reconnects', async () => {
    const x = await exchange({ faults: { dropEveryMs: 100 } });
    const exec = await new Client(`${x.wsUrl}/ws/binance/executions`).open();
    for (let round = 1; round <= 2; round++) {
      const c = await new Client(`${x.wsUrl}/ws/binance`).open();
      const [code] = (await once(c.ws, 'close')) as [number];
      expect(code).toBe(1006); // abrupt: no close frame, like a lost link
      expect(c.frames.length).toBeGreaterThan(0);
      expect(x.stats().feed.binance.connectionsDropped).toBeGreaterThanOrEqual(round);
    }
    expect(exec.ws.readyState).toBe(WebSocket.OPEN); // the executions stream is not dropped
    x.setFaults({ dropEveryMs: 0 });
    const dropped = x.stats().feed.binance.connectionsDropped;
    const c = await new Client(`${x.wsUrl}/ws/binance`).open();
    await c.until((f) => f.length >= 120); // > 100 ms of frames on a connection that stays up
    expect(x.stats().feed.binance.connectionsDropped).toBe(dropped);
    const res = await fetch(`${x.url}/admin/drop?venue=binance`, { method: 'POST' });
    expect(await res.json()).toEqual({ dropped: 1 });
    await once(c.ws, 'close');
  });

  it('has a high-rate mode: a fractional EXCHANGE_TICK_MS sends several frames per timer turn', async () => {
    const x = await exchange({ tickMs: 0.5 }); // 2,000 ticks/s × 3 symbols = 6,000 frames/s per venue
    const c = await new Client(`${x.wsUrl}/ws/binance`).open();
    const t0 = performance.now();
    await c.until((f) => f.length >= 1_500, 10_000);
    const perSecond = c.frames.length / ((performance.now() - t0) / 1000);
    expect(perSecond).toBeGreaterThan(1_500); // loose: a busy CI machine still clears a quarter of the rate
  });
});

describe('order API', () => {
  it('acks a market order, then streams its fill with a 4 bp fee', async () => {
    const x = await exchange();
    const exec = await new Client(`${x.wsUrl}/ws/binance/executions`).open();
    const ack = await post(`${x.url}/api/binance/orders`, order('m-1', { quantity: 0.25 }));
    expect(ack).toEqual({ status: 200, body: { clientOrderId: 'm-1', orderId: 'binance-1', status: 'open' } });
    await exec.until((f) => f.length >= 1);
    const fill = exec.events()[0] as FillEvent;
    expect(fill).toMatchObject({
      e: 'fill',
      clientOrderId: 'm-1',
      orderId: 'binance-1',
      symbol: 'BTCUSDT',
      side: 'buy',
    });
    expect(fill.quantity).toBe(0.25);
    expect(fill.price).toBeGreaterThan(50_000);
    expect(fill.fee).toBeCloseTo(fill.price * 0.25 * 0.0004, 8);
    expect(typeof fill.time).toBe('number');
    const stats = x.stats().orders.binance;
    expect(stats).toMatchObject({ received: 1, acked: 1, filled: 1, open: 0 });
    expect(stats.feesUsd).toBeCloseTo(fill.fee, 8);
    expect((await fetch(`${x.url}/api/binance/orders/m-1`).then((r) => r.json())) as unknown).toMatchObject({
      status: 'filled',
    });
  });

  it('is idempotent on clientOrderId: retries (concurrent or late) never create a second order', async () => {
    const x = await exchange({ ackMs: 20 });
    const exec = await new Client(`${x.wsUrl}/ws/okx/executions`).open();
    const url = `${x.url}/api/okx/orders`;
    const [a, b] = await Promise.all([post(url, order('dup-1')), post(url, order('dup-1'))]);
    expect(a.status).toBe(200);
    expect(b.body.orderId).toBe(a.body.orderId);
    await exec.until((f) => f.length >= 1);
    const late = await post(url, order('dup-1', { quantity: 9 })); // even with another body
    expect(late).toEqual({ status: 200, body: { clientOrderId: 'dup-1', orderId: a.body.orderId, status: 'filled' } });
    // A new order's fill after the retries proves no second fill for dup-1 was pending before it.
    await post(url, order('dup-2'));
    await exec.until((f) => f.length >= 2);
    expect(exec.events().map((e) => e.clientOrderId)).toEqual(['dup-1', 'dup-2']);
    expect(x.stats().orders.okx).toMatchObject({ received: 4, acked: 2, duplicates: 2, filled: 2 });
  });

  it('keeps its clientOrderIds and open orders across a restart with EXCHANGE_JOURNAL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exchange-journal-'));
    const journalFile = join(dir, 'orders.jsonl');
    try {
      const first = await exchange({ journalFile });
      const exec1 = await new Client(`${first.wsUrl}/ws/okx/executions`).open();
      const url1 = `${first.url}/api/okx/orders`;
      expect((await post(url1, order('j-1'))).body).toMatchObject({ orderId: 'okx-1' });
      await exec1.until((f) => f.length >= 1); // j-1 filled
      const resting = order('j-2', { type: 'limit', price: 1_000 }); // never crosses: stays open
      expect((await post(url1, resting)).body).toMatchObject({ orderId: 'okx-2', status: 'open' });
      await first.close();

      const second = await exchange({ journalFile });
      const exec2 = await new Client(`${second.wsUrl}/ws/okx/executions`).open();
      const url2 = `${second.url}/api/okx/orders`;
      expect(second.stats().orders.okx).toMatchObject({ restored: 2, open: 1 });
      // A retry of an order the first process filled gets its ack: no second order, no second fill.
      expect(await post(url2, order('j-1'))).toEqual({
        status: 200,
        body: { clientOrderId: 'j-1', orderId: 'okx-1', status: 'filled' },
      });
      expect((await post(url2, resting)).body).toEqual({ clientOrderId: 'j-2', orderId: 'okx-2', status: 'open' });
      // Ids continue after the restored ones; the new order fills, and it is the only fill.
      expect((await post(url2, order('j-3'))).body).toMatchObject({ orderId: 'okx-3' });
      await exec2.until((f) => f.length >= 1);
      expect(exec2.events().map((e) => `${e.e}:${e.clientOrderId}`)).toEqual(['fill:j-3']);
      expect(second.stats().orders.okx).toMatchObject({ received: 3, acked: 1, duplicates: 2 });
      await second.close();

      const summary = summarizeJournal(readJournal(journalFile));
      expect(summary).toEqual({
        created: 3,
        fills: 2,
        cancels: 0,
        duplicatesAnswered: 2,
        createdTwice: [],
        filledTwice: [],
      });
      // A torn last line (a kill mid-write) is skipped, not fatal.
      appendFileSync(journalFile, '{"e":"new","venue":"okx","clientO');
      expect(readJournal(journalFile)).toHaveLength(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rests a limit order until cancelled: 200 cancelled, one CancelEvent, repeat is harmless', async () => {
    const x = await exchange();
    const exec = await new Client(`${x.wsUrl}/ws/binance/executions`).open();
    const limit = order('lim-1', { type: 'limit', price: 1_000 }); // far below BTC: never crosses
    expect((await post(`${x.url}/api/binance/orders`, limit)).body.status).toBe('open');
    expect(x.stats().orders.binance.open).toBe(1);
    const del = await fetch(`${x.url}/api/binance/orders/lim-1`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ clientOrderId: 'lim-1', orderId: 'binance-1', status: 'cancelled' });
    await exec.until((f) => f.length >= 1);
    expect(exec.events()[0]).toMatchObject({ e: 'cancelled', clientOrderId: 'lim-1', orderId: 'binance-1' });
    const again = await fetch(`${x.url}/api/binance/orders/lim-1`, { method: 'DELETE' });
    expect(await again.json()).toMatchObject({ status: 'cancelled' });
    const unknown = await fetch(`${x.url}/api/binance/orders/nope`, { method: 'DELETE' });
    expect(unknown.status).toBe(404);
    expect(x.stats().cancels.binance).toMatchObject({ received: 3, cancelled: 1, alreadyDone: 1, notFound: 1 });
    expect(x.stats().orders.binance.open).toBe(0);
    expect(exec.frames.length).toBe(1);
  });

  it('fills a limit order at its price once the market crosses it', async () => {
    const x = await exchange();
    const exec = await new Client(`${x.wsUrl}/ws/okx/executions`).open();
    const limit = order('lim-2', { side: 'sell', symbol: 'SOLUSDT', type: 'limit', price: 1, quantity: 3 });
    expect((await post(`${x.url}/api/okx/orders`, limit)).body.status).toBe('open');
    await exec.until((f) => f.length >= 1);
    expect(exec.events()[0]).toMatchObject({ e: 'fill', clientOrderId: 'lim-2', side: 'sell', price: 1, quantity: 3 });
    expect((exec.events()[0] as FillEvent).fee).toBeCloseTo(3 * 0.0004, 10);
  });

  it('holds fills while no executions client is connected and flushes them on connect', async () => {
    const x = await exchange();
    await post(`${x.url}/api/binance/orders`, order('buf-1'));
    await pollUntil(() => x.stats().orders.binance.filled === 1, 'x.stats().orders.binance.filled === 1', 5_000, 5);
    expect(x.stats().executions.binance.buffered).toBe(1);
    const exec = await new Client(`${x.wsUrl}/ws/binance/executions`).open();
    await exec.until((f) => f.length >= 1);
    expect(exec.events()[0]).toMatchObject({ e: 'fill', clientOrderId: 'buf-1' });
    expect(x.stats().executions.binance).toMatchObject({ buffered: 0, sent: 1, dropped: 0 });
  });

  it('answers the configured fractions with 429 and 503, and counts them', async () => {
    const x = await exchange({ ackMs: 0, faults: { rateLimitFraction: 0.3, errorFraction: 0.2 } });
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) statuses.push((await post(`${x.url}/api/binance/orders`, order(`f-${i}`))).status);
    const count = (s: number) => statuses.filter((v) => v === s).length;
    expect(count(429) + count(503) + count(200)).toBe(300);
    expect(count(429) / 300).toBeGreaterThan(0.2);
    expect(count(429) / 300).toBeLessThan(0.4);
    expect(count(503) / 300).toBeGreaterThan(0.12);
    expect(count(503) / 300).toBeLessThan(0.28);
    expect(x.stats().orders.binance).toMatchObject({
      received: 300,
      rateLimited: count(429),
      unavailable: count(503),
      acked: count(200),
    });
    // A 429 or 503 creates nothing: the retry of a refused order is a new order.
    x.setFaults({ rateLimitFraction: 1, errorFraction: 0 });
    expect((await post(`${x.url}/api/binance/orders`, order('r-1'))).body).toEqual({ error: 'rate_limited' });
    x.setFaults({ rateLimitFraction: 0, errorFraction: 1 });
    expect((await post(`${x.url}/api/binance/orders`, order('r-1'))).body).toEqual({ error: 'unavailable' });
    x.setFaults({ errorFraction: 0 });
    expect((await post(`${x.url}/api/binance/orders`, order('r-1'))).body.status).toBe('open');
  });

  it('rejects bad orders with 400 and a reason', async () => {
    const x = await exchange();
    const cases: [unknown, string][] = [
      ['not json', 'invalid_json'],
      [[1, 2], 'body_not_object'],
      [null, 'body_not_object'],
      [order(''), 'invalid_client_order_id'],
      [order('x'.repeat(65)), 'invalid_client_order_id'],
      [order('a b'), 'invalid_client_order_id'],
      [order('b1', { symbol: 'DOGEUSDT' }), 'unknown_symbol'],
      [order('b2', { side: 'long' }), 'invalid_side'],
      [order('b3', { type: 'stop' }), 'invalid_type'],
      [order('b4', { quantity: -1 }), 'invalid_quantity'],
      [order('b5', { quantity: '1' }), 'invalid_quantity'],
      [order('b6', { type: 'limit' }), 'invalid_price'],
      [order('b7', { type: 'limit', price: 0 }), 'invalid_price'],
      [order('b8', { price: 'NaN' }), 'invalid_price'],
    ];
    for (const [body, reason] of cases) {
      const res = await post(`${x.url}/api/binance/orders`, typeof body === 'string' ? body : JSON.stringify(body));
      expect(res, reason).toEqual({ status: 400, body: { error: 'rejected', reason } });
    }
    expect(x.stats().orders.binance).toMatchObject({ received: cases.length, rejected: cases.length, acked: 0 });
    expect(validateOrder(order('ok', { type: 'limit', price: 5, extra: 1 }))).toEqual({
      clientOrderId: 'ok',
      symbol: 'BTCUSDT',
      side: 'buy',
      type: 'limit',
      quantity: 0.5,
      price: 5,
    });
  });
});

describe('hostile input', () => {
  it('answers 413, 404, 405 and 400 and keeps serving', async () => {
    const x = await exchange();
    const huge = 'x'.repeat(100 * 1024);
    expect((await post(`${x.url}/api/binance/orders`, huge)).status).toBe(413);
    // Chunked, with no content-length: the limit is enforced while reading.
    const chunked = await fetch(`${x.url}/api/okx/orders`, {
      method: 'POST',
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(8 * 1024)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(x.stats().orders.okx.tooLarge).toBe(1);
    expect((await post(`${x.url}/api/kraken/orders`, order('k'))).body).toEqual({ error: 'unknown_venue' });
    expect((await fetch(`${x.url}/api/kraken/orders`)).status).toBe(404);
    expect((await fetch(`${x.url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${x.url}/api/binance/orders`)).status).toBe(405);
    expect((await fetch(`${x.url}/api/binance/orders/%E0%A4%A`, { method: 'DELETE' })).status).toBe(400);
    expect((await fetch(`${x.url}/admin/faults`, { method: 'POST', body: '{"nope":1}' })).status).toBe(400);
    expect((await fetch(`${x.url}/admin/faults`, { method: 'POST', body: '{"malformedFraction":2}' })).status).toBe(
      400,
    );
    expect((await fetch(`${x.url}/admin/faults`, { method: 'POST', body: '[' })).status).toBe(400);

    // Garbage on a raw socket, then a request line that is not HTTP.
    for (const junk of [
      '\u0000\u0001\u0002 garbage\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
    ]) {
      const socket = connect(x.port, '127.0.0.1');
      socket.on('error', () => {});
      await once(socket, 'connect');
      socket.write(junk);
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      expect(String(chunk)).toMatch(/^HTTP\/1\.1 400/);
      socket.destroy();
    }

    // WebSocket: unknown venue or path is refused; a client that talks to the feed is ignored.
    for (const path of ['/ws/kraken', '/ws/binance/other', '/elsewhere']) {
      const ws = new WebSocket(`${x.wsUrl}${path}`);
      ws.on('error', () => {});
      sockets.push(ws);
      const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
      expect(res.statusCode, path).toBe(404);
    }
    const feed = await new Client(`${x.wsUrl}/ws/binance`).open();
    feed.ws.send('{"op":"subscribe"}');
    feed.ws.send(Buffer.alloc(1024, 0xff));
    await feed.until((f) => f.length >= 10);

    expect((await fetch(`${x.url}/health`)).status).toBe(200);
  });
});

describe('admin endpoints', () => {
  it('reads and changes the fault knobs, and serves the stats', async () => {
    const x = await exchange();
    const res = await fetch(`${x.url}/admin/faults`, {
      method: 'POST',
      body: JSON.stringify({ rateLimitFraction: 1, dropEveryMs: 5_000 }),
    });
    expect(res.status).toBe(200);
    const faults = (await (await fetch(`${x.url}/admin/faults`)).json()) as FaultConfig;
    expect(faults).toMatchObject({ rateLimitFraction: 1, dropEveryMs: 5_000, malformedFraction: 0 });
    expect(x.faults()).toEqual(faults);
    expect((await post(`${x.url}/api/okx/orders`, order('a-1'))).status).toBe(429);
    const sum = await fetch(`${x.url}/admin/faults`, { method: 'POST', body: '{"errorFraction":0.5}' });
    expect(sum.status).toBe(400); // 1 + 0.5 > 1
    expect(() => x.setFaults({ latencySpikeMs: -1 })).toThrow(RangeError);
    const stats = (await (await fetch(`${x.url}/admin/stats`)).json()) as ReturnType<Exchange['stats']>;
    expect(stats.orders.okx).toMatchObject({ received: 1, rateLimited: 1 });
    const venues: Venue[] = ['binance', 'okx'];
    for (const v of venues) expect(Object.keys(stats.feed[v].malformed)).toEqual([...MALFORMED_REASONS]);
  });
});

describe('main.ts', () => {
  const main = fileURLToPath(new URL('./main.ts', import.meta.url));
  const run = (env: Record<string, string>) =>
    spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  it('prints where it listens, serves, and exits 0 on SIGTERM', async () => {
    const child = run({ EXCHANGE_PORT: '0' });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += String(d);
      });
      const deadline = Date.now() + 15_000;
      while (!/exchange: listening at (\S+)/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no listening line: ${out}`);
        await once(child.stdout, 'data');
      }
      const url = /exchange: listening at (\S+)/.exec(out)![1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 2 on a bad variable, naming it', async () => {
    const child = run({ EXCHANGE_ERROR_FRACTION: 'lots' });
    try {
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += String(d);
      });
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(2);
      expect(err).toMatch(/EXCHANGE_ERROR_FRACTION=lots/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
