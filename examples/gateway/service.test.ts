import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pollUntil, readExposition } from '@ttquant/test-kit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { type FakeExchange, startFakeExchange } from '../fixtures/fake-exchange.js';
import { createLogger } from '../shared/logger.js';
import type { EngineOrder, FillEvent, GatewayOrderResult, StrategyFill, Tick } from '../shared/protocol.js';
import { newTrace, traceparent } from '../shared/trace-context.js';
import { readGatewayConfig } from './config.js';
import { type GatewayHandle, startGateway } from './service.js';

// The gateway against a scripted fake exchange (real HTTP and WebSocket), a real ZeroMQ market-data
// publisher for marks and a real ZeroMQ subscriber for fills. Every test gets a fresh fake and a
// fresh gateway (fresh metrics), on ephemeral ports.

const logger = createLogger('gateway', { LOG_LEVEL: 'silent' });
let fake: FakeExchange;
let gateway: GatewayHandle | undefined;
let md: zmq.Publisher;
let mdEndpoint: string;

beforeAll(async () => {
  md = new zmq.Publisher({ linger: 0 });
  await md.bind('tcp://127.0.0.1:*');
  mdEndpoint = md.lastEndpoint as string;
});

afterAll(() => {
  md.close();
});

beforeEach(async () => {
  fake = await startFakeExchange();
});

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  await fake.close();
});

function env(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    EXCHANGE_URL: fake.url,
    GATEWAY_ORDER_PORT: '0',
    GATEWAY_METRICS_PORT: '0',
    GATEWAY_ZMQ_ENDPOINT: 'tcp://127.0.0.1:*',
    MD_ZMQ_ENDPOINT: mdEndpoint,
    GATEWAY_RETRY_BASE_MS: '1',
    GATEWAY_RETRY_MAX_MS: '5',
    GATEWAY_EXCHANGE_TIMEOUT_MS: '150',
    GATEWAY_ORDER_TTL_MS: '60000',
    GATEWAY_WS_RECONNECT_MS: '20',
    GATEWAY_DRAIN_TIMEOUT_MS: '2000',
    ...overrides,
  };
}

/** Starts the gateway and waits until both executions streams are connected. */
async function start(overrides: Record<string, string> = {}, waitForStreams = true): Promise<GatewayHandle> {
  gateway = await startGateway(readGatewayConfig(env(overrides)), { logger });
  if (waitForStreams)
    await pollUntil(
      () => fake.clients('binance') === 1 && fake.clients('okx') === 1,
      "fake.clients('binance') === 1 && fake.clients('okx') === 1",
      3_000,
      5,
    );
  return gateway;
}

let orderSeq = 0;
function order(fields: Partial<EngineOrder> = {}): EngineOrder {
  return {
    strategy: 'ma_cross',
    clientOrderId: `t${++orderSeq}`,
    exchange: 'binance',
    symbol: 'BTCUSDT',
    side: 'buy',
    type: 'market',
    quantity: 0.01,
    price: 50_000,
    ...fields,
  };
}

