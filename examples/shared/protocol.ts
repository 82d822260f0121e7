// The wire contracts between the example processes. Every process validates what it receives
// against these shapes and counts (never crashes on) what does not fit.
//
//   exchange sim ──WS feed──▶ market-data ──ZMQ PUB ticks──▶ strategy engine ──HTTP orders──▶ gateway
//        ▲                        │                                   ▲                         │
//        │                        └─▶ PostgreSQL / PGlite (ticks)     └──ZMQ PUB fills──────────┤
//        └────────────── HTTP order API + WS executions stream ◀────────────────────────────────┘

/** The venues the simulated exchange plays. */
export const VENUES = ['binance', 'okx'] as const;
export type Venue = (typeof VENUES)[number];

/** Symbols every venue lists. */
export const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] as const;

export type Side = 'buy' | 'sell';

// ---------------------------------------------------------------------------------------------
// Exchange market-data feed: WebSocket `ws://HOST:PORT/ws/{venue}`, one JSON text frame per message.
// Prices and quantities are decimal strings (as real venues send them); `T` is the exchange's
// timestamp in ms since the epoch; `u` numbers the venue's messages 1, 2, 3… within a feed session.
// The first frame of a connection is a WireSession: the session id and the last number so far. A
// receiver that sees a number skipped asks for the missing ones:
//   GET /api/{venue}/feed?session=ID&from=N&to=M  → 200 { session, from, frames: [frame text…] }
//       (at most 2,000 frames; ask again for the rest), 410 { error: 'gone', reason: 'session' |
//       'evicted', oldest } when the session ended (the exchange restarted) or the frames left its
//       history, 400 when the numbers are not reached yet or malformed.

/** A public trade. */
export interface WireTrade {
  readonly e: 'trade';
  readonly s: string;
  readonly p: string;
  readonly q: string;
  readonly S: Side;
  readonly T: number;
  /** Sequence number in the feed session; feeds without numbers leave it out. */
  readonly u?: number;
}

/** A 24-hour ticker: last price and rolling base volume. */
export interface WireTicker {
  readonly e: 'ticker';
  readonly s: string;
  readonly p: string;
  readonly v: string;
  readonly T: number;
  readonly u?: number;
}

/** A top-of-book update: best bid and ask as [price, quantity]. */
export interface WireBook {
  readonly e: 'book';
  readonly s: string;
  readonly b: readonly [string, string];
  readonly a: readonly [string, string];
  readonly T: number;
  readonly u?: number;
}

/** First frame of a feed connection: the session its sequence numbers belong to, and the last number so far. */
export interface WireSession {
  readonly e: 'session';
  readonly id: string;
  readonly u: number;
}

export type WireMarketMessage = WireTrade | WireTicker | WireBook;

// ---------------------------------------------------------------------------------------------
// Exchange order API, per venue, JSON over HTTP:
//   POST   /api/{venue}/orders                  body NewOrderRequest → 200 OrderAck
//          429 { error: 'rate_limited' }, 503 { error: 'unavailable' }, 400 { error: 'rejected', reason }
//          Idempotent on clientOrderId: a repeated request returns the first order's ack and never
//          creates a second order.
//   DELETE /api/{venue}/orders/{clientOrderId}   → 200 OrderAck (status 'cancelled') | 404
// Executions stream: WebSocket `ws://HOST:PORT/ws/{venue}/executions`, JSON ExecutionEvent frames.

export interface NewOrderRequest {
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: 'market' | 'limit';
  readonly quantity: number;
  /** Required for limit orders. */
  readonly price?: number;
}

export interface OrderAck {
  readonly clientOrderId: string;
  readonly orderId: string;
  readonly status: 'open' | 'filled' | 'cancelled';
}

export interface FillEvent {
  readonly e: 'fill';
  readonly clientOrderId: string;
  readonly orderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly price: number;
  readonly quantity: number;
  /** Fee in USD. */
  readonly fee: number;
  readonly time: number;
}

export interface CancelEvent {
  readonly e: 'cancelled';
  readonly clientOrderId: string;
  readonly orderId: string;
  readonly time: number;
}

export type ExecutionEvent = FillEvent | CancelEvent;

// ---------------------------------------------------------------------------------------------
// Market-data bus: ZeroMQ PUB on MD_ZMQ_ENDPOINT (default tcp://127.0.0.1:5555). Two frames:
// topic `tick.{exchange}.{symbol}`, then the JSON of a Tick.

export interface Tick {
  readonly exchange: Venue;
  readonly symbol: string;
  readonly type: 'trade' | 'ticker' | 'book';
  /** Trade or last price; mid price for a book update. */
  readonly price: number;
  /** Trade quantity, or 0. */
  readonly quantity: number;
  /** Ticker 24 h volume, or 0. */
  readonly volume24h: number;
  readonly exchangeTime: number;
  readonly receivedTime: number;
}

// ---------------------------------------------------------------------------------------------
// Gateway order entry, for the strategy engine: POST http://HOST:GATEWAY_ORDER_PORT/orders with an
// EngineOrder → 200 GatewayOrderResult once the order is acknowledged, rejected or has failed.
// Fills go back on the gateway's ZeroMQ PUB (GATEWAY_ZMQ_ENDPOINT, default tcp://127.0.0.1:5556):
// topic `fill.{strategy}`, then the JSON of a StrategyFill.

export interface EngineOrder {
  readonly strategy: string;
  readonly clientOrderId: string;
  readonly exchange: Venue;
  readonly symbol: string;
  readonly side: Side;
  readonly type: 'market' | 'limit';
  readonly quantity: number;
  readonly price?: number;
}

export interface GatewayOrderResult {
  readonly clientOrderId: string;
  readonly status: 'accepted' | 'risk_rejected' | 'failed';
  /** The risk rule or failure reason, when not accepted. */
  readonly reason?: string;
}

export interface StrategyFill {
  readonly strategy: string;
  readonly exchange: Venue;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly price: number;
  readonly quantity: number;
  readonly fee: number;
  readonly time: number;
}
