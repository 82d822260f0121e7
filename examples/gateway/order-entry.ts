import type { IncomingMessage } from 'node:http';
import type { EngineOrder, Venue } from '../shared/protocol.js';

// Order entry input handling: reading a bounded body and validating an EngineOrder. Everything the
// engine sends is untrusted here: a bad field is a 400 naming it, never an exception further in.

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 64 * 1024;

const ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;
const STRATEGY_RE = /^[A-Za-z0-9._-]{1,64}$/;

/** Why a request body was refused: the HTTP status and a short machine-readable reason. */
export interface InputError {
  readonly status: 400 | 413;
  readonly error: 'invalid_json' | 'invalid_order' | 'body_too_large';
  readonly field?: string;
  readonly reason?: string;
}

/**
 * Reads a request body up to {@link MAX_BODY_BYTES}.
 *
 * @param request - the request
 * @returns the body, or a 413 error as soon as the limit is passed (the rest is not read)
 */
export function readBody(request: IncomingMessage): Promise<Buffer | InputError> {
  // Past the limit the rest is read and discarded rather than left unread: closing on a client that
  // is still sending makes its kernel reset the connection, and it would never see the 413. The
  // server's requestTimeout bounds a client that never stops.
  const declared = Number(request.headers['content-length']);
  if (declared > MAX_BODY_BYTES) {
    request.resume();
    return Promise.resolve(tooLarge());
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const settle = (value: Buffer | InputError): void => {
      if (done) return;
      done = true;
      resolve(value);
    };
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
        settle(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => settle(Buffer.concat(chunks)));
    // A body cut short ends in 'error' (ECONNRESET) or only 'close'.
    const aborted = (): void => settle({ status: 400, error: 'invalid_order', reason: 'request aborted' });
    request.on('error', aborted);
    request.on('close', aborted);
  });
}

/**
 * Parses and validates an EngineOrder.
 *
 * @param body - the raw body
 * @param venues - venues this gateway routes to
 * @param symbols - symbols it accepts
 * @returns the order (only its known fields, copied), or the 400 error naming the first bad field
 */
export function parseEngineOrder(
  body: Buffer,
  venues: ReadonlySet<string>,
  symbols: ReadonlySet<string>,
): EngineOrder | InputError {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    return { status: 400, error: 'invalid_json' };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return invalid('order', 'expected a JSON object');
  const r = raw as Record<string, unknown>;
  if (typeof r.strategy !== 'string' || !STRATEGY_RE.test(r.strategy)) {
    return invalid('strategy', 'expected 1-64 characters of A-Z a-z 0-9 . _ -');
  }
  if (typeof r.clientOrderId !== 'string' || !ID_RE.test(r.clientOrderId)) {
    return invalid('clientOrderId', 'expected 1-64 characters of A-Z a-z 0-9 . _ : -');
  }
  if (typeof r.exchange !== 'string' || !venues.has(r.exchange)) {
    return invalid('exchange', `expected one of ${[...venues].join(', ')}`);
  }
  if (typeof r.symbol !== 'string' || !symbols.has(r.symbol)) {
    return invalid('symbol', `expected one of ${[...symbols].join(', ')}`);
  }
  if (r.side !== 'buy' && r.side !== 'sell') return invalid('side', 'expected "buy" or "sell"');
  if (r.type !== 'market' && r.type !== 'limit') return invalid('type', 'expected "market" or "limit"');
  if (!isPositive(r.quantity)) return invalid('quantity', 'expected a finite number > 0');
  if (r.type === 'limit' && r.price === undefined) return invalid('price', 'required for a limit order');
  if (r.price !== undefined && !isPositive(r.price)) return invalid('price', 'expected a finite number > 0');
  const order: EngineOrder = {
    strategy: r.strategy,
    clientOrderId: r.clientOrderId,
    exchange: r.exchange as Venue,
    symbol: r.symbol,
    side: r.side,
    type: r.type,
    quantity: r.quantity,
    ...(r.price === undefined ? {} : { price: r.price }),
  };
  return order;
}

/**
 * Tells an input error from a parsed value.
 *
 * @param value - what {@link readBody} or {@link parseEngineOrder} returned
 * @returns whether it is an error
 */
export function isInputError(value: unknown): value is InputError {
  return value !== null && typeof value === 'object' && 'error' in value && 'status' in value;
}

function invalid(field: string, reason: string): InputError {
  return { status: 400, error: 'invalid_order', field, reason };
}

function tooLarge(): InputError {
  return { status: 413, error: 'body_too_large', reason: `limit is ${MAX_BODY_BYTES} bytes` };
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value < Number.POSITIVE_INFINITY;
}
