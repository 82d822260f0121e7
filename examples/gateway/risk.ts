import type { gatewayDefinitions, InferLabels } from '@ttquant/metrics';
import type { Side } from '../shared/protocol.js';
import type { RiskConfig } from './config.js';

// Pre-trade risk: the three rules the gateway applies before an order reaches the exchange, in this
// order (the first that fails names the rejection):
//   1. max_order_rate: a token bucket per venue; every order that reaches the check takes a token,
//      so a flood of orders is throttled whatever else is wrong with them.
//   2. max_notional: quantity × reference price of the one order.
//   3. max_position: the worst case of the net position per venue and symbol, as notional: the
//      filled position plus every order still open on the same side plus this one. Orders in flight
//      count from the moment they pass, so ten concurrent buys cannot each see the old position.
// The reference price is the order's price when it has one (a limit price, or the price a market
// order was decided at), else the last mark from the market-data bus. An order that cannot be priced
// fails max_notional: a gateway that cannot value an order must not let it through.

/** A risk rule, the `rule` label of `orders_risk_rejected_total`. */
export type RiskRule = InferLabels<typeof gatewayDefinitions.ordersRiskRejected>['rule'];

/**
 * A token bucket: `ratePerSec` tokens a second up to `capacity`; starts full.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(10, 10, performance.now());
 * if (!bucket.take(performance.now())) reject('max_order_rate');
 * ```
 */
export class TokenBucket {
  readonly #perMs: number;
  readonly #capacity: number;
  #tokens: number;
  #last: number;

  /**
   * @param ratePerSec - refill rate, tokens per second (> 0)
   * @param capacity - the most tokens held (≥ 1)
   * @param now - the current time, ms
   */
  constructor(ratePerSec: number, capacity: number, now: number) {
    this.#perMs = ratePerSec / 1000;
    this.#capacity = capacity;
    this.#tokens = capacity;
    this.#last = now;
  }

  /**
   * Takes one token if there is one.
   *
   * @param now - the current time, ms (a clock that never goes back)
   * @returns whether a token was taken
   */
  take(now: number): boolean {
    if (now > this.#last) {
      this.#tokens = Math.min(this.#capacity, this.#tokens + (now - this.#last) * this.#perMs);
      this.#last = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Position and open quantities of one venue and symbol. @internal */
interface Book {
  position: number;
  openBuy: number;
  openSell: number;
}

/**
 * The gateway's pre-trade risk state: order-rate buckets per venue, and per venue and symbol the net
 * filled position and the quantity still open on each side.
 *
 * @example
 * ```ts
 * const risk = new RiskEngine({ maxPositionUsd: 50_000, maxNotionalUsd: 10_000, maxOrdersPerSec: 20, orderBurst: 20 });
 * const rule = risk.check('binance', 'BTCUSDT', 'buy', 0.1, 60_000); // undefined: passes, 0.1 now open
 * risk.onFill('binance', 'BTCUSDT', 'buy', 0.1); // filled: position 0.1, nothing open
 * ```
 */
export class RiskEngine {
  readonly #config: RiskConfig;
  readonly #now: () => number;
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #books = new Map<string, Book>();

  /**
   * @param config - the limits
   * @param now - a monotonic clock in ms (default `performance.now`)
   */
  constructor(config: RiskConfig, now: () => number = () => performance.now()) {
    this.#config = config;
    this.#now = now;
  }

  /**
   * Applies the rules to one order. When it passes, its quantity counts as open on its side until
   * {@link onFill} or {@link release} takes it back.
   *
   * @param venue - the venue
   * @param symbol - the symbol
   * @param side - buy or sell
   * @param quantity - base units, > 0
   * @param refPrice - reference price in USD, or NaN when none is known
   * @returns the first rule that fails, or `undefined` when the order passes
   */
  check(venue: string, symbol: string, side: Side, quantity: number, refPrice: number): RiskRule | undefined {
    let bucket = this.#buckets.get(venue);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.#config.maxOrdersPerSec, this.#config.orderBurst, this.#now());
      this.#buckets.set(venue, bucket);
    }
    if (!bucket.take(this.#now())) return 'max_order_rate';
    if (!(refPrice > 0 && refPrice < Number.POSITIVE_INFINITY)) return 'max_notional';
    if (quantity * refPrice > this.#config.maxNotionalUsd) return 'max_notional';
    const book = this.#book(venue, symbol);
    // Worst case on the order's side: everything open on that side fills, nothing on the other.
    const worst =
      side === 'buy' ? book.position + book.openBuy + quantity : -(book.position - book.openSell - quantity);
    if (worst * refPrice > this.#config.maxPositionUsd) return 'max_position';
    if (side === 'buy') book.openBuy += quantity;
    else book.openSell += quantity;
    return undefined;
  }

  /**
   * Books a fill: the position moves and the filled quantity is no longer open.
   *
   * @param venue - the venue
   * @param symbol - the symbol
   * @param side - the fill's side
   * @param quantity - filled base units
   * @param open - how much of it was counted as open (the order's remaining quantity, at most)
   */
  onFill(venue: string, symbol: string, side: Side, quantity: number, open = quantity): void {
    const book = this.#book(venue, symbol);
    book.position += side === 'buy' ? quantity : -quantity;
    this.release(venue, symbol, side, open);
  }

  /**
   * Takes back open quantity of an order that will not fill (failed, rejected or cancelled).
   *
   * @param venue - the venue
   * @param symbol - the symbol
   * @param side - the order's side
   * @param quantity - its unfilled quantity
   */
  release(venue: string, symbol: string, side: Side, quantity: number): void {
    const book = this.#book(venue, symbol);
    // Clamped at 0 so rounding residue never leaves a phantom open quantity below zero.
    if (side === 'buy') book.openBuy = Math.max(0, book.openBuy - quantity);
    else book.openSell = Math.max(0, book.openSell - quantity);
  }

  /**
   * The risk view of one venue and symbol (for tests and logs).
   *
   * @param venue - the venue
   * @param symbol - the symbol
   * @returns net position and open quantities, base units
   */
  exposure(venue: string, symbol: string): { position: number; openBuy: number; openSell: number } {
    const book = this.#books.get(`${venue}|${symbol}`);
    return book === undefined ? { position: 0, openBuy: 0, openSell: 0 } : { ...book };
  }

  #book(venue: string, symbol: string): Book {
    const key = `${venue}|${symbol}`;
    let book = this.#books.get(key);
    if (book === undefined) {
      book = { position: 0, openBuy: 0, openSell: 0 };
      this.#books.set(key, book);
    }
    return book;
  }
}
