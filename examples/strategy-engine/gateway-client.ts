import { Agent, type ClientRequest, request } from 'node:http';
import type { EngineOrder, GatewayOrderResult } from '../shared/protocol.js';
import { newTrace, type TraceContext, traceparent } from '../shared/trace-context.js';

// The engine's side of the gateway's order entry: POST {GATEWAY_URL}/orders with an EngineOrder, one
// GatewayOrderResult back. Every way an order can go wrong (refused connection, timeout, a non-200
// answer, a body that is not a result for this order) comes back as a `failed` result with a reason,
// so the caller has one path to handle and the process never sees a rejected promise from here.

/** Failure reasons the client itself reports (the gateway adds its own). */
export type ClientFailure = 'unreachable' | 'timeout' | 'bad_response' | 'closed' | `http_${number}`;

/** Options of {@link createGatewayClient}. */
export interface GatewayClientOptions {
  /** Base URL of the gateway, e.g. `http://127.0.0.1:9201`; orders go to `${url}/orders`. */
  readonly url: string;
  /** Time allowed for one order's answer, ms. */
  readonly timeoutMs: number;
}

/** An order-entry client; see {@link createGatewayClient}. */
export interface GatewayClient {
  /**
   * Sends one order, as a new trace whose `traceparent` header the gateway continues. The request is
   * written before this returns; the promise never rejects.
   *
   * @param order - the order
   * @param trace - the order's trace; a new one by default
   * @returns the gateway's result, or a `failed` result naming a {@link ClientFailure}
   */
  send(order: EngineOrder, trace?: TraceContext): Promise<GatewayOrderResult>;
  /** Requests still waiting for an answer. */
  readonly inFlight: number;
  /** Aborts requests still waiting (they resolve as `failed`/`closed`) and closes idle connections. */
  close(): void;
}

const MAX_BODY_BYTES = 64 * 1024;
const STATUSES: ReadonlySet<string> = new Set(['accepted', 'risk_rejected', 'failed']);

/**
 * Creates a client for the gateway's order entry, over keep-alive HTTP connections.
 *
 * @param options - gateway URL and timeout
 * @returns the client
 * @example
 * ```ts
 * const gateway = createGatewayClient({ url: 'http://127.0.0.1:9201', timeoutMs: 5_000 });
 * const result = await gateway.send(order); // { clientOrderId, status: 'accepted' }
 * gateway.close();
 * ```
 */
export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const target = new URL('orders', `${options.url.replace(/\/+$/, '')}/`);
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const pending = new Set<ClientRequest>();
  let closed = false;

  function send(order: EngineOrder, trace: TraceContext = newTrace()): Promise<GatewayOrderResult> {
    const failed = (reason: ClientFailure | string): GatewayOrderResult => ({
      clientOrderId: order.clientOrderId,
      status: 'failed',
      reason,
    });
    if (closed) return Promise.resolve(failed('closed'));
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: GatewayOrderResult) => {
        if (settled) return;
        settled = true;
        pending.delete(req);
        resolve(result);
      };
      const body = JSON.stringify(order);
      const req = request(target, {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          traceparent: traceparent(trace),
        },
        timeout: options.timeoutMs,
      });
      pending.add(req);
      req.on('timeout', () => {
        finish(failed('timeout'));
        req.destroy();
      });
      req.on('error', () => finish(failed(closed ? 'closed' : 'unreachable')));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            finish(failed('bad_response'));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', () => finish(failed('bad_response')));
        // A connection cut mid-body ends here without 'end'; after 'end' this is a no-op.
        res.on('close', () => finish(failed('bad_response')));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            finish(failed(`http_${res.statusCode ?? 0}`));
            return;
          }
          finish(parseResult(Buffer.concat(chunks).toString('utf8'), order.clientOrderId) ?? failed('bad_response'));
        });
      });
      req.end(body);
    });
  }

  return {
    send,
    get inFlight() {
      return pending.size;
    },
    close() {
      closed = true;
      for (const req of pending) req.destroy();
      agent.destroy();
    },
  };
}

/**
 * Reads a GatewayOrderResult for one order, defensively.
 *
 * @param text - the response body
 * @param clientOrderId - the order it must answer
 * @returns the result, or `undefined` when the body is not a result for this order
 */
export function parseResult(text: string, clientOrderId: string): GatewayOrderResult | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const r = value as Record<string, unknown>;
  if (r.clientOrderId !== clientOrderId || typeof r.status !== 'string' || !STATUSES.has(r.status)) return undefined;
  const reason = typeof r.reason === 'string' ? r.reason.slice(0, 200) : undefined;
  return {
    clientOrderId,
    status: r.status as GatewayOrderResult['status'],
    ...(reason === undefined ? {} : { reason }),
  };
}
