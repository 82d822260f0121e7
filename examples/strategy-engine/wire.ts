import { type StrategyFill, type Tick, VENUES, type Venue } from '../shared/protocol.js';

// Defensive readers for the two ZeroMQ streams the engine consumes. A peer may send anything: each
// reader returns the typed message or the reason it was refused, and never throws.

/** Why a bus message was refused; the keys of the engine's bad-message counts. */
export type BadMessageReason =
  | 'frames'
  | 'too_large'
  | 'topic'
  | 'invalid_json'
  | 'not_object'
  | 'exchange'
  | 'symbol'
  | 'type'
  | 'price'
  | 'quantity'
  | 'volume'
  | 'time'
  | 'strategy'
  | 'side'
  | 'fee'
  | 'client_order_id'
  | 'topic_mismatch';

/** A reader's answer: the message, or why it was refused. */
export type Read<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: BadMessageReason };

const TICK_TYPES: ReadonlySet<string> = new Set(['trade', 'ticker', 'book']);
const VENUE_SET: ReadonlySet<string> = new Set(VENUES);
const MAX_SYMBOL = 32;
const MAX_NAME = 128;
// A tick or fill is a few hundred bytes; refusing big frames before JSON.parse bounds the work a
// hostile peer can cause per message.
const MAX_PAYLOAD = 4096;

/**
 * Reads one market-data bus message: topic `tick.{exchange}.{symbol}`, then a Tick as JSON.
 *
 * @param frames - the ZeroMQ message frames
 * @returns the tick, or the reason it was refused
 */
export function readTick(frames: readonly Buffer[]): Read<Tick> {
  if (frames.length !== 2) return bad('frames');
  if ((frames[1] as Buffer).length > MAX_PAYLOAD || (frames[0] as Buffer).length > MAX_PAYLOAD) return bad('too_large');
  const topic = (frames[0] as Buffer).toString('utf8');
  if (!topic.startsWith('tick.')) return bad('topic');
  const t = parseObject((frames[1] as Buffer).toString('utf8'));
  if (typeof t === 'string') return bad(t);
  const exchange = t.exchange;
  if (typeof exchange !== 'string' || !VENUE_SET.has(exchange)) return bad('exchange');
  const symbol = t.symbol;
  if (typeof symbol !== 'string' || symbol.length === 0 || symbol.length > MAX_SYMBOL) return bad('symbol');
  const type = t.type;
  if (typeof type !== 'string' || !TICK_TYPES.has(type)) return bad('type');
  if (!isPositive(t.price)) return bad('price');
  if (!isNonNegative(t.quantity)) return bad('quantity');
  if (!isNonNegative(t.volume24h)) return bad('volume');
  if (!isFiniteNumber(t.exchangeTime) || !isFiniteNumber(t.receivedTime)) return bad('time');
  // The topic is what subscribers filter on: a payload that disagrees with it is not trusted.
  if (topic.length !== 6 + exchange.length + symbol.length || topic !== `tick.${exchange}.${symbol}`) {
    return bad('topic_mismatch');
  }
  return {
    ok: true,
    value: {
      exchange: exchange as Venue,
      symbol,
      type: type as Tick['type'],
      price: t.price as number,
      quantity: t.quantity as number,
      volume24h: t.volume24h as number,
      exchangeTime: t.exchangeTime as number,
      receivedTime: t.receivedTime as number,
    },
  };
}

/**
 * Reads one fill message from the gateway: topic `fill.{strategy}`, then a StrategyFill as JSON.
 *
 * @param frames - the ZeroMQ message frames
 * @returns the fill, or the reason it was refused
 */
export function readFill(frames: readonly Buffer[]): Read<StrategyFill> {
  if (frames.length !== 2) return bad('frames');
  if ((frames[1] as Buffer).length > MAX_PAYLOAD || (frames[0] as Buffer).length > MAX_PAYLOAD) return bad('too_large');
  const topic = (frames[0] as Buffer).toString('utf8');
  if (!topic.startsWith('fill.')) return bad('topic');
  const f = parseObject((frames[1] as Buffer).toString('utf8'));
  if (typeof f === 'string') return bad(f);
  const strategy = f.strategy;
  if (typeof strategy !== 'string' || strategy.length === 0 || strategy.length > MAX_NAME) return bad('strategy');
  const exchange = f.exchange;
  if (typeof exchange !== 'string' || !VENUE_SET.has(exchange)) return bad('exchange');
  const clientOrderId = f.clientOrderId;
  if (typeof clientOrderId !== 'string' || clientOrderId.length === 0 || clientOrderId.length > MAX_NAME) {
    return bad('client_order_id');
  }
  const symbol = f.symbol;
  if (typeof symbol !== 'string' || symbol.length === 0 || symbol.length > MAX_SYMBOL) return bad('symbol');
  const side = f.side;
  if (side !== 'buy' && side !== 'sell') return bad('side');
  if (!isPositive(f.price)) return bad('price');
  if (!isPositive(f.quantity)) return bad('quantity');
  if (!isNonNegative(f.fee)) return bad('fee');
  if (!isFiniteNumber(f.time)) return bad('time');
  if (topic !== `fill.${strategy}`) return bad('topic_mismatch');
  return {
    ok: true,
    value: {
      strategy,
      exchange: exchange as Venue,
      clientOrderId,
      symbol,
      side,
      price: f.price as number,
      quantity: f.quantity as number,
      fee: f.fee as number,
      time: f.time as number,
    },
  };
}

function bad(reason: BadMessageReason): { readonly ok: false; readonly reason: BadMessageReason } {
  return { ok: false, reason };
}

function parseObject(text: string): Record<string, unknown> | 'invalid_json' | 'not_object' {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'invalid_json';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not_object';
  return value as Record<string, unknown>;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isPositive(v: unknown): v is number {
  return typeof v === 'number' && v > 0 && v < Number.POSITIVE_INFINITY;
}

function isNonNegative(v: unknown): v is number {
  return typeof v === 'number' && v >= 0 && v < Number.POSITIVE_INFINITY;
}
