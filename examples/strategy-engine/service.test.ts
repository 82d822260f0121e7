import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusWriter } from '@ttquant/metrics';
import { type Labels, pollUntil, readExposition } from '@ttquant/test-kit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import type { EngineOrder, StrategyFill, Tick, Venue } from '../shared/protocol.js';
import { readEngineConfig } from './config.js';
import { type StrategyEngine, startStrategyEngine } from './service.js';

// The engine against real parts: two ZeroMQ publishers standing in for the market-data service and
// the gateway's fill bus, and a small HTTP server standing in for the gateway's order entry (it
// answers as told and publishes a fill for each accepted order at the last tick price). Each step
// publishes one tick and waits until the engine has counted it and every order it caused is done.

/** What the fake gateway does with the next order. */
interface Behavior {
  readonly result?: 'accepted' | 'risk_rejected' | 'failed';
  readonly reason?: string;
  /** Answer with this HTTP status and an error body instead of a result. */
  readonly httpStatus?: number;
  /** Keep the answer until the test releases it. */
  readonly hold?: boolean;
}

const FEE = 0.001;

class FakeGateway {
  readonly orders: EngineOrder[] = [];
  readonly plan: Behavior[] = [];
  readonly held: (() => void)[] = [];
  readonly prices = new Map<string, number>();
  readonly #pub: zmq.Publisher;
  #sends: Promise<void> = Promise.resolve();
  #fillSeq = 0;
  readonly server: Server;

  constructor(pub: zmq.Publisher) {
    this.#pub = pub;
    this.server = createServer((req, res) => void this.#handle(req, res));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Publishes on the fill bus; zeromq allows one send at a time, so sends are chained. */
  publish(frames: (string | Buffer)[]): Promise<void> {
    this.#sends = this.#sends.then(() => this.#pub.send(frames));
    return this.#sends;
  }

  releaseAll(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || req.url !== '/orders') {
      res.writeHead(404).end();
      return;
    }
    const order = JSON.parse(Buffer.concat(chunks).toString('utf8')) as EngineOrder;
    this.orders.push(order);
    const behavior = this.plan.shift() ?? { result: 'accepted' };
    const answer = () => {
      if (res.destroyed) return;
      if (behavior.httpStatus !== undefined) {
        res.writeHead(behavior.httpStatus, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
        return;
      }
      const result = behavior.result ?? 'accepted';
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ clientOrderId: order.clientOrderId, status: result, reason: behavior.reason }));
      if (result !== 'accepted') return;
      const fill: StrategyFill = {
        strategy: order.strategy,
        exchange: order.exchange,
        clientOrderId: order.clientOrderId,
        symbol: order.symbol,
        side: order.side,
        price: this.prices.get(`${order.exchange}.${order.symbol}`) ?? 1,
        quantity: order.quantity,
        fee: FEE,
        time: 1_700_000_000_000 + ++this.#fillSeq,
      };
      void this.publish([`fill.${order.strategy}`, JSON.stringify(fill)]);
    };
    if (behavior.hold === true) this.held.push(answer);
    else answer();
  }
}

function tickJson(exchange: Venue, symbol: string, price: number, type: Tick['type'] = 'trade'): string {
  const tick: Tick = {
    exchange,
    symbol,
    type,
    price,
    quantity: type === 'trade' ? 1 : 0,
    volume24h: type === 'ticker' ? 1_000 : 0,
    exchangeTime: 1_700_000_000_000,
    receivedTime: 1_700_000_000_001,
  };
  return JSON.stringify(tick);
}

/**
 * One series' value in an exposition body.
 *
 * @param body - the body
 * @param name - the sample name, e.g. `engine_active_strategies`
 * @param labels - every label of the series
 * @returns its value, or `undefined` when the series does not exist
 */
function sample(body: string, name: string, labels: Labels = {}): number | undefined {
  return readExposition(body).value(name, labels);
}

/**
 * One series' value in the engine catalog's own exposition, rendered in process (also after close).
 * Never `bind()` to read a value: it creates the very series the test would check.
 *
 * @param engine - the engine
 * @param name - the sample name, e.g. `engine_active_strategies`
 * @param labels - every label of the series
 * @returns its value, or `undefined` when the series does not exist
 */
