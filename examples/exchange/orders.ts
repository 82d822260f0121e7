import {
  type ExecutionEvent,
  type NewOrderRequest,
  type OrderAck,
  type Side,
  SYMBOLS,
  type Venue,
} from '../shared/protocol.js';
import type { ExchangeConfig, FaultConfig } from './config.js';
import type { JournalEntry, JournalSink } from './journal.js';
import type { MarketStream } from './market.js';
import { deriveSeed, seededRandom } from './random.js';
import type { OrderStats } from './stats.js';

// The order book of one venue: validation, idempotent order entry, market fills after a delay with
// slippage, resting limit orders that fill when the walk crosses them, cancels, and the fault draw
// (429/503) and ack delay of every request. Orders fill whole (no partial fills).

/** An order as the venue keeps it. */
export interface OrderRecord {
  readonly clientOrderId: string;
  readonly orderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: 'market' | 'limit';
  readonly quantity: number;
  readonly price: number | undefined;
  status: OrderAck['status'];
  /** Set once the ack is sent: only a live order fills, so a fill never precedes its ack. */
  live: boolean;
  fillTimer: NodeJS.Timeout | undefined;
}

/** The outcome of the fault draw of one request, and the delay before it is answered. */
export interface RequestDraw {
  readonly fault: 'rate_limited' | 'unavailable' | undefined;
  readonly delayMs: number;
}

const CLIENT_ORDER_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const MAX_QUANTITY = 1e9;
/** Terminal orders remembered for idempotency; the oldest are forgotten past this. */
const REMEMBERED_ORDERS = 100_000;

/**
 * Validates an untrusted order body against NewOrderRequest.
 *
 * @param body - parsed JSON
 * @returns the order, or the reason it is rejected
 */
export function validateOrder(body: unknown): NewOrderRequest | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body_not_object';
  const o = body as Record<string, unknown>;
  if (typeof o.clientOrderId !== 'string' || !CLIENT_ORDER_ID.test(o.clientOrderId)) {
    return 'invalid_client_order_id';
  }
  if (typeof o.symbol !== 'string' || !(SYMBOLS as readonly string[]).includes(o.symbol)) return 'unknown_symbol';
  if (o.side !== 'buy' && o.side !== 'sell') return 'invalid_side';
  if (o.type !== 'market' && o.type !== 'limit') return 'invalid_type';
  if (!isPositive(o.quantity) || o.quantity > MAX_QUANTITY) return 'invalid_quantity';
  if (o.type === 'limit' ? !isPositive(o.price) : o.price !== undefined && !isPositive(o.price)) {
    return 'invalid_price';
  }
  return {
    clientOrderId: o.clientOrderId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    quantity: o.quantity,
    ...(o.type === 'limit' ? { price: o.price as number } : {}),
  };
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/**
 * The ack of an order in its current state.
 *
 * @param order - the order
 * @returns the OrderAck
 */
export function ackOf(order: OrderRecord): OrderAck {
  return { clientOrderId: order.clientOrderId, orderId: order.orderId, status: order.status };
}

/** Order entry and matching of one venue. */
export class VenueOrders {
  readonly venue: Venue;
  readonly #streams: ReadonlyMap<string, MarketStream>;
  readonly #config: ExchangeConfig;
  readonly #faults: () => Readonly<FaultConfig>;
  readonly #emit: (venue: Venue, event: ExecutionEvent) => void;
  readonly #stats: OrderStats;
  readonly #now: () => number;
  readonly #requestRandom: () => number;
  readonly #fillRandom: () => number;
  readonly #orders = new Map<string, OrderRecord>();
  readonly #resting = new Map<string, OrderRecord[]>();
  readonly #journal: JournalSink | undefined;
  #nextId = 1;

  /**
   * @param venue - the venue
   * @param streams - its markets by symbol
   * @param config - fees, slippage, delays, limits, seed
   * @param faults - reads the current fault knobs (they change at run time)
   * @param emit - sends an execution event to the venue's executions stream
   * @param stats - this venue's order counters
   * @param now - wall clock for event times
   * @param journal - where order events are recorded before they take effect (EXCHANGE_JOURNAL)
   */
  constructor(
    venue: Venue,
    streams: ReadonlyMap<string, MarketStream>,
    config: ExchangeConfig,
    faults: () => Readonly<FaultConfig>,
    emit: (venue: Venue, event: ExecutionEvent) => void,
    stats: OrderStats,
    now: () => number,
    journal?: JournalSink,
  ) {
    this.venue = venue;
    this.#streams = streams;
    this.#config = config;
    this.#faults = faults;
    this.#emit = emit;
    this.#stats = stats;
    this.#now = now;
    this.#journal = journal;
    this.#requestRandom = seededRandom(deriveSeed(config.seed, 'requests', venue));
    this.#fillRandom = seededRandom(deriveSeed(config.seed, 'fills', venue));
    for (const symbol of streams.keys()) this.#resting.set(symbol, []);
  }

