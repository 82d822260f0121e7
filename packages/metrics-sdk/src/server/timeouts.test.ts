// Slow and stalled clients against a real server on 127.0.0.1, over raw net sockets. The limits are
// set small here; each test waits for the outcome with a generous bound and never asserts speed.

import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { pollUntil } from '@ttquant/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { closed } from '../define/labels.js';
import { counter } from '../define/metric.js';
import { MetricsServerConfigError } from './config-error.js';
import { createMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
import { DEFAULT_TIMEOUTS, httpTimeoutOptions, resolveTimeouts } from './timeouts.js';

class Small extends catalog({
  orders: counter('orders_total', 'Orders sent.', { exchange: closed('binance') }),
}) {}

const started: MetricsServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(started.splice(0).map((server) => server.close()));
});

async function start(
  options: Partial<MetricsServerOptions>,
): Promise<{ server: MetricsServer; port: number; url: string }> {
  const metrics = new Small();
  metrics.orders.inc({ exchange: 'binance' });
  const server = createMetricsServer({
    sources: [metrics],
    service: 'timeouts-test',
    port: 0,
    runtimeMetrics: false,
    ...options,
  });
  started.push(server);
  const { port, url } = await server.listen();
  return { server, port, url };
}

/** A raw client that records what it receives and when it is closed. */
async function rawClient(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {}); // a reset is an expected way to be cut off
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  // Not events.once(socket, 'close'): that rejects on 'error', and a reset is a way to be cut off
  // too (the server closing on a client whose bytes it has not read sends RST, more often under load).
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await once(socket, 'connect');
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), closed };
}

/** Resolves with `'closed'`, or `'open'` after `ms` (a bound for a failure message, not a speed check). */
function closedWithin(closed: Promise<void>, ms: number): Promise<'closed' | 'open'> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'open'>((resolve) => {
    timer = setTimeout(() => resolve('open'), ms);
  });
  return Promise.race([closed.then(() => 'closed' as const), bound]).finally(() => clearTimeout(timer));
}

const BOUND_MS = 15_000;
const SMALL = { headersMs: 200, requestMs: 400, idleMs: 200, inactivityMs: 300 } as const;

describe('resolveTimeouts', () => {
  it('fills in the defaults: head 10 s, request 30 s, keep-alive 5 s, inactivity 30 s', () => {
    expect(resolveTimeouts()).toEqual({ headersMs: 10_000, requestMs: 30_000, idleMs: 5_000, inactivityMs: 30_000 });
    expect(resolveTimeouts({ idleMs: 1_000 })).toEqual({ ...DEFAULT_TIMEOUTS, idleMs: 1_000 });
  });

  it('rejects values that are not positive integers, and a request limit below the head limit', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => resolveTimeouts({ headersMs: bad }), String(bad)).toThrow(
        expect.objectContaining({ name: 'MetricsServerConfigError', option: 'timeouts.headersMs' }),
      );
    }
    expect(() => resolveTimeouts({ inactivityMs: 0 })).toThrow(
      'metrics server: timeouts.inactivityMs: expected a positive integer (ms); got number 0',
    );
    expect(() => resolveTimeouts({ headersMs: 5_000, requestMs: 1_000 })).toThrow(
      'metrics server: timeouts.requestMs: expected at least timeouts.headersMs (5000); got number 1000',
    );
    // Only the head limit given: it is the one over the (default) request limit.
    expect(() => resolveTimeouts({ headersMs: 60_000 })).toThrow(
      expect.objectContaining({ option: 'timeouts.headersMs', expected: 'at most timeouts.requestMs (30000)' }),
    );
    expect(() => resolveTimeouts({ idleMS: 1_000 } as never)).toThrow(
      expect.objectContaining({ option: 'timeouts.idleMS', message: expect.stringContaining('did you mean "idleMs"') }),
    );
    expect(() => createMetricsServer({ sources: [], service: 'x', timeouts: { requestMs: -5 } })).toThrow(
      MetricsServerConfigError,
    );
    expect(() => createMetricsServer({ sources: [], service: 'x', maxConnections: 0 })).toThrow(
      'metrics server: maxConnections: expected a positive integer; got number 0',
    );
  });

  it("checks Node's head and request deadlines often enough for the limits to hold", () => {
    expect(httpTimeoutOptions(DEFAULT_TIMEOUTS)).toEqual({
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
    });
    expect(httpTimeoutOptions(resolveTimeouts(SMALL)).connectionsCheckingInterval).toBe(50);
  });
});