function exposed(engine: StrategyEngine, name: string, labels: Labels = {}): number | undefined {
  return sample(new PrometheusWriter([engine.engineMetrics], { selfMetrics: false }).renderText(), name, labels);
}

async function scrape(engine: StrategyEngine): Promise<string> {
  const res = await fetch(`${engine.metrics.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

let mdPub: zmq.Publisher;
let fillPub: zmq.Publisher;
let gateway: FakeGateway;
let mdSends: Promise<void> = Promise.resolve();

/** Publishes on the tick bus; zeromq allows one send at a time, so sends are chained. */
function sendMd(frames: (string | Buffer)[]): Promise<void> {
  mdSends = mdSends.then(() => mdPub.send(frames));
  return mdSends;
}

beforeAll(async () => {
  mdPub = new zmq.Publisher({ linger: 0 });
  fillPub = new zmq.Publisher({ linger: 0 });
  await mdPub.bind('tcp://127.0.0.1:*');
  await fillPub.bind('tcp://127.0.0.1:*');
  gateway = new FakeGateway(fillPub);
  gateway.server.listen(0, '127.0.0.1');
  await once(gateway.server, 'listening');
});

afterAll(async () => {
  gateway?.releaseAll();
  gateway?.server.closeAllConnections();
  await new Promise((resolve) => gateway?.server.close(resolve) ?? resolve(undefined));
  mdPub?.close();
  fillPub?.close();
});

function engineEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    MD_ZMQ_ENDPOINT: mdPub.lastEndpoint as string,
    GATEWAY_ZMQ_ENDPOINT: fillPub.lastEndpoint as string,
    GATEWAY_URL: gateway.url,
    ENGINE_METRICS_PORT: '0',
    ENGINE_STRATEGIES: 'ma_cross:binance:BTCUSDT,mean_revert:okx:ETHUSDT',
    ENGINE_MA_FAST: '2',
    ENGINE_MA_SLOW: '4',
    ENGINE_MA_BAND: '0',
    ENGINE_MR_WINDOW: '5',
    ENGINE_MR_ENTRY_Z: '1.5',
    ENGINE_MR_EXIT_Z: '0.3',
    ENGINE_MAX_POSITION_LOTS: '2',
    ENGINE_ORDER_COOLDOWN_MS: '0',
    ENGINE_REJECT_COOLDOWN_MS: '0',
    ENGINE_SHARPE_PERIOD_MS: '1000',
    ENGINE_CAPITAL_USD: '1000',
    ...extra,
  };
}

/** Starts an engine on the shared buses and waits until both of its subscriptions are live. */
async function startEngine(
  env: Record<string, string>,
  clock: { t: number },
  logLines: Record<string, unknown>[] = [],
): Promise<StrategyEngine> {
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
  const engine = await startStrategyEngine(readEngineConfig(env), {
    logger,
    now: () => clock.t,
    runtimeMetrics: false,
  });
  // ZeroMQ drops what a PUB sends before a SUB's subscription reaches it: publish harmless messages
  // (a book tick of a symbol no strategy trades, a fill of another engine's strategy) until each arrives.
  const warmTick = (): number =>
    exposed(engine, 'engine_market_data_received_total', { exchange: 'binance', type: 'book' }) ?? 0;
  try {
    await pollUntil(
      async () => {
        const ticks = warmTick() > 0;
        const fills = engine.stats().bad.fills.unknown_strategy !== undefined;
        if (!ticks) await sendMd(['tick.binance.XRPUSDT', tickJson('binance', 'XRPUSDT', 0.5, 'book')]);
        if (!fills) await gateway.publish(['fill.nobody', JSON.stringify(otherFill)]);
        return ticks && fills;
      },
      'the subscriptions',
      5_000,
      10,
    );
  } catch (error) {
    await engine.close();
    throw error;
  }
  return engine;
}

const otherFill: StrategyFill = {
  strategy: 'nobody',
  exchange: 'binance',
  clientOrderId: 'x',
  symbol: 'BTCUSDT',
  side: 'buy',
  price: 1,
  quantity: 1,
  fee: 0,
  time: 1,
};

describe('startStrategyEngine', () => {
  const clock = { t: 1_800_000_000_000 };
  const logLines: Record<string, unknown>[] = [];
  let engine: StrategyEngine;

  /** Publishes one tick, waits until the engine counted it and every order it caused is answered and filled. */
  async function step(exchange: Venue, symbol: string, price: number): Promise<void> {
    gateway.prices.set(`${exchange}.${symbol}`, price);
    const counted = (): number =>
      exposed(engine, 'engine_market_data_received_total', { exchange, type: 'trade' }) ?? 0;
    const before = counted();
    await sendMd([`tick.${exchange}.${symbol}`, tickJson(exchange, symbol, price)]);
    await pollUntil(() => counted() > before, `tick ${exchange} ${symbol} ${price}`, 5_000, 5);
    await pollUntil(() => engine.runners.every((r) => r.idle), 'orders to finish', 5_000, 5);
  }

  beforeAll(async () => {
    engine = await startEngine(engineEnv(), clock, logLines);
  });

  afterAll(async () => {
    await engine?.close();
  });

  it('serves the engine and strategy metrics from the start', async () => {
    const body = await scrape(engine);
    expect(sample(body, 'engine_active_strategies')).toBe(2);
    expect(sample(body, 'engine_uptime_seconds')).toBe(0);
    expect(sample(body, 'strategy_pnl_total', { strategy: 'ma_cross' })).toBe(0);
    expect(sample(body, 'strategy_sharpe_ratio', { strategy: 'mean_revert' })).toBeNaN();
    expect(body).toContain('engine_strategy_latency_ms_bucket{strategy="ma_cross",le="0.05"} 0\n');
  });

  it('trades a moving-average cross through the gateway and books the fills in the ledger', async () => {
    // Long 2 lots on the way up (101, 102), then the cross down: close both at 90 (two losses), go
    // short 2 lots (90, 80), and the cross up at 75 covers one lot at a profit.
    const path = [100, 100, 100, 100, 101, 102, 110, 90];
    for (const price of path) await step('binance', 'BTCUSDT', price);
    clock.t += 1_000; // one Sharpe period: the sampler books the first return
    await pollUntil(
      () => engine.ledgers.get('binance')?.strategy('ma_cross')?.returns === 1,
      'the first return',
      5_000,
      5,
    );
    for (const price of [90, 90, 80, 70, 60, 62, 75]) await step('binance', 'BTCUSDT', price);
    clock.t += 1_000;
    await pollUntil(
      () => engine.ledgers.get('binance')?.strategy('ma_cross')?.returns === 2,
      'the second return',
      5_000,
      5,
    );

    const mine = gateway.orders.filter((o) => o.strategy === 'ma_cross');
    expect(mine.map((o) => `${o.side} ${o.quantity} ${o.symbol} ${o.exchange} ${o.type}`)).toEqual([
      'buy 0.01 BTCUSDT binance market',
      'buy 0.01 BTCUSDT binance market',
      'sell 0.01 BTCUSDT binance market',
      'sell 0.01 BTCUSDT binance market',
      'sell 0.01 BTCUSDT binance market',
      'sell 0.01 BTCUSDT binance market',
      'buy 0.01 BTCUSDT binance market',
    ]);
    const ids = mine.map((o) => o.clientOrderId);
    expect(new Set(ids).size).toBe(7);
    expect(ids[0]).toMatch(new RegExp(`^ma_cross-${process.pid}-[0-9a-z]+-1$`));
    expect(engine.runners[0]?.position).toBeCloseTo(-0.01, 12);

    const snapshot = engine.ledgers.get('binance')?.strategy('ma_cross');
    const body = await scrape(engine);
    const s = (name: string) => sample(body, name, { strategy: 'ma_cross' });
    // 7 fills; realized = gross (−0.115 × 2 + 0.10) − 7 fees of 0.001 = −0.137.
    expect(sample(body, 'engine_orders_sent_total', { strategy: 'ma_cross', exchange: 'binance', side: 'buy' })).toBe(
      3,
    );
    expect(sample(body, 'engine_orders_sent_total', { strategy: 'ma_cross', exchange: 'binance', side: 'sell' })).toBe(
      4,
    );
    expect(sample(body, 'engine_trades_received_total', { strategy: 'ma_cross', exchange: 'binance' })).toBe(7);
    expect(sample(body, 'strategy_trades_total', { strategy: 'ma_cross', side: 'buy' })).toBe(3);
    expect(sample(body, 'strategy_trades_total', { strategy: 'ma_cross', side: 'sell' })).toBe(4);
    expect(s('strategy_realized_pnl')).toBeCloseTo(-0.137, 9);
    // Short 0.01 at an average of 85, marked at 75: +0.10 unrealized.
    expect(s('strategy_unrealized_pnl')).toBeCloseTo(0.1, 9);
    expect(s('strategy_pnl_total')).toBeCloseTo(-0.037, 9);
    expect(sample(body, 'strategy_position_size', { strategy: 'ma_cross', symbol: 'BTCUSDT' })).toBeCloseTo(-0.01, 12);
    expect(sample(body, 'strategy_position_value_usd', { strategy: 'ma_cross', symbol: 'BTCUSDT' })).toBeCloseTo(
      -0.75,
      9,
    );
    // Closed trades: two long lots at 90 (−0.115 − 0.002 fees each), one short lot at 75 (+0.10 − 0.002).
    expect(s('strategy_winning_trades_total')).toBe(1);
    expect(s('strategy_losing_trades_total')).toBe(2);
    expect(s('strategy_win_rate')).toBeCloseTo(1 / 3, 12);
    expect(s('strategy_avg_profit_usd')).toBeCloseTo(0.098, 9);
    expect(s('strategy_avg_loss_usd')).toBeCloseTo(0.117, 9);
    expect(s('strategy_max_drawdown_usd')).toBe(snapshot?.maxDrawdown);
    expect(s('strategy_max_drawdown_usd')).toBeGreaterThan(0.3);
    expect(s('strategy_sharpe_ratio')).toBe(snapshot?.sharpe);
    expect(Number.isFinite(s('strategy_sharpe_ratio'))).toBe(true);
    // 15 ticks of BTCUSDT, each decided once by ma_cross; none reached mean_revert.
    expect(sample(body, 'engine_strategy_latency_ms_count', { strategy: 'ma_cross' })).toBe(15);
    expect(sample(body, 'engine_strategy_latency_ms_count', { strategy: 'mean_revert' })).toBe(0);
    expect(sample(body, 'engine_market_data_received_total', { exchange: 'binance', type: 'trade' })).toBe(15);
    expect(sample(body, 'engine_uptime_seconds')).toBe(2);
  });

  it('keeps one order in flight per strategy, and logs risk rejects and failures without booking them', async () => {
    for (const price of [100, 101, 100, 101, 100]) await step('okx', 'ETHUSDT', price);
    const before = gateway.orders.length;
    // 105: z = 1.74 → short. The gateway holds its answer while three more ticks arrive.
    gateway.plan.push({ hold: true, result: 'risk_rejected', reason: 'max_notional' }, { httpStatus: 503 });
    gateway.prices.set('okx.ETHUSDT', 105);
    const counted = (): number =>
      exposed(engine, 'engine_market_data_received_total', { exchange: 'okx', type: 'trade' }) ?? 0;
    const start = counted();
    for (const price of [105, 106, 107, 108]) {
      await sendMd(['tick.okx.ETHUSDT', tickJson('okx', 'ETHUSDT', price)]);
    }
    await pollUntil(() => counted() === start + 4, 'four ticks', 5_000, 5);
    await pollUntil(() => gateway.held.length === 1, 'the held order', 5_000, 5);
    expect(gateway.orders.length).toBe(before + 1);
    expect(engine.runners[1]?.idle).toBe(false);
    gateway.releaseAll();
    await pollUntil(() => engine.runners[1]?.idle === true, 'the reject', 5_000, 5);
    // 109: the next order meets a 503; 110: the third is accepted and filled.
    await step('okx', 'ETHUSDT', 109);
    await step('okx', 'ETHUSDT', 110);

    const mine = gateway.orders.filter((o) => o.strategy === 'mean_revert');
    expect(mine.map((o) => `${o.side} ${o.quantity} ${o.exchange}`)).toEqual([
      'sell 0.2 okx',
      'sell 0.2 okx',
      'sell 0.2 okx',
    ]);
    expect(engine.runners[1]?.position).toBeCloseTo(-0.2, 12);
    const stats = engine.stats();
    expect(stats.orders).toMatchObject({ riskRejected: 1, failed: 1 });
    expect(stats.orders.sent).toBe(10);
    expect(stats.orders.accepted).toBe(8);
    const rejected = logLines.find((l) => l.msg === 'order rejected by gateway risk rule');
    expect(rejected).toMatchObject({ level: 30, strategy: 'mean_revert', reason: 'max_notional' });
    expect(logLines.find((l) => l.msg === 'order failed')).toMatchObject({ level: 40, reason: 'http_503' });

    const body = await scrape(engine);
    expect(sample(body, 'engine_orders_sent_total', { strategy: 'mean_revert', exchange: 'okx', side: 'sell' })).toBe(
      3,
    );
    expect(sample(body, 'engine_trades_received_total', { strategy: 'mean_revert', exchange: 'okx' })).toBe(1);
    expect(sample(body, 'strategy_trades_total', { strategy: 'mean_revert', side: 'sell' })).toBe(1);
    expect(sample(body, 'strategy_position_size', { strategy: 'mean_revert', symbol: 'ETHUSDT' })).toBeCloseTo(
      -0.2,
      12,
    );
    // The fill at 110 is the mark: flat unrealized, realized = −fee.
    expect(sample(body, 'strategy_pnl_total', { strategy: 'mean_revert' })).toBeCloseTo(-FEE, 12);
    // 11 ETHUSDT ticks decided; 4 of them while the order was out ('busy' is a decision too).
    expect(sample(body, 'engine_strategy_latency_ms_count', { strategy: 'mean_revert' })).toBe(11);
  });

  it('counts malformed and hostile bus messages by reason, warns once per interval, and keeps going', async () => {
    const warningsBefore = logLines.filter((l) => l.msg === 'bad bus message ignored').length;
    const valid = JSON.parse(tickJson('binance', 'BTCUSDT', 76)) as Record<string, unknown>;
    const garbage: (string | Buffer)[][] = [
      ['tick.binance.BTCUSDT'],
      ['tick.binance.BTCUSDT', '{}', 'extra'],
      ['tick.binance.BTCUSDT', '{"exchange":'],
      ['tick.binance.BTCUSDT', '[1,2]'],
      ['tick.binance.BTCUSDT', 'null'],
      ['tick.binance.BTCUSDT', Buffer.from([0xff, 0xfe, 0x00, 0x01])],
      ['tick.ftx.BTCUSDT', JSON.stringify({ ...valid, exchange: 'ftx' })],
      ['tick.binance.BTCUSDT', JSON.stringify({ ...valid, price: -1 })],
      ['tick.binance.BTCUSDT', JSON.stringify({ ...valid, price: 'NaN' })],
      ['tick.binance.BTCUSDT', JSON.stringify({ ...valid, type: 'trades' })],
      ['tick.binance.BTCUSDT', JSON.stringify({ ...valid, quantity: null })],
      ['tick.binance.BTCUSDT', JSON.stringify({ ...valid, exchangeTime: '2024' })],
      ['tick.binance.ETHUSDT', JSON.stringify(valid)],
      ['tick.binance.BTCUSDT', JSON.stringify({ ...valid, symbol: 'x'.repeat(100_000) })],
      // An own "__proto__" key from JSON.parse must not reach any prototype; no price → refused.
      [
        'tick.binance.BTCUSDT',
        '{"__proto__":{"polluted":true},"exchange":"binance","symbol":"BTCUSDT","type":"trade"}',
      ],
    ];
    for (const frames of garbage) await sendMd(frames);
    const fill = { ...otherFill, strategy: 'ma_cross' };
    const badFills: (string | Buffer)[][] = [
      ['fill.ma_cross', 'not json'],
      ['fill.ma_cross', JSON.stringify({ ...fill, side: 'hold' })],
      ['fill.ma_cross', JSON.stringify({ ...fill, quantity: 0 })],
      ['fill.ma_cross', JSON.stringify({ ...fill, fee: -1 })],
      ['fill.ma_cross', JSON.stringify({ ...fill, exchange: 'okx' })],
      ['fill.ma_cross', JSON.stringify({ ...fill, symbol: 'ETHUSDT' })],
      ['fill.mean_revert', JSON.stringify(fill)],
    ];
    for (const frames of badFills) await gateway.publish(frames);
    // Fences: one valid message on each bus (the tick of a symbol no strategy trades); ZeroMQ keeps
    // order per publisher, so everything above was read first.
    await step('binance', 'XRPUSDT', 0.5);
    const unknownBefore = engine.stats().bad.fills.unknown_strategy ?? 0;
    await gateway.publish(['fill.nobody', JSON.stringify(otherFill)]);
    await pollUntil(() => engine.stats().bad.fills.unknown_strategy === unknownBefore + 1, 'the fill fence', 5_000, 5);

    const stats = engine.stats();
    expect(stats.bad.ticks).toEqual({
      frames: 2,
      invalid_json: 2,
      not_object: 2,
      exchange: 1,
      price: 3,
      type: 1,
      quantity: 1,
      time: 1,
      topic_mismatch: 1,
      too_large: 1,
    });
    expect(stats.bad.fills).toMatchObject({
      invalid_json: 1,
      side: 1,
      quantity: 1,
      fee: 1,
      exchange: 1,
      symbol: 1,
      topic_mismatch: 1,
    });
    expect(stats.handlerErrors).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // 23 bad messages inside one warning interval: one warning at most (the first may have been the warm-up's).
    const warnings = logLines.filter((l) => l.msg === 'bad bus message ignored').length;
    expect(warnings - warningsBefore).toBeLessThanOrEqual(1);
    expect(warnings).toBe(1);
    // Nothing booked from the bad fills; the valid tick after the garbage was decided on.
    expect(engine.stats().fills).toBe(8);
    expect(engine.runners[0]?.position).toBeCloseTo(-0.01, 12);
    const body = await scrape(engine);
    expect(sample(body, 'engine_market_data_received_total', { exchange: 'binance', type: 'trade' })).toBe(16);
  });

  it('closes cleanly: no more decisions, sockets and server closed, twice is fine', async () => {
    const url = `${engine.metrics.url}/metrics`;
    await engine.close();
    await engine.close();
    expect(exposed(engine, 'engine_active_strategies')).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
    const last = logLines.at(-1);
    expect(last).toMatchObject({ msg: 'strategy engine stopped', ticks: expect.any(Number), fills: 8 });
    expect(logLines.find((l) => l.msg === 'bad bus messages ignored since last warning')).toMatchObject({ level: 40 });
  });
});

describe('shutdown with an order out', () => {
  it('waits for the order and its fill before closing, and books the fill', async () => {
    const clock = { t: 1_900_000_000_000 };
    const engine = await startEngine(
      engineEnv({ ENGINE_STRATEGIES: 'fast=ma_cross:binance:SOLUSDT', ENGINE_SHUTDOWN_TIMEOUT_MS: '5000' }),
      clock,
    );
    try {
      gateway.plan.push({ hold: true });
      gateway.prices.set('binance.SOLUSDT', 151);
      const counted = (): number =>
        exposed(engine, 'engine_market_data_received_total', { exchange: 'binance', type: 'trade' }) ?? 0;
      for (const price of [150, 150, 150, 150, 151]) {
        await sendMd(['tick.binance.SOLUSDT', tickJson('binance', 'SOLUSDT', price)]);
      }
      await pollUntil(() => counted() === 5 && gateway.held.length === 1, 'the held order', 5_000, 5);
      let closed = false;
      const closing = engine.close().then(() => {
        closed = true;
      });
      // The order is still out: close() waits (bounded by 5 s here).
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(closed).toBe(false);
      expect(engine.runners[0]?.idle).toBe(false);
      gateway.releaseAll();
      await closing;
      expect(engine.stats().fills).toBe(1);
      expect(engine.runners[0]?.position).toBe(5);
      expect(engine.stats().orders).toMatchObject({ sent: 1, accepted: 1 });
    } finally {
      await engine.close();
    }
  });

  it('gives up after ENGINE_SHUTDOWN_TIMEOUT_MS when the gateway never answers', async () => {
    const clock = { t: 1_900_000_000_000 };
    const lines: Record<string, unknown>[] = [];
    const engine = await startEngine(
      engineEnv({ ENGINE_STRATEGIES: 'slow=ma_cross:okx:SOLUSDT', ENGINE_SHUTDOWN_TIMEOUT_MS: '200' }),
      clock,
      lines,
    );
    try {
      gateway.plan.push({ hold: true });
      const held = gateway.held.length;
      for (const price of [150, 150, 150, 150, 151]) {
        await sendMd(['tick.okx.SOLUSDT', tickJson('okx', 'SOLUSDT', price)]);
      }
      await pollUntil(() => gateway.held.length === held + 1, 'the held order', 5_000, 5);
      const t0 = performance.now();
      await engine.close();
      const waited = performance.now() - t0;
      expect(waited).toBeGreaterThanOrEqual(190);
      expect(waited).toBeLessThan(2_000);
      expect(lines.find((l) => l.msg === 'orders still out at shutdown')).toMatchObject({ waiting: ['slow'] });
      // The aborted request resolved as failed/closed, so nothing is left pending.
      await pollUntil(() => engine.stats().orders.failed === 1, 'the aborted order', 5_000, 5);
      expect(lines.find((l) => l.msg === 'order failed')).toMatchObject({ reason: 'closed' });
    } finally {
      await engine.close();
      gateway.held.splice(0);
    }
  });
});

describe('two venues, each with its own market-data bus and gateway', () => {
  it('routes each strategy to its venue: ticks from both buses, orders to both gateways, fills from both booked', async () => {
    // Binance uses the file's market-data bus and gateway; OKX gets a second of each.
    const okxMd = new zmq.Publisher({ linger: 0 });
    const okxFills = new zmq.Publisher({ linger: 0 });
    await okxMd.bind('tcp://127.0.0.1:*');
    await okxFills.bind('tcp://127.0.0.1:*');
    const okxGateway = new FakeGateway(okxFills);
    okxGateway.server.listen(0, '127.0.0.1');
    await once(okxGateway.server, 'listening');
    let okxSends: Promise<void> = Promise.resolve();
    const sendOkx = (frames: (string | Buffer)[]): Promise<void> => {
      okxSends = okxSends.then(() => okxMd.send(frames));
      return okxSends;
    };
    const binanceOrdersBefore = gateway.orders.length;
    const clock = { t: 2_000_000_000_000 };
    const env = engineEnv({
      ENGINE_STRATEGIES: 'bin=ma_cross:binance:BTCUSDT,ok=ma_cross:okx:BTCUSDT',
      MD_ZMQ_ENDPOINTS: `binance=${mdPub.lastEndpoint},okx=${okxMd.lastEndpoint}`,
      GATEWAY_ZMQ_ENDPOINTS: `binance=${fillPub.lastEndpoint},okx=${okxFills.lastEndpoint}`,
      GATEWAY_URLS: `binance=${gateway.url},okx=${okxGateway.url}`,
    });
    // No single-endpoint fallback: every address comes from the per-venue lists.
    for (const single of ['MD_ZMQ_ENDPOINT', 'GATEWAY_ZMQ_ENDPOINT', 'GATEWAY_URL']) delete env[single];
    const engine = await startStrategyEngine(readEngineConfig(env), {
      logger: pino({ level: 'silent' }),
      now: () => clock.t,
      runtimeMetrics: false,
    });
    try {
      // Each subscription live: a book tick of an untraded symbol per market-data bus, and on each
      // fill bus a fill refused for a reason of its own (unknown strategy on Binance's, wrong symbol on OKX's).
      const books = (exchange: Venue): number =>
        exposed(engine, 'engine_market_data_received_total', { exchange, type: 'book' }) ?? 0;
      await pollUntil(
        async () => {
          const bad = engine.stats().bad.fills;
          const live = {
            binanceMd: books('binance') > 0,
            okxMd: books('okx') > 0,
            binanceFills: bad.unknown_strategy !== undefined,
            okxFills: bad.symbol !== undefined,
          };
          if (!live.binanceMd) await sendMd(['tick.binance.XRPUSDT', tickJson('binance', 'XRPUSDT', 0.5, 'book')]);
          if (!live.okxMd) await sendOkx(['tick.okx.XRPUSDT', tickJson('okx', 'XRPUSDT', 0.5, 'book')]);
          if (!live.binanceFills) await gateway.publish(['fill.nobody', JSON.stringify(otherFill)]);
          if (!live.okxFills) {
            await okxGateway.publish([
              'fill.ok',
              JSON.stringify({ ...otherFill, strategy: 'ok', exchange: 'okx', symbol: 'ETHUSDT' }),
            ]);
          }
          return Object.values(live).every(Boolean);
        },
        'the subscriptions to both venues',
        5_000,
        10,
      );

      // The same symbol on both venues at different prices: each venue's ticks come from its own
      // bus, and reach the strategy of that venue only. A rise after a flat start buys one lot.
      const trades = (exchange: Venue): number =>
        exposed(engine, 'engine_market_data_received_total', { exchange, type: 'trade' }) ?? 0;
      gateway.prices.set('binance.BTCUSDT', 101);
      okxGateway.prices.set('okx.BTCUSDT', 201);
      for (const [b, o] of [
        [100, 200],
        [100, 200],
        [100, 200],
        [100, 200],
        [101, 201],
      ] as const) {
        await sendMd(['tick.binance.BTCUSDT', tickJson('binance', 'BTCUSDT', b)]);
        await sendOkx(['tick.okx.BTCUSDT', tickJson('okx', 'BTCUSDT', o)]);
      }
      await pollUntil(() => trades('binance') === 5 && trades('okx') === 5, 'five ticks per venue', 5_000, 5);
      await pollUntil(() => engine.stats().fills === 2, 'a fill from each gateway', 5_000, 5);

      const binanceOrders = gateway.orders.slice(binanceOrdersBefore);
      expect(binanceOrders.map((o) => `${o.strategy} ${o.side} ${o.quantity} ${o.exchange} ${o.symbol}`)).toEqual([
        'bin buy 0.01 binance BTCUSDT',
      ]);
      expect(okxGateway.orders.map((o) => `${o.strategy} ${o.side} ${o.quantity} ${o.exchange} ${o.symbol}`)).toEqual([
        'ok buy 0.01 okx BTCUSDT',
      ]);
      expect(engine.stats().strategies).toEqual([
        { name: 'bin', position: 0.01, working: false },
        { name: 'ok', position: 0.01, working: false },
      ]);
      const body = await scrape(engine);
      for (const [strategy, exchange] of [
        ['bin', 'binance'],
        ['ok', 'okx'],
      ] as const) {
        expect(sample(body, 'engine_orders_sent_total', { strategy, exchange, side: 'buy' })).toBe(1);
        expect(sample(body, 'engine_trades_received_total', { strategy, exchange })).toBe(1);
        // Five ticks of its own venue decided, none of the other venue's.
        expect(sample(body, 'engine_strategy_latency_ms_count', { strategy })).toBe(5);
      }
      // Each venue's ledger marks at its own price: 0.01 BTC at 101 on Binance, at 201 on OKX.
      expect(sample(body, 'strategy_position_value_usd', { strategy: 'bin', symbol: 'BTCUSDT' })).toBeCloseTo(1.01, 9);
      expect(sample(body, 'strategy_position_value_usd', { strategy: 'ok', symbol: 'BTCUSDT' })).toBeCloseTo(2.01, 9);
    } finally {
      await engine.close();
      okxGateway.server.closeAllConnections();
      await new Promise((resolve) => okxGateway.server.close(resolve));
      okxMd.close();
      okxFills.close();
    }
  });
});
