import type { InferLabels, marketDataDefinitions } from '@ttquant/metrics';
import type { Side } from '../shared/protocol.js';
import { DEFAULT_MAX_FRAME_BYTES, SYMBOL_PATTERN } from './config.js';

// Defensive parsing of one feed frame (examples/shared/protocol.ts, WireMarketMessage). Input is
// whatever the peer sent; the result is either a validated message or the reason it was rejected,
// one of the four `message_parse_errors_total` reasons. Nothing here throws.

/** Why a frame was rejected: the `reason` label of `message_parse_errors_total`. */
export type ParseErrorReason = InferLabels<typeof marketDataDefinitions.parseErrors>['reason'];

/** Kind of market-data message: the `type` label of `market_data_received_total`. */
export type MessageType = InferLabels<typeof marketDataDefinitions.received>['type'];

/** A validated feed message with numbers parsed. */
export interface MarketMessage {
  readonly type: MessageType;
  readonly symbol: string;
  /** Trade price, ticker last price, or book mid price. */
  readonly price: number;
  /** Trade quantity, else 0. */
  readonly quantity: number;
  /** Ticker 24 h base volume, else 0. */
  readonly volume24h: number;
  /** Trade aggressor side, else `null`. */
  readonly side: Side | null;
  /** Book best bid and ask, else 0. */
  readonly bidPrice: number;
  readonly bidQty: number;
  readonly askPrice: number;
  readonly askQty: number;
  /** The exchange's timestamp, ms since the epoch. */
  readonly exchangeTime: number;
  /** Sequence number in the venue's feed session (`u`); 0 when the feed sends none. */
  readonly sequence: number;
}

/** A feed's session frame: the session its sequence numbers belong to, and the last number so far. */
export interface SessionMessage {
  readonly type: 'session';
  readonly session: string;
  readonly last: number;
}

/** A session id as the exchange sends it: printable, no quotes or spaces, at most 64 characters. */
const SESSION_ID = /^[A-Za-z0-9._:-]{1,64}$/;

// A decimal as venues send it: "65000.10", "0.00100000", "1e-8". No sign, no hex, no spaces, no
// "Infinity" (Number() alone would take all of those).
const DECIMAL = /^(?:\d{1,40})(?:\.\d{1,40})?(?:[eE][+-]?\d{1,3})?$/;

/**
 * Parses one WebSocket frame from a venue's market-data feed.
 *
 * Rules, checked in this order (the first that fails is the reason):
 * - `invalid_json`: a binary frame, a non-text payload, a frame over `maxBytes`, or text that is not JSON;
 * - `invalid_value`: JSON that is not an object;
 * - `missing_field`: no `e` (or `null`);
 * - a `"session"` frame: its `id` and `u` checked (`missing_field` / `invalid_value`), then returned;
 * - `unknown_type`: `e` is not `"trade"`, `"ticker"` or `"book"`;
 * - `missing_field`: `s`, `T` or a field the type requires is absent or `null`;
 * - `invalid_value`: a malformed symbol, a price that is not a positive finite decimal string, a
 *   negative quantity or volume, a side other than buy/sell, a book level that is not
 *   `[price, qty]`, a crossed book (bid > ask), `T` that is not a positive finite number, or a
 *   sequence number `u` (optional) that is not a whole number from 1 up.
 *
 * @param data - the frame as `ws` delivers it (Buffer, ArrayBuffer, Buffer[]) or a string
 * @param isBinary - whether it arrived as a binary frame (the protocol sends text frames only)
 * @param maxBytes - larger frames are rejected unparsed
 * @returns the message, or the reason it was rejected
 * @example
 * ```ts
 * const r = parseMarketMessage('{"e":"trade","s":"BTCUSDT","p":"1.5","q":"2","S":"buy","T":1}');
 * if (typeof r === 'string') errors[r].inc(); else handle(r);
 * ```
 */
