import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { ExecutionEvent, NewOrderRequest, OrderAck } from '../shared/protocol.js';

// A small scripted exchange for the gateway's tests (node:http + ws), following the order API of
// examples/shared/protocol.ts: POST /api/{venue}/orders (idempotent on clientOrderId), DELETE
// /api/{venue}/orders/{id}, and WebSocket /ws/{venue}/executions. Each POST takes the next scripted
// behaviour, so a test says "429, then ack" and counts what reached the exchange.

/** What the fake does with one POST. */
export type Behaviour =
  /** Create (or find) the order and answer its ack. */
  | 'ack'
  /** As 'ack', but the ack says `filled`. */
  | 'ack_filled'
  /** Create the order, never answer (the gateway's timeout fires; the order exists). */
  | 'hang'
  /** Destroy the socket without an answer. */
  | 'reset'
  /** Answer this status without creating anything. */
  | 429
  | 400
  | 500
  | 503;

/** An order the fake created. */
export interface FakeOrder {
  readonly venue: string;
  readonly request: NewOrderRequest;
  readonly orderId: string;
  status: OrderAck['status'];
}

/** A request the fake received. */
export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

/** A running fake exchange. */
export interface FakeExchange {
  readonly url: string;
  /** Every HTTP request, in arrival order. */
  readonly requests: FakeRequest[];
  /** Orders created, by clientOrderId: a retry must never add a second one. */
  readonly orders: Map<string, FakeOrder>;
  /**
   * Queues behaviours for the next POSTs (default `ack` when the queue is empty).
   *
   * @param behaviours - in order
   */
  script(...behaviours: Behaviour[]): void;
  /**
   * Queues answers for the next DELETEs (default: cancel the order, 404 when unknown).
   *
   * @param statuses - HTTP statuses to answer instead
   */
  scriptCancel(...statuses: number[]): void;
  /**
   * Sends a frame to every executions client of a venue.
   *
   * @param venue - the venue
   * @param event - an event, or raw text (to send garbage)
   */
  emit(venue: string, event: ExecutionEvent | string): void;
  /**
   * Number of executions clients of a venue.
   *
   * @param venue - the venue
   * @returns open sockets
   */
  clients(venue: string): number;
  /**
   * Closes every executions socket of a venue (the gateway must reconnect).
   *
   * @param venue - the venue
   */
  drop(venue: string): void;
  close(): Promise<void>;
}

/**
 * Starts a fake exchange on 127.0.0.1, on a free port.
 *
 * @returns the running fake
 */
export async function startFakeExchange(): Promise<FakeExchange> {
  const requests: FakeRequest[] = [];
  const orders = new Map<string, FakeOrder>();
  const queue: Behaviour[] = [];
  const cancelQueue: number[] = [];
  const sockets = new Map<string, Set<WebSocket>>();
  const hanging = new Set<ServerResponse>();
  let nextId = 1;

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const match = /^\/ws\/([a-z]+)\/executions$/.exec(req.url ?? '');
    if (match === null) {
      socket.destroy();
      return;
    }
    const venue = match[1] as string;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const set = sockets.get(venue) ?? new Set<WebSocket>();
      sockets.set(venue, set);
      set.add(ws);
      ws.on('close', () => set.delete(ws));
      ws.on('error', () => ws.terminate());
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '/';
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    requests.push({ method: req.method ?? '', path, body });

    const post = /^\/api\/([a-z]+)\/orders$/.exec(path);
    if (req.method === 'POST' && post !== null) {
      const venue = post[1] as string;
      const behaviour = queue.shift() ?? 'ack';
      if (typeof behaviour === 'number') {
        const error = behaviour === 429 ? 'rate_limited' : behaviour === 400 ? 'rejected' : 'unavailable';
        json(res, behaviour, { error, ...(behaviour === 400 ? { reason: 'insufficient_balance' } : {}) });
        return;
      }
      if (behaviour === 'reset') {
        req.socket.destroy();
        return;
      }
      const request = body as NewOrderRequest;
      let order = orders.get(request.clientOrderId);
      if (order === undefined) {
        order = { venue, request, orderId: `X${nextId++}`, status: behaviour === 'ack_filled' ? 'filled' : 'open' };
        orders.set(request.clientOrderId, order);
      }
      if (behaviour === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      json(res, 200, ack(order));
      return;
    }
    const del = /^\/api\/([a-z]+)\/orders\/([^/]+)$/.exec(path);
    if (req.method === 'DELETE' && del !== null) {
      const scripted = cancelQueue.shift();
      if (scripted !== undefined) {
        json(res, scripted, { error: 'scripted' });
        return;
      }
      const order = orders.get(decodeURIComponent(del[2] as string));
      if (order === undefined || order.status !== 'open') {
        json(res, 404, { error: 'not_found' });
        return;
      }
      order.status = 'cancelled';
      json(res, 200, ack(order));
      // As a real venue does, the executions stream reports it too (here just after the answer).
      const event: ExecutionEvent = {
        e: 'cancelled',
        clientOrderId: order.request.clientOrderId,
        orderId: order.orderId,
        time: Date.now(),
      };
      setImmediate(() => emit(order.venue, event));
      return;
    }
    json(res, 404, { error: 'not_found' });
  }

  function emit(venue: string, event: ExecutionEvent | string): void {
    const frame = typeof event === 'string' ? event : JSON.stringify(event);
    for (const ws of sockets.get(venue) ?? []) if (ws.readyState === WebSocket.OPEN) ws.send(frame);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    orders,
    script: (...b) => {
      queue.push(...b);
    },
    scriptCancel: (...s) => {
      cancelQueue.push(...s);
    },
    emit,
    clients: (venue) => [...(sockets.get(venue) ?? [])].filter((ws) => ws.readyState === WebSocket.OPEN).length,
    drop(venue) {
      for (const ws of sockets.get(venue) ?? []) ws.terminate();
    },
    async close() {
      for (const res of hanging) res.destroy();
      for (const set of sockets.values()) for (const ws of set) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function ack(order: FakeOrder): OrderAck {
  return { clientOrderId: order.request.clientOrderId, orderId: order.orderId, status: order.status };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