  /**
   * Draws the fault and ack delay of one order or cancel request. One uniform draw decides the fault:
   * [0, rateLimit) → 429, [rateLimit, rateLimit + error) → 503; a second draws the delay (ackMs ±50 %).
   *
   * @returns the fault, if any, and the delay in ms before answering
   */
  drawRequest(): RequestDraw {
    const f = this.#faults();
    const u = this.#requestRandom();
    const delayMs = this.#config.ackMs * (0.5 + this.#requestRandom());
    const fault =
      u < f.rateLimitFraction ? 'rate_limited' : u < f.rateLimitFraction + f.errorFraction ? 'unavailable' : undefined;
    return { fault, delayMs };
  }

  /**
   * Enters a validated order, or finds the one already entered under its clientOrderId.
   *
   * @param request - a validated order
   * @returns the order and whether it was created now, or a reject reason
   */
  submit(request: NewOrderRequest): { order: OrderRecord; created: boolean } | string {
    const known = this.#orders.get(request.clientOrderId);
    if (known !== undefined) {
      this.#journal?.append({ e: 'duplicate', venue: this.venue, clientOrderId: known.clientOrderId, t: this.#now() });
      return { order: known, created: false };
    }
    if (this.#stats.open >= this.#config.maxOpenOrders) return 'too_many_open_orders';
    const order: OrderRecord = {
      clientOrderId: request.clientOrderId,
      orderId: `${this.venue}-${this.#nextId++}`,
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      quantity: request.quantity,
      price: request.type === 'limit' ? request.price : undefined,
      status: 'open',
      live: false,
      fillTimer: undefined,
    };
    // Recorded before the ack can leave: a restarted exchange must know every id it ever acked.
    this.#journal?.append({
      e: 'new',
      venue: this.venue,
      clientOrderId: order.clientOrderId,
      orderId: order.orderId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      quantity: order.quantity,
      ...(order.price === undefined ? {} : { price: order.price }),
      t: this.#now(),
    });
    this.#orders.set(order.clientOrderId, order);
    this.#stats.open++;
    if (order.type === 'limit') this.#resting.get(order.symbol)?.push(order);
    this.#forgetOld();
    return { order, created: true };
  }

  /**
   * Makes an order live once its ack is sent: a market order fills after EXCHANGE_FILL_MS (±50 %),
   * a limit order from the next tick that crosses it.
   *
   * @param order - an order returned by {@link submit}
   */
  activate(order: OrderRecord): void {
    if (order.status !== 'open' || order.live) return;
    order.live = true;
    if (order.type === 'market') {
      const delay = this.#config.fillMs * (0.5 + this.#fillRandom());
      order.fillTimer = setTimeout(() => this.#fillMarket(order), delay);
    }
  }

  /**
   * Looks up an order by clientOrderId.
   *
   * @param clientOrderId - the client's id
   * @returns the order, or undefined
   */
  find(clientOrderId: string): OrderRecord | undefined {
    return this.#orders.get(clientOrderId);
  }

  /**
   * Cancels an open order (no event yet: the caller emits it with the ack, see {@link cancelEvent}).
   *
   * @param clientOrderId - the client's id
   * @returns the order and whether this call cancelled it, or undefined when unknown
   */
  cancel(clientOrderId: string): { order: OrderRecord; cancelled: boolean } | undefined {
    const order = this.#orders.get(clientOrderId);
    if (order === undefined) return undefined;
    if (order.status !== 'open') return { order, cancelled: false };
    this.#journal?.append({ e: 'cancel', venue: this.venue, clientOrderId, t: this.#now() });
    order.status = 'cancelled';
    this.#stats.open--;
    clearTimeout(order.fillTimer);
    order.fillTimer = undefined;
    if (order.type === 'limit') this.#unrest(order);
    return { order, cancelled: true };
  }

  /**
   * Emits the CancelEvent of an order this venue cancelled.
   *
   * @param order - the cancelled order
   */
  cancelEvent(order: OrderRecord): void {
    this.#emit(this.venue, {
      e: 'cancelled',
      clientOrderId: order.clientOrderId,
      orderId: order.orderId,
      time: this.#now(),
    });
  }

  /**
   * Fills the live resting limit orders the market now crosses: a buy when the ask is at or below
   * its price, a sell when the bid is at or above it; at the limit price (the maker's price).
   *
   * @param stream - the market that just moved
   */
  onTick(stream: MarketStream): void {
    const resting = this.#resting.get(stream.symbol);
    if (resting === undefined || resting.length === 0) return;
    for (let i = resting.length - 1; i >= 0; i--) {
      const order = resting[i];
      if (!order.live || order.price === undefined) continue;
      const crossed = order.side === 'buy' ? stream.ask <= order.price : stream.bid >= order.price;
      if (!crossed) continue;
      resting.splice(i, 1);
      this.#fill(order, order.price);
    }
  }

  /**
   * Takes back the orders an earlier process of this exchange recorded in its journal (this venue's
   * entries only): every known clientOrderId is remembered again, so a retry gets the first ack, and
   * an order still open is live again (a market order fills after EXCHANGE_FILL_MS, a limit order
   * rests). Call before the first request; order ids continue after the highest one seen.
   *
   * @param entries - the journal, oldest first
   * @returns how many orders were taken back, and how many of them are open
   */
  restore(entries: readonly JournalEntry[]): { orders: number; open: number } {
    let restored = 0;
    for (const entry of entries) {
      if (entry.venue !== this.venue) continue;
      if (entry.e === 'new') {
        if (this.#orders.has(entry.clientOrderId) || !this.#streams.has(entry.symbol)) continue;
        this.#orders.set(entry.clientOrderId, {
          clientOrderId: entry.clientOrderId,
          orderId: entry.orderId,
          symbol: entry.symbol,
          side: entry.side,
          type: entry.type,
          quantity: entry.quantity,
          price: entry.type === 'limit' ? entry.price : undefined,
          status: 'open',
          live: false,
          fillTimer: undefined,
        });
        restored++;
        const n = Number(entry.orderId.slice(this.venue.length + 1));
        if (Number.isInteger(n) && n >= this.#nextId) this.#nextId = n + 1;
        continue;
      }
      const order = this.#orders.get(entry.clientOrderId);
      if (order === undefined) continue;
      if (entry.e === 'fill') order.status = 'filled';
      else if (entry.e === 'cancel') order.status = 'cancelled';
    }
    let open = 0;
    for (const order of this.#orders.values()) {
      if (order.status !== 'open' || order.live) continue;
      open++;
      this.#stats.open++;
      if (order.type === 'limit') this.#resting.get(order.symbol)?.push(order);
      this.activate(order);
    }
    this.#forgetOld();
    return { orders: restored, open };
  }

  /** Stops pending fills (on close). */
  close(): void {
    for (const order of this.#orders.values()) {
      clearTimeout(order.fillTimer);
      order.fillTimer = undefined;
    }
  }

  #fillMarket(order: OrderRecord): void {
    order.fillTimer = undefined;
    if (order.status !== 'open') return;
    const stream = this.#streams.get(order.symbol);
    if (stream === undefined) return;
    const slip = (this.#fillRandom() * this.#config.slippageBps) / 10_000;
    const price = stream.roundPrice(order.side === 'buy' ? stream.ask * (1 + slip) : stream.bid * (1 - slip));
    this.#fill(order, price);
  }

  #fill(order: OrderRecord, price: number): void {
    order.status = 'filled';
    this.#stats.open--;
    const notional = price * order.quantity;
    const fee = Math.round(((notional * this.#config.feeBps) / 10_000) * 1e8) / 1e8;
    const time = this.#now();
    this.#journal?.append({
      e: 'fill',
      venue: this.venue,
      clientOrderId: order.clientOrderId,
      price,
      quantity: order.quantity,
      fee,
      t: time,
    });
    this.#stats.filled++;
    this.#stats.feesUsd += fee;
    this.#stats.notionalUsd += notional;
    this.#emit(this.venue, {
      e: 'fill',
      clientOrderId: order.clientOrderId,
      orderId: order.orderId,
      symbol: order.symbol,
      side: order.side,
      price,
      quantity: order.quantity,
      fee,
      time,
    });
  }

  #unrest(order: OrderRecord): void {
    const resting = this.#resting.get(order.symbol);
    const i = resting?.indexOf(order) ?? -1;
    if (resting !== undefined && i >= 0) resting.splice(i, 1);
  }

  /** Bounds the idempotency map: forgets the oldest filled or cancelled orders past the limit. */
  #forgetOld(): void {
    if (this.#orders.size <= REMEMBERED_ORDERS + this.#config.maxOpenOrders) return;
    for (const [id, order] of this.#orders) {
      if (this.#orders.size <= REMEMBERED_ORDERS) break;
      if (order.status !== 'open') this.#orders.delete(id);
    }
  }
}