async function post(body: unknown, gw = gateway as GatewayHandle): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${gw.orderUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

async function submit(o: EngineOrder): Promise<GatewayOrderResult> {
  const { status, json } = await post(o);
  expect(status).toBe(200);
  return json as GatewayOrderResult;
}

function fill(o: EngineOrder, quantity: number, price: number, fee: number, time: number): FillEvent {
  const at = fake.orders.get(o.clientOrderId);
  return {
    e: 'fill',
    clientOrderId: o.clientOrderId,
    orderId: at?.orderId ?? 'X?',
    symbol: o.symbol,
    side: o.side,
    price,
    quantity,
    fee,
    time,
  };
}

function posts(): number {
  return fake.requests.filter((r) => r.method === 'POST').length;
}

/** The running gateway's /metrics body. */
async function metricsBody(gw = gateway as GatewayHandle): Promise<string> {
  return (await fetch(`${gw.metricsUrl}/metrics`)).text();
}

/**
 * One series' value as a scrape of the running gateway shows it; `undefined` when the series does not
 * exist. Never `bind()` to read a value: it creates the very series the test would check.
 *
 * @param family - the metric family (its wire name)
 * @param labels - the series' full label set
 * @param sample - suffix of the sample read, `'_count'` for a histogram's count
 * @returns the sample's value, or `undefined`
 */
async function exposed(
  family: { readonly name: string },
  labels: Readonly<Record<string, string>>,
  sample = '',
): Promise<number | undefined> {
  return readExposition(await metricsBody()).value(`${family.name}${sample}`, labels);
}

describe('order submission', () => {
  it('acks: counts the order, the success, the latency, and one active order', async () => {
    const gw = await start();
    const o = order();
    expect(await submit(o)).toEqual({ clientOrderId: o.clientOrderId, status: 'accepted' });
    const m = gw.metrics;
    expect(await exposed(m.orders, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy', type: 'market' })).toBe(1);
    expect(await exposed(m.ordersSuccess, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' })).toBe(1);
    expect(await exposed(m.orderLatency, { exchange: 'binance', operation: 'new' }, '_count')).toBe(1);
    expect(await exposed(m.activeOrders, { exchange: 'binance', symbol: 'BTCUSDT' })).toBe(1);
    // What reached the exchange: one POST, the order as sent (a market order carries no price).
    expect(fake.requests).toEqual([
      {
        method: 'POST',
        path: '/api/binance/orders',
        body: { clientOrderId: o.clientOrderId, symbol: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01 },
      },
    ]);
    expect(gw.risk.exposure('binance', 'BTCUSDT')).toEqual({ position: 0, openBuy: 0.01, openSell: 0 });
    // The line as served: labels in their declared order.
    expect(await metricsBody(gw)).toContain(
      'orders_total{exchange="binance",symbol="BTCUSDT",side="buy",type="market"} 1\n',
    );
  });

  it('continues the order trace from traceparent into its latency exemplar; an invalid header starts a new trace, counted', async () => {
    const gw = await start();
    const parent = newTrace();
    const traced = order();
    const withHeader = (header: string, o: EngineOrder) =>
      fetch(`${gw.orderUrl}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: header },
        body: JSON.stringify(o),
      }).then((r) => r.json());
    expect(await withHeader(traceparent(parent), traced)).toMatchObject({ status: 'accepted' });
    const openMetrics = async () =>
      (
        await fetch(`${gw.metricsUrl}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } })
      ).text();
    const exemplar = (await openMetrics())
      .split('\n')
      .find(
        (line) =>
          line.startsWith('order_processing_latency_ms_bucket{exchange="binance",operation="new"') &&
          line.includes(' # '),
      );
    expect(exemplar).toContain(`trace_id="${parent.traceId}"`);
    // The gateway's own span in that trace, not the engine's.
    expect(exemplar).toMatch(/span_id="[0-9a-f]{16}"/);
    expect(exemplar).not.toContain(parent.spanId);
    expect(gw.stats.invalidTraceparents).toBe(0);
    expect(await withHeader('00-not-a-trace-01', order({ side: 'sell' }))).toMatchObject({ status: 'accepted' });
    expect(gw.stats.invalidTraceparents).toBe(1);
  });

  it('429 then success: one retry, the same clientOrderId, exactly one order at the exchange', async () => {
    const gw = await start();
    fake.script(429, 'ack');
    const o = order();
    expect((await submit(o)).status).toBe('accepted');
    expect(posts()).toBe(2);
    expect(fake.requests[0]?.body).toEqual(fake.requests[1]?.body);
    expect(fake.orders.size).toBe(1);
    const m = gw.metrics;
    expect(await exposed(m.rateLimitHits, { exchange: 'binance', endpoint: 'order' })).toBe(1);
    expect(await exposed(m.orderRetries, { exchange: 'binance', reason: 'rate_limited' })).toBe(1);
    expect(await exposed(m.ordersSuccess, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' })).toBe(1);
  });

  it('a timeout after the exchange took the order: the retry gets the same order, never a second one', async () => {
    const gw = await start();
    fake.script('hang', 'ack');
    const o = order();
    expect((await submit(o)).status).toBe('accepted');
    expect(posts()).toBe(2);
    expect(fake.orders.size).toBe(1);
    expect(await exposed(gw.metrics.orderRetries, { exchange: 'binance', reason: 'timeout' })).toBe(1);
    expect(await exposed(gw.metrics.activeOrders, { exchange: 'binance', symbol: 'BTCUSDT' })).toBe(1);
  });

  it('503 on every attempt: GATEWAY_MAX_RETRIES retries, then failed with retries_exhausted', async () => {
    const gw = await start({ GATEWAY_MAX_RETRIES: '3' });
    fake.script(503, 503, 503, 503);
    const o = order();
    expect(await submit(o)).toEqual({ clientOrderId: o.clientOrderId, status: 'failed', reason: 'retries_exhausted' });
    expect(posts()).toBe(4);
    const m = gw.metrics;
    expect(await exposed(m.orderRetries, { exchange: 'binance', reason: 'server_error' })).toBe(3);
    expect(await exposed(m.ordersFailed, { exchange: 'binance', reason: 'retries_exhausted' })).toBe(1);
    expect((await exposed(m.ordersSuccess, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' })) ?? 0).toBe(0);
    expect((await exposed(m.activeOrders, { exchange: 'binance', symbol: 'BTCUSDT' })) ?? 0).toBe(0);
    // The failed order no longer counts against the position limit.
    expect(gw.risk.exposure('binance', 'BTCUSDT').openBuy).toBe(0);
  });

  it('timeouts on every attempt: failed with reason timeout; still one order at the exchange', async () => {
    const gw = await start({ GATEWAY_MAX_RETRIES: '2', GATEWAY_EXCHANGE_TIMEOUT_MS: '80' });
    fake.script('hang', 'hang', 'hang');
    const o = order();
    expect(await submit(o)).toEqual({ clientOrderId: o.clientOrderId, status: 'failed', reason: 'timeout' });
    expect(posts()).toBe(3);
    expect(fake.orders.size).toBe(1);
    expect(await exposed(gw.metrics.orderRetries, { exchange: 'binance', reason: 'timeout' })).toBe(2);
    expect(await exposed(gw.metrics.ordersFailed, { exchange: 'binance', reason: 'timeout' })).toBe(1);
  });

  it('429 to the end: failed with reason rate_limited; every 429 counted', async () => {
    const gw = await start({ GATEWAY_MAX_RETRIES: '1' });
    fake.script(429, 429);
    expect((await submit(order())).reason).toBe('rate_limited');
    expect(await exposed(gw.metrics.rateLimitHits, { exchange: 'binance', endpoint: 'order' })).toBe(2);
    expect(await exposed(gw.metrics.orderRetries, { exchange: 'binance', reason: 'rate_limited' })).toBe(1);
    expect(await exposed(gw.metrics.ordersFailed, { exchange: 'binance', reason: 'rate_limited' })).toBe(1);
  });

  it('a connection reset is retried as a network error', async () => {
    const gw = await start();
    fake.script('reset', 'ack');
    expect((await submit(order())).status).toBe('accepted');
    expect(await exposed(gw.metrics.orderRetries, { exchange: 'binance', reason: 'network' })).toBe(1);
  });

  it('no exchange at all: network retries, then failed with reason network', async () => {
    const closed = createTcpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const gw = await start({ EXCHANGE_URL: `http://127.0.0.1:${port}`, GATEWAY_MAX_RETRIES: '2' }, false);
    expect((await submit(order())).reason).toBe('network');
    expect(await exposed(gw.metrics.orderRetries, { exchange: 'binance', reason: 'network' })).toBe(2);
    expect(await exposed(gw.metrics.ordersFailed, { exchange: 'binance', reason: 'network' })).toBe(1);
  });

  it('400 from the exchange: failed with exchange_rejected, never retried', async () => {
    const gw = await start();
    fake.script(400);
    const o = order();
    expect(await submit(o)).toEqual({ clientOrderId: o.clientOrderId, status: 'failed', reason: 'exchange_rejected' });
    expect(posts()).toBe(1);
    expect(await exposed(gw.metrics.ordersFailed, { exchange: 'binance', reason: 'exchange_rejected' })).toBe(1);
    const retries = ['rate_limited', 'server_error', 'timeout', 'network'] as const;
    for (const reason of retries)
      expect((await exposed(gw.metrics.orderRetries, { exchange: 'binance', reason })) ?? 0).toBe(0);
  });

  it('a repeated clientOrderId gets the first result and is not submitted or counted again', async () => {
    const gw = await start();
    const o = order();
    const [a, b] = await Promise.all([submit(o), submit(o)]);
    expect(a).toEqual(b);
    expect(posts()).toBe(1);
    expect(
      await exposed(gw.metrics.orders, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy', type: 'market' }),
    ).toBe(1);
  });
});

describe('risk rules', () => {
  it('rejects by rule before the exchange: max_notional, max_position, max_order_rate', async () => {
    const gw = await start({
      RISK_MAX_NOTIONAL_USD: '1000',
      RISK_MAX_POSITION_USD: '1500',
      RISK_MAX_ORDERS_PER_SEC: '1000',
    });
    const reject = async (o: EngineOrder, rule: string) => {
      expect(await submit(o)).toEqual({ clientOrderId: o.clientOrderId, status: 'risk_rejected', reason: rule });
    };
    await reject(order({ quantity: 0.03 }), 'max_notional'); // 1,500 USD > 1,000
    expect((await submit(order({ quantity: 0.02 }))).status).toBe('accepted'); // 1,000; open
    await reject(order({ quantity: 0.02 }), 'max_position'); // 0.04 × 50,000 = 2,000 > 1,500
    // No price and no mark yet: the order cannot be valued.
    await reject(order({ price: undefined, symbol: 'ETHUSDT' }), 'max_notional');
    expect(posts()).toBe(1);
    const m = gw.metrics;
    expect(await exposed(m.ordersRiskRejected, { exchange: 'binance', rule: 'max_notional' })).toBe(2);
    expect(await exposed(m.ordersRiskRejected, { exchange: 'binance', rule: 'max_position' })).toBe(1);
    // Every valid request counts in orders_total, before risk.
    expect(await exposed(m.orders, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy', type: 'market' })).toBe(3);
  });

  it('max_order_rate: a burst beyond the bucket is rejected', async () => {
    const gw = await start({ RISK_MAX_ORDERS_PER_SEC: '0.001', RISK_ORDER_BURST: '2' });
    const results = await Promise.all([1, 2, 3, 4].map(() => submit(order({ exchange: 'okx' }))));
    expect(results.map((r) => r.status).sort()).toEqual(['accepted', 'accepted', 'risk_rejected', 'risk_rejected']);
    expect(await exposed(gw.metrics.ordersRiskRejected, { exchange: 'okx', rule: 'max_order_rate' })).toBe(2);
    expect(posts()).toBe(2);
  });

  it('a market order without a price is valued at the last mark from the market-data bus', async () => {
    const gw = await start({ RISK_MAX_NOTIONAL_USD: '1000' });
    const tick: Tick = {
      exchange: 'binance',
      symbol: 'ETHUSDT',
      type: 'trade',
      price: 2_000,
      quantity: 1,
      volume24h: 0,
      exchangeTime: 1,
      receivedTime: 2,
    };
    // The SUB connects in the background: publish until the mark has arrived.
    await pollUntil(
      () => {
        void md.send(['tick.binance.ETHUSDT', JSON.stringify(tick)]);
        return gw.mark('binance', 'ETHUSDT') === 2_000;
      },
      "gw.mark('binance', 'ETHUSDT') === 2_000",
      3_000,
      5,
    );
    expect((await submit(order({ symbol: 'ETHUSDT', price: undefined, quantity: 0.4 }))).status).toBe('accepted');
    // 0.6 × 2,000 = 1,200 > 1,000 with the same mark.
    const r = await submit(order({ symbol: 'ETHUSDT', price: undefined, quantity: 0.6 }));
    expect(r.reason).toBe('max_notional');
  });
});

describe('executions', () => {
  it('fills move trades, volume, commission, position, exposure, drawdown, active orders, and reach a ZMQ SUB', async () => {
    const gw = await start();
    const sub = new zmq.Subscriber({ linger: 0 });
    const received: [string, StrategyFill][] = [];
    try {
      sub.connect(gw.zmqEndpoint);
      sub.subscribe('fill.');
      const loop = (async () => {
        for await (const [topic, payload] of sub) received.push([String(topic), JSON.parse(String(payload))]);
      })().catch(() => undefined);

      const o = order({ type: 'limit', quantity: 0.02, price: 50_000 });
      expect((await submit(o)).status).toBe('accepted');
      const m = gw.metrics;
      const active = (): Promise<number | undefined> =>
        exposed(m.activeOrders, { exchange: 'binance', symbol: 'BTCUSDT' });
      expect(await active()).toBe(1);

      fake.emit('binance', fill(o, 0.01, 50_000, 0.2, 1_000));
      await pollUntil(
        async () => (await exposed(m.trades, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' })) === 1,
        'the first fill in trades_total',
        3_000,
        5,
      );
      expect(await active()).toBe(1); // partially filled: still open
      fake.emit('binance', fill(o, 0.01, 50_100, 0.2004, 1_001));
      await pollUntil(async () => (await active()) === 0, 'no active orders', 3_000, 5);

      expect(await exposed(m.trades, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' })).toBe(2);
      expect(await exposed(m.tradeVolume, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' })).toBeCloseTo(
        1_001,
        9,
      );
      expect(await exposed(m.commission, { exchange: 'binance', symbol: 'BTCUSDT' })).toBeCloseTo(0.4004, 12);
      expect(await exposed(m.position, { exchange: 'binance', symbol: 'BTCUSDT' })).toBeCloseTo(0.02, 12);
      // No mark yet: the first fill price stands in (0.02 × 50,000).
      const exposure = (): Promise<number | undefined> => exposed(m.riskExposure, { exchange: 'binance' });
      expect(await exposure()).toBeCloseTo(1_000, 9);
      // Fees 0.4004 realized, and 0.02 × (50,000 − 50,050) = −1 unrealized: drawdown 1.4004.
      const drawdown = (): Promise<number | undefined> => exposed(m.maxDrawdown, { exchange: 'binance' });
      expect(await drawdown()).toBeCloseTo(1.4004, 9);
      expect(gw.risk.exposure('binance', 'BTCUSDT')).toEqual({ position: 0.02, openBuy: 0, openSell: 0 });

      // A mark from the market-data bus revalues the exposure; the drawdown keeps its maximum.
      const tick: Tick = {
        exchange: 'binance',
        symbol: 'BTCUSDT',
        type: 'book',
        price: 51_000,
        quantity: 0,
        volume24h: 0,
        exchangeTime: 1,
        receivedTime: 2,
      };
      await pollUntil(
        async () => {
          void md.send(['tick.binance.BTCUSDT', JSON.stringify(tick)]);
          return Math.abs(((await exposure()) ?? 0) - 1_020) < 1e-9;
        },
        'risk_exposure at the new mark',
        3_000,
        5,
      );
      expect(await drawdown()).toBeCloseTo(1.4004, 9);

      // Both fills reached the engine's topic, as StrategyFills.
      await pollUntil(() => received.length === 2, 'received.length === 2', 3_000, 5);
      expect(received).toEqual([
        [
          'fill.ma_cross',
          {
            strategy: 'ma_cross',
            exchange: 'binance',
            clientOrderId: o.clientOrderId,
            symbol: 'BTCUSDT',
            side: 'buy',
            price: 50_000,
            quantity: 0.01,
            fee: 0.2,
            time: 1_000,
          },
        ],
        [
          'fill.ma_cross',
          {
            strategy: 'ma_cross',
            exchange: 'binance',
            clientOrderId: o.clientOrderId,
            symbol: 'BTCUSDT',
            side: 'buy',
            price: 50_100,
            quantity: 0.01,
            fee: 0.2004,
            time: 1_001,
          },
        ],
      ]);

      // A repeated fill, a fill for an unknown order and garbage are counted; nothing is booked.
      fake.emit('binance', fill(o, 0.01, 50_100, 0.2004, 1_001));
      fake.emit('binance', { ...fill(o, 1, 1, 0, 1), clientOrderId: 'nobody' });
      fake.emit('binance', 'not json {');
      fake.emit('binance', '{"e":"fill","clientOrderId":"x"}');
      fake.emit('binance', '[1,2,3]');
      await pollUntil(
        () =>
          gw.stats.duplicateExecutions === 1 && gw.stats.unknownExecutions === 1 && gw.stats.malformedExecutions === 3,
        'gw.stats.duplicateExecutions === 1 && gw.stats.unknownExecutions === 1 && gw.stats.malformedExecutions === 3',
        3_000,
        5,
      );
      expect(await exposed(m.trades, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' })).toBe(2);
      expect(gw.stats.fillsPublished).toBe(2);
      expect(gw.executionsConnected('binance')).toBe(true);
      sub.close();
      await loop;
    } finally {
      if (!sub.closed) sub.close();
    }
  });

  it('a fill that arrives before the ack (first answer lost): booked once, active orders never go up', async () => {
    const gw = await start({ GATEWAY_EXCHANGE_TIMEOUT_MS: '300' });
    fake.script('hang', 'ack_filled');
    const o = order();
    const pending = submit(o);
    await pollUntil(() => fake.orders.has(o.clientOrderId), 'fake.orders.has(o.clientOrderId)', 3_000, 5);
    fake.emit('binance', fill(o, 0.01, 50_000, 0.1, 5));
    expect((await pending).status).toBe('accepted');
    const m = gw.metrics;
    expect(await exposed(m.trades, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' })).toBe(1);
    expect((await exposed(m.activeOrders, { exchange: 'binance', symbol: 'BTCUSDT' })) ?? 0).toBe(0);
    expect(await exposed(m.ordersSuccess, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' })).toBe(1);
  });

  it('a cancel event takes the order out of active orders and releases its risk reserve', async () => {
    const gw = await start();
    const o = order({ type: 'limit', side: 'sell', symbol: 'SOLUSDT', quantity: 2, price: 150, exchange: 'okx' });
    expect((await submit(o)).status).toBe('accepted');
    const active = (): Promise<number | undefined> =>
      exposed(gw.metrics.activeOrders, { exchange: 'okx', symbol: 'SOLUSDT' });
    expect(await active()).toBe(1);
    expect(gw.risk.exposure('okx', 'SOLUSDT').openSell).toBe(2);
    const at = fake.orders.get(o.clientOrderId);
    fake.emit('okx', { e: 'cancelled', clientOrderId: o.clientOrderId, orderId: at?.orderId ?? '', time: 9 });
    await pollUntil(async () => (await active()) === 0, 'no active orders', 3_000, 5);
    expect(gw.stats.cancelEvents).toBe(1);
    expect(gw.risk.exposure('okx', 'SOLUSDT').openSell).toBe(0);
    // A second cancel is a duplicate, and the gauge stays at 0.
    fake.emit('okx', { e: 'cancelled', clientOrderId: o.clientOrderId, orderId: at?.orderId ?? '', time: 9 });
    await pollUntil(() => gw.stats.duplicateExecutions === 1, 'gw.stats.duplicateExecutions === 1', 3_000, 5);
    expect(await active()).toBe(0);
  });

  it('reconnects the executions stream after the exchange drops it, and books fills again', async () => {
    const gw = await start();
    const o = order({ type: 'limit' });
    expect((await submit(o)).status).toBe('accepted');
    fake.drop('binance');
    await pollUntil(() => fake.clients('binance') === 0, "fake.clients('binance') === 0", 3_000, 5);
    await pollUntil(
      () => fake.clients('binance') === 1 && gw.executionsConnected('binance'),
      "fake.clients('binance') === 1 && gw.executionsConnected('binance')",
      3_000,
      5,
    );
    fake.emit('binance', fill(o, 0.01, 50_000, 0, 7));
    await pollUntil(
      async () => (await exposed(gw.metrics.activeOrders, { exchange: 'binance', symbol: 'BTCUSDT' })) === 0,
      'no active orders',
      3_000,
      5,
    );
    expect(await exposed(gw.metrics.trades, { exchange: 'binance', symbol: 'BTCUSDT', side: 'buy' })).toBe(1);
  });
});

describe('order TTL', () => {
  it('cancels a resting order past GATEWAY_ORDER_TTL_MS and times the cancel', async () => {
    const gw = await start({ GATEWAY_ORDER_TTL_MS: '50' });
    const o = order({ type: 'limit', price: 40_000 });
    expect((await submit(o)).status).toBe('accepted');
    const active = (): Promise<number | undefined> =>
      exposed(gw.metrics.activeOrders, { exchange: 'binance', symbol: 'BTCUSDT' });
    const cancelLatency = (): Promise<number | undefined> =>
      exposed(gw.metrics.orderLatency, { exchange: 'binance', operation: 'cancel' }, '_count');
    await pollUntil(async () => (await active()) === 0, 'no active orders', 3_000, 5);
    expect(await cancelLatency()).toBe(1);
    expect(gw.stats.ttlCancels).toBe(1);
    expect(fake.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
      `/api/binance/orders/${o.clientOrderId}`,
    ]);
    expect(fake.orders.get(o.clientOrderId)?.status).toBe('cancelled');
    expect(gw.risk.exposure('binance', 'BTCUSDT').openBuy).toBe(0);
    // The exchange's cancel event, after the DELETE answer, is expected: no duplicate.
    await pollUntil(() => gw.stats.cancelEvents === 1, 'gw.stats.cancelEvents === 1', 3_000, 5);
    expect(gw.stats.duplicateExecutions).toBe(0);
    expect(await active()).toBe(0);
  });

  it('a rate-limited cancel is counted on the cancel endpoint and retried', async () => {
    const gw = await start({ GATEWAY_ORDER_TTL_MS: '30' });
    fake.scriptCancel(429);
    expect((await submit(order({ type: 'limit' }))).status).toBe('accepted');
    const active = (): Promise<number | undefined> =>
      exposed(gw.metrics.activeOrders, { exchange: 'binance', symbol: 'BTCUSDT' });
    await pollUntil(async () => (await active()) === 0, 'no active orders', 3_000, 5);
    expect(await exposed(gw.metrics.rateLimitHits, { exchange: 'binance', endpoint: 'cancel' })).toBe(1);
    // Cancel retries are not order submissions.
    expect((await exposed(gw.metrics.orderRetries, { exchange: 'binance', reason: 'rate_limited' })) ?? 0).toBe(0);
    expect(fake.requests.filter((r) => r.method === 'DELETE')).toHaveLength(2);
  });
});

describe('hostile order entry', () => {
  it('answers 400/404/405/413 to bad requests, counts no order, and keeps serving', async () => {
    const gw = await start();
    const valid = order();
    const cases: [unknown, number, string | undefined][] = [
      ['not json', 400, undefined],
      ['', 400, undefined],
      ['[]', 400, 'order'],
      ['null', 400, 'order'],
      ['"str"', 400, 'order'],
      [{ ...valid, strategy: 'has space' }, 400, 'strategy'],
      [{ ...valid, strategy: 'x'.repeat(65) }, 400, 'strategy'],
      [{ ...valid, clientOrderId: '' }, 400, 'clientOrderId'],
      [{ ...valid, clientOrderId: 42 }, 400, 'clientOrderId'],
      [{ ...valid, exchange: 'bybit' }, 400, 'exchange'],
      [{ ...valid, symbol: 'DOGE/../../etc' }, 400, 'symbol'],
      [{ ...valid, side: 'short' }, 400, 'side'],
      [{ ...valid, type: 'stop' }, 400, 'type'],
      [{ ...valid, quantity: '1' }, 400, 'quantity'],
      [{ ...valid, quantity: -1 }, 400, 'quantity'],
      [{ ...valid, quantity: 0 }, 400, 'quantity'],
      [
        `{"strategy":"a","clientOrderId":"b","exchange":"binance","symbol":"BTCUSDT","side":"buy","type":"market","quantity":1e999}`,
        400,
        'quantity',
      ],
      [{ ...valid, type: 'limit', price: undefined }, 400, 'price'],
      [{ ...valid, price: null }, 400, 'price'],
      [`{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}`, 400, 'strategy'],
    ];
    for (const [body, status, field] of cases) {
      const r = await post(body);
      expect({ body, status: r.status }).toEqual({ body, status });
      expect((r.json as { field?: string }).field).toBe(field);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // 70 KiB declared: 413 without reading it. Chunked (no length): 413 once 64 KiB have arrived.
    const big = JSON.stringify({ ...valid, strategy: 'a'.repeat(70 * 1024) });
    expect((await post(big)).status).toBe(413);
    expect(await rawPost(gw.orderUrl, big, { 'transfer-encoding': 'chunked' })).toBe(413);
    expect(await rawPost(gw.orderUrl, '{}', { 'content-length': '1000000000' }, false)).toBe(413);

    const get = await fetch(`${gw.orderUrl}/orders`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(`${gw.orderUrl}/admin`, { method: 'POST' })).status).toBe(404);

    // Not HTTP at all, and a body cut short: the connection is dropped, the server lives on.
    await rawSocket(gw.orderUrl, '\x00\x01\x02 GARBAGE\r\n\r\n');
    await rawSocket(gw.orderUrl, 'POST /orders HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{"strat');

    // Counted: every case, the three 413s and the body cut short (not the garbage: no request parsed).
    expect(gw.stats.badRequests).toBe(cases.length + 4);
    const counted = readExposition(await metricsBody(gw)).select('orders_total');
    expect(counted.filter((series) => series.value !== 0)).toEqual([]);
    expect(posts()).toBe(0);
    expect((await submit(order())).status).toBe('accepted');
  });
});

describe('shutdown', () => {
  it('close(): new orders get 503 while in-flight ones drain (bounded), then every socket closes', async () => {
    const gw = await start({ GATEWAY_EXCHANGE_TIMEOUT_MS: '5000', GATEWAY_DRAIN_TIMEOUT_MS: '200' });
    fake.script('hang');
    const o = order();
    const inflight = submit(o);
    await pollUntil(() => posts() === 1, 'posts() === 1', 3_000, 5);
    const closing = gw.close();
    const refused = await post(order());
    expect(refused).toEqual({ status: 503, json: { error: 'shutting_down' } });
    expect(await inflight).toEqual({ clientOrderId: o.clientOrderId, status: 'failed', reason: 'shutdown' });
    await closing;
    gateway = undefined;
    await expect(fetch(`${gw.orderUrl}/orders`, { method: 'POST', body: '{}' })).rejects.toThrow();
    await expect(fetch(`${gw.metricsUrl}/metrics`)).rejects.toThrow();
    await pollUntil(
      () => fake.clients('binance') === 0 && fake.clients('okx') === 0,
      "fake.clients('binance') === 0 && fake.clients('okx') === 0",
      3_000,
      5,
    );
    expect(gw.stats.refusedWhileClosing).toBe(1);
  });

  it('main.ts: serves, takes an order, and exits 0 on SIGTERM', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', main], {
      env: { ...process.env, ...env(), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await pollUntil(() => /gateway: fills on /.test(output), '/gateway: fills on /.test(output)', 15_000, 5);
      const metricsUrl = /gateway: metrics at (\S+)/.exec(output)?.[1] as string;
      const ordersUrl = /gateway: orders at (\S+)/.exec(output)?.[1] as string;
      expect((await fetch(metricsUrl)).status).toBe(200);
      await pollUntil(() => fake.clients('binance') === 1, "fake.clients('binance') === 1", 3_000, 5);
      const response = await fetch(ordersUrl, { method: 'POST', body: JSON.stringify(order()) });
      expect(((await response.json()) as GatewayOrderResult).status).toBe('accepted');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(output).toContain('gateway: stopped on SIGTERM');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 20_000);
});

/** POSTs with node:http to control the framing; resolves with the status. */
function rawPost(base: string, body: string, headers: Record<string, string>, sendBody = true): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/orders`, { method: 'POST', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    // The server may close before the whole body is written: that is its answer to an oversized body.
    req.on('error', (error) => (req.writableEnded ? undefined : reject(error)));
    if (sendBody) {
      for (let i = 0; i < body.length; i += 8_192) req.write(body.slice(i, i + 8_192));
    } else {
      req.write(body);
    }
    req.end();
  });
}

/** Writes raw bytes to the server and waits until it closes the connection. */
function rawSocket(base: string, text: string): Promise<void> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(text);
      socket.end();
    });
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.resume();
  });
}
