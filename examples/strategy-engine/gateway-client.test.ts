import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineOrder } from '../shared/protocol.js';
import { newTrace, parseTraceparent } from '../shared/trace-context.js';
import { createGatewayClient, parseResult } from './gateway-client.js';

// Every way the gateway can answer badly comes back as one `failed` result, never a rejection.

const order: EngineOrder = {
  strategy: 's1',
  clientOrderId: 's1-1-x-1',
  exchange: 'binance',
  symbol: 'BTCUSDT',
  side: 'buy',
  type: 'market',
  quantity: 0.01,
};

let reply: (res: ServerResponse, body: string) => void = () => {};
const bodies: string[] = [];
const traceparents: (string | string[] | undefined)[] = [];
const held: ServerResponse[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => {
    body += chunk.toString();
  });
  req.on('end', () => {
    bodies.push(`${req.method} ${req.url} ${req.headers['content-type']} ${body}`);
    traceparents.push(req.headers.traceparent);
    reply(res, body);
  });
});
let url = '';

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('createGatewayClient', () => {
  it('POSTs the order as JSON to /orders and returns the result', async () => {
    reply = (res, body) => {
      const o = JSON.parse(body) as EngineOrder;
      res.end(JSON.stringify({ clientOrderId: o.clientOrderId, status: 'risk_rejected', reason: 'max_position' }));
    };
    const client = createGatewayClient({ url: `${url}/`, timeoutMs: 2_000 });
    try {
      await expect(client.send(order)).resolves.toEqual({
        clientOrderId: order.clientOrderId,
        status: 'risk_rejected',
        reason: 'max_position',
      });
      expect(bodies.at(-1)).toBe(`POST /orders application/json ${JSON.stringify(order)}`);
      expect(client.inFlight).toBe(0);
      // Each order a new trace, or the one given, as a traceparent header the gateway continues.
      const fresh = parseTraceparent(traceparents.at(-1));
      expect(fresh).toMatchObject({ traceId: expect.stringMatching(/^[0-9a-f]{32}$/) });
      const given = newTrace();
      await client.send(order, given);
      expect(parseTraceparent(traceparents.at(-1))).toEqual(given);
    } finally {
      client.close();
    }
  });

  it.each([
    ['a non-200 status', (res: ServerResponse) => res.writeHead(429).end('{"error":"rate_limited"}'), 'http_429'],
    ['a body that is not JSON', (res: ServerResponse) => res.end('<html>'), 'bad_response'],
    [
      'a result for another order',
      (res: ServerResponse) => res.end('{"clientOrderId":"other","status":"accepted"}'),
      'bad_response',
    ],
    [
      'an unknown status',
      (res: ServerResponse) => res.end(`{"clientOrderId":"${order.clientOrderId}","status":"ok"}`),
      'bad_response',
    ],
    ['a body over 64 KiB', (res: ServerResponse) => res.end(`"${'x'.repeat(70_000)}"`), 'bad_response'],
    [
      'a connection cut mid-body',
      (res: ServerResponse) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{"client');
        setImmediate(() => res.destroy());
      },
      'bad_response',
    ],
  ])('turns %s into failed', async (_what, answer, reason) => {
    reply = answer;
    const client = createGatewayClient({ url, timeoutMs: 2_000 });
    try {
      await expect(client.send(order)).resolves.toEqual({
        clientOrderId: order.clientOrderId,
        status: 'failed',
        reason,
      });
    } finally {
      client.close();
    }
  });

  it('times out, reports an unreachable gateway, and fails what is in flight at close', async () => {
    reply = (res) => held.push(res);
    const client = createGatewayClient({ url, timeoutMs: 100 });
    await expect(client.send(order)).resolves.toMatchObject({ status: 'failed', reason: 'timeout' });
    const slow = createGatewayClient({ url, timeoutMs: 10_000 });
    const pending = slow.send(order);
    await new Promise((resolve) => setImmediate(resolve));
    expect(slow.inFlight).toBe(1);
    slow.close();
    await expect(pending).resolves.toMatchObject({ status: 'failed', reason: 'closed' });
    await expect(slow.send(order)).resolves.toMatchObject({ status: 'failed', reason: 'closed' });
    client.close();

    // A port nobody listens on: bind one, note it, close it.
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const nowhere = createGatewayClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 2_000 });
    await expect(nowhere.send(order)).resolves.toMatchObject({ status: 'failed', reason: 'unreachable' });
    nowhere.close();
  });
});

describe('parseResult', () => {
  it('keeps a string reason, capped, and drops a non-string one', () => {
    expect(
      parseResult(`{"clientOrderId":"a","status":"failed","reason":"${'r'.repeat(300)}"}`, 'a')?.reason,
    ).toHaveLength(200);
    expect(parseResult('{"clientOrderId":"a","status":"accepted","reason":7}', 'a')).toEqual({
      clientOrderId: 'a',
      status: 'accepted',
    });
  });
});