describe('slow and stalled clients (real sockets)', () => {
  it('disconnects a client that sends half a request line, with a 408, and keeps serving others', async () => {
    const { port, url, server } = await start({ timeouts: SMALL });
    const slow = await rawClient(port);
    slow.socket.write('GET /metr');
    // Served while the slow client hangs on.
    const meanwhile = await fetch(`${url}/metrics`);
    expect(meanwhile.status).toBe(200);
    expect(await meanwhile.text()).toContain('orders_total{exchange="binance"} 1\n');
    expect(await closedWithin(slow.closed, BOUND_MS)).toBe('closed');
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(slow.received()).not.toContain('orders_total');
    expect((await fetch(`${url}/health`)).status).toBe(200);
    await pollUntil(async () => (server['~stats']().connections === 0 ? true : undefined), 'no open connections');
  });

  it('disconnects a client that connects and sends nothing', async () => {
    const { port, url } = await start({ timeouts: { ...SMALL, inactivityMs: 60_000 } });
    const silent = await rawClient(port);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    expect(await closedWithin(silent.closed, BOUND_MS)).toBe('closed');
    expect(silent.received()).not.toContain('orders_total');
  });

  it('disconnects a client that trickles its headers, byte by byte, past the head limit', async () => {
    const { port } = await start({ timeouts: { ...SMALL, inactivityMs: 60_000 } });
    const trickle = await rawClient(port);
    const request =
      'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n';
    let i = 0;
    // Each byte resets any inactivity timer; only the head deadline can end this.
    const drip = setInterval(() => {
      if (i < request.length - 4 && !trickle.socket.destroyed) trickle.socket.write(request[i++] ?? '');
    }, 20);
    try {
      expect(await closedWithin(trickle.closed, BOUND_MS)).toBe('closed');
    } finally {
      clearInterval(drip);
    }
    expect(trickle.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes an idle keep-alive connection after idleMs', async () => {
    const { port } = await start({ timeouts: SMALL });
    const client = await rawClient(port);
    client.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    expect(await closedWithin(client.closed, BOUND_MS)).toBe('closed');
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it('destroys the connection of a client that stops reading a large response', async () => {
    // ~32 MB per body: more than loopback's socket buffers hold, so the write stalls.
    const help = 'x'.repeat(2 * 1024 * 1024);
    const defs = Object.fromEntries(
      Array.from({ length: 16 }, (_, i) => [`g${i}`, counter(`big_${i}_total`, help, {})] as const),
    );
    class Big extends catalog(defs) {}
    const { port, url, server } = await start({ sources: [new Big()], timeouts: SMALL });
    const reader = await rawClient(port);
    reader.socket.pause(); // reads nothing from here on
    reader.socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await pollUntil(
      async () => (server['~stats']().timedOut >= 1 ? true : undefined),
      'the stalled reader to time out',
      BOUND_MS,
    );
    // Its socket is gone on the server side while another client is still served.
    await pollUntil(
      async () => (server['~stats']().connections === 0 ? true : undefined),
      'the socket closed',
      BOUND_MS,
    );
    expect((await fetch(`${url}/health`)).status).toBe(200);
    // The client, reading again, gets only part of the body and then the end.
    reader.socket.resume();
    expect(await closedWithin(reader.closed, BOUND_MS)).toBe('closed');
    const received = reader.received();
    const length = Number(/content-length: (\d+)/i.exec(received)?.[1]);
    expect(length).toBeGreaterThan(32 * 1024 * 1024);
    expect(received.length - received.indexOf('\r\n\r\n') - 4).toBeLessThan(length);
  });

  it('closes connections past maxConnections at once, counts them, and serves again when one leaves', async () => {
    const { server, port, url } = await start({
      maxConnections: 2,
      timeouts: { headersMs: 60_000, requestMs: 60_000 },
    });
    const first = await rawClient(port);
    const second = await rawClient(port);
    const third = await rawClient(port);
    expect(await closedWithin(third.closed, BOUND_MS)).toBe('closed');
    expect(third.received()).toBe('');
    expect(server['~stats']().refused).toBe(1);
    first.socket.destroy();
    await first.closed;
    const ok = await pollUntil(
      async () => (await fetch(`${url}/health`).catch(() => undefined))?.status,
      'a free connection slot',
      BOUND_MS,
    );
    expect(ok).toBe(200);
    second.socket.destroy();
  });
});
