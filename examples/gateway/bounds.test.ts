import { Writable } from 'node:stream';
import { pollUntil } from '@ttquant/test-kit';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { readExchangeConfig } from '../fixtures/exchange/config.js';
import { type Exchange, startExchange } from '../fixtures/exchange/service.js';
import type { EngineOrder, GatewayOrderResult } from '../shared/protocol.js';
import { readGatewayConfig } from './config.js';
import { type GatewayHandle, startGateway } from './service.js';

// The gateway's memory bounds, in process against the real simulated exchange (in process too):
// finished orders remembered (GATEWAY_REMEMBERED_ORDERS), orders live at once
// (GATEWAY_MAX_LIVE_ORDERS) and strategy names (GATEWAY_MAX_STRATEGIES).

let exchange: Exchange | undefined;
let gateway: GatewayHandle | undefined;

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  await exchange?.close();
  exchange = undefined;
});

/** Log lines the gateway wrote, parsed. */
const lines: { level: number; msg: string; forgotten?: number }[] = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  }),
);

async function start(overrides: Record<string, string>): Promise<{ x: Exchange; gw: GatewayHandle }> {
  lines.length = 0;
  exchange = await startExchange({ ...readExchangeConfig({ EXCHANGE_ACK_MS: '0', EXCHANGE_FILL_MS: '1' }), port: 0 });
  gateway = await startGateway(
    readGatewayConfig({
      EXCHANGE_URL: exchange.url,
      GATEWAY_ORDER_PORT: '0',
      GATEWAY_METRICS_PORT: '0',
      GATEWAY_ZMQ_ENDPOINT: 'tcp://127.0.0.1:*',
      MD_ZMQ_ENDPOINT: '',
      RISK_MAX_ORDERS_PER_SEC: '100000',
      RISK_MAX_POSITION_USD: '1e12',
      GATEWAY_ORDER_TTL_MS: '60000',
      ...overrides,
    }),
    { logger },
  );
  const gw = gateway;
  await pollUntil(() => gw.executionsConnected('binance'), 'executions stream connected', 3_000, 5);
  return { x: exchange, gw };
}

let seq = 0;
function order(fields: Partial<EngineOrder> = {}): EngineOrder {
  return {
    strategy: 's1',
    clientOrderId: `b${++seq}`,
    exchange: 'binance',
    symbol: 'BTCUSDT',
    side: 'buy',
    type: 'market',
    quantity: 0.001,
    price: 50_000,
    ...fields,
  };
}

async function post(gw: GatewayHandle, body: EngineOrder): Promise<{ status: number; json: GatewayOrderResult }> {
  const response = await fetch(`${gw.orderUrl}/orders`, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as GatewayOrderResult };
}

describe('gateway bounds', () => {
  it('remembers at most GATEWAY_REMEMBERED_ORDERS finished orders; the exchange still dedups a forgotten id', async () => {
    const { x, gw } = await start({ GATEWAY_REMEMBERED_ORDERS: '5', GATEWAY_ORDER_TTL_MS: '300' });
    const sent: EngineOrder[] = [];
    for (let i = 0; i < 20; i++) {
      const o = order();
      sent.push(o);
      expect((await post(gw, o)).json.status).toBe('accepted');
      await pollUntil(() => gw.memory().live === 0, 'order filled', 3_000, 2);
      expect(gw.memory().remembered).toBeLessThanOrEqual(5);
    }
    expect(gw.memory()).toMatchObject({ live: 0, remembered: 5 });
    expect(gw.stats.forgottenOrders).toBe(15);
    // Each was forgotten milliseconds after it filled, well inside the retry window: counted, and
    // warned about once (at most one line a minute), not 15 times.
    expect(gw.stats.forgottenEarly).toBe(15);
    expect(lines.filter((l) => l.msg.includes('GATEWAY_REMEMBERED_ORDERS'))).toHaveLength(1);

    const before = x.stats().orders.binance;
    expect(before).toMatchObject({ received: 20, acked: 20, filled: 20, duplicates: 0 });
    // A remembered order: the first result, not sent again.
    expect((await post(gw, sent[19] as EngineOrder)).json.status).toBe('accepted');
    expect(x.stats().orders.binance.received).toBe(20);
    // A forgotten one is a new order to the gateway; the exchange, which remembers longer
    // (EXCHANGE_REMEMBERED_ORDERS), answers with the first order's ack: no second order, no second fill.
    expect((await post(gw, sent[0] as EngineOrder)).json.status).toBe('accepted');
    const after = x.stats().orders.binance;
    expect(after).toMatchObject({ received: 21, acked: 20, duplicates: 1, filled: 20 });
    // Its ack says filled but no fill follows (it was booked the first time): the TTL closes it.
    expect(gw.memory().live).toBe(1);
    await pollUntil(() => gw.memory().live === 0, 'repeat closed by its TTL', 3_000, 10);
    expect(gw.memory().remembered).toBe(5);
  });

  it('refuses a new order with 503 while GATEWAY_MAX_LIVE_ORDERS are open, and a repeat still gets its result', async () => {
    const { gw } = await start({ GATEWAY_MAX_LIVE_ORDERS: '3' });
    // Limit buys far below the market rest open until their TTL.
    const resting = [1, 2, 3].map(() => order({ type: 'limit', price: 1, quantity: 1 }));
    for (const o of resting) expect((await post(gw, o)).json.status).toBe('accepted');
    expect(gw.memory().live).toBe(3);
    const refused = await fetch(`${gw.orderUrl}/orders`, { method: 'POST', body: JSON.stringify(order()) });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({ error: 'too_many_live_orders', limit: 3 });
    expect(gw.stats.refusedLiveLimit).toBe(1);
    expect((await post(gw, resting[0] as EngineOrder)).json.status).toBe('accepted');
    expect(gw.memory().live).toBe(3);
  });

  it('accepts at most GATEWAY_MAX_STRATEGIES strategy names', async () => {
    const { gw } = await start({ GATEWAY_MAX_STRATEGIES: '2' });
    expect((await post(gw, order({ strategy: 'a' }))).status).toBe(200);
    expect((await post(gw, order({ strategy: 'b' }))).status).toBe(200);
    const third = await fetch(`${gw.orderUrl}/orders`, {
      method: 'POST',
      body: JSON.stringify(order({ strategy: 'c' })),
    });
    expect(third.status).toBe(400);
    expect(await third.json()).toMatchObject({ error: 'invalid_order', field: 'strategy' });
    expect((await post(gw, order({ strategy: 'a' }))).status).toBe(200);
    expect(gw.memory().strategies).toBe(2);
    expect(gw.stats).toMatchObject({ refusedStrategies: 1, badRequests: 1 });
  });
});