export function parseMarketMessage(
  data: unknown,
  isBinary = false,
  maxBytes: number = DEFAULT_MAX_FRAME_BYTES,
): MarketMessage | SessionMessage | ParseErrorReason {
  if (isBinary) return 'invalid_json';
  const text = frameText(data, maxBytes);
  if (text === undefined) return 'invalid_json';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'invalid_json';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'invalid_value';
  const m = value as Record<string, unknown>;
  const e = m.e;
  if (e === undefined || e === null) return 'missing_field';
  if (e === 'session') {
    if (absent(m.id) || absent(m.u)) return 'missing_field';
    const last = m.u;
    if (typeof m.id !== 'string' || !SESSION_ID.test(m.id)) return 'invalid_value';
    if (typeof last !== 'number' || !Number.isSafeInteger(last) || last < 0) return 'invalid_value';
    return { type: 'session', session: m.id, last };
  }
  if (e !== 'trade' && e !== 'ticker' && e !== 'book') return 'unknown_type';
  if (absent(m.s) || absent(m.T)) return 'missing_field';
  if (e === 'trade') {
    if (absent(m.p) || absent(m.q) || absent(m.S)) return 'missing_field';
  } else if (e === 'ticker') {
    if (absent(m.p) || absent(m.v)) return 'missing_field';
  } else if (absent(m.b) || absent(m.a)) return 'missing_field';

  const symbol = m.s;
  if (typeof symbol !== 'string' || !SYMBOL_PATTERN.test(symbol)) return 'invalid_value';
  const exchangeTime = m.T;
  if (typeof exchangeTime !== 'number' || !Number.isFinite(exchangeTime) || exchangeTime <= 0) return 'invalid_value';
  const u = m.u;
  let sequence = 0;
  if (u !== undefined) {
    if (typeof u !== 'number' || !Number.isSafeInteger(u) || u < 1) return 'invalid_value';
    sequence = u;
  }

  if (e === 'trade') {
    const price = decimal(m.p);
    const quantity = decimal(m.q);
    const side = m.S;
    if (!(price > 0) || !(quantity > 0) || (side !== 'buy' && side !== 'sell')) return 'invalid_value';
    return message('trade', symbol, price, quantity, 0, side, 0, 0, 0, 0, exchangeTime, sequence);
  }
  if (e === 'ticker') {
    const price = decimal(m.p);
    const volume = decimal(m.v);
    if (!(price > 0) || !(volume >= 0)) return 'invalid_value';
    return message('ticker', symbol, price, 0, volume, null, 0, 0, 0, 0, exchangeTime, sequence);
  }
  const bid = m.b;
  const ask = m.a;
  if (!Array.isArray(bid) || !Array.isArray(ask) || bid.length !== 2 || ask.length !== 2) return 'invalid_value';
  const bidPrice = decimal(bid[0]);
  const bidQty = decimal(bid[1]);
  const askPrice = decimal(ask[0]);
  const askQty = decimal(ask[1]);
  if (!(bidPrice > 0) || !(askPrice > 0) || !(bidQty >= 0) || !(askQty >= 0)) return 'invalid_value';
  // A crossed top of book cannot come from a consistent book: reject it rather than publish it.
  if (bidPrice > askPrice) return 'invalid_value';
  return message(
    'book',
    symbol,
    (bidPrice + askPrice) / 2,
    0,
    0,
    null,
    bidPrice,
    bidQty,
    askPrice,
    askQty,
    exchangeTime,
    sequence,
  );
}

function absent(v: unknown): boolean {
  return v === undefined || v === null;
}

/** A decimal string's value, or NaN for anything else (numbers included: the protocol sends strings). */
function decimal(v: unknown): number {
  if (typeof v !== 'string' || v.length > 90 || !DECIMAL.test(v)) return Number.NaN;
  const n = Number(v);
  return Number.isFinite(n) ? n : Number.NaN;
}

function frameText(data: unknown, maxBytes: number): string | undefined {
  if (typeof data === 'string') {
    // UTF-16 length is a lower bound of the UTF-8 size; the exact size only matters near the limit.
    if (data.length > maxBytes || (data.length * 3 > maxBytes && Buffer.byteLength(data) > maxBytes)) return undefined;
    return data;
  }
  if (Buffer.isBuffer(data)) return data.length > maxBytes ? undefined : data.toString('utf8');
  if (data instanceof ArrayBuffer) {
    return data.byteLength > maxBytes ? undefined : Buffer.from(data).toString('utf8');
  }
  if (Array.isArray(data)) {
    // ws delivers fragments as Buffer[] only with binaryType 'fragments'; accept it anyway.
    let size = 0;
    for (const part of data) {
      if (!Buffer.isBuffer(part)) return undefined;
      size += part.length;
      if (size > maxBytes) return undefined;
    }
    return Buffer.concat(data as Buffer[], size).toString('utf8');
  }
  return undefined;
}

function message(
  type: MessageType,
  symbol: string,
  price: number,
  quantity: number,
  volume24h: number,
  side: Side | null,
  bidPrice: number,
  bidQty: number,
  askPrice: number,
  askQty: number,
  exchangeTime: number,
  sequence: number,
): MarketMessage {
  // One object shape for every type, so the consumers' property loads stay monomorphic.
  return { type, symbol, price, quantity, volume24h, side, bidPrice, bidQty, askPrice, askQty, exchangeTime, sequence };
}
