import type { Side, Venue } from '../shared/protocol.js';
import type { MalformedReason } from './config.js';
import { deriveSeed, seededRandom } from './random.js';

// One symbol on one venue: a seeded log-normal random walk with weak mean reversion, a top of book
// around it, trades at the touch and a rolling 24 h volume; plus the feed frames that describe it.

/** Per-symbol constants: start price, decimals on the wire, typical trade size, start volume. */
interface SymbolSpec {
  readonly startPrice: number;
  readonly priceDecimals: number;
  readonly qtyDecimals: number;
  readonly tradeQty: number;
  readonly startVolume: number;
}

const SPECS: Readonly<Record<string, SymbolSpec>> = {
  BTCUSDT: { startPrice: 65_000, priceDecimals: 2, qtyDecimals: 5, tradeQty: 0.05, startVolume: 12_000 },
  ETHUSDT: { startPrice: 3_200, priceDecimals: 2, qtyDecimals: 4, tradeQty: 0.8, startVolume: 250_000 },
  SOLUSDT: { startPrice: 150, priceDecimals: 3, qtyDecimals: 2, tradeQty: 15, startVolume: 3_000_000 },
};

/** Volatility of one 20 ms step (5 bp); scaled by sqrt(tickMs / 20) so the walk's speed is per second. */
const SIGMA_PER_20MS = 0.0005;
/** Pull back towards the start price per step, so a long run does not wander off. */
const REVERSION = 0.0002;
/** Half the bid-ask spread as a fraction of price (0.5 bp). */
const HALF_SPREAD = 0.00005;
const DAY_MS = 86_400_000;

/** The feed message kinds, cycled in this order: trades and book updates often, a ticker every 5th. */
const CYCLE = ['trade', 'book', 'trade', 'book', 'ticker'] as const;
export type FeedKind = (typeof CYCLE)[number];

/** The market of one symbol on one venue. */
export class MarketStream {
  readonly venue: Venue;
  readonly symbol: string;
  /** Mid price. */
  mid: number;
  bid: number;
  ask: number;
  bidQty = 0;
  askQty = 0;
  /** Rolling 24 h base volume (exponentially decayed over a day). */
  volume24h: number;
  lastPrice: number;
  lastQty = 0;
  lastSide: Side = 'buy';
  /** Steps taken so far. */
  ticks = 0;
  readonly #spec: SymbolSpec;
  readonly #random: () => number;
  readonly #sigma: number;
  readonly #decay: number;
  readonly #unit: number;
  readonly #logStart: number;

  /**
   * Creates the stream at its start price (okx starts 2 bp above binance).
   *
   * @param venue - the venue
   * @param symbol - one of SYMBOLS
   * @param seed - the run's seed; the walk draws from its own derived stream
   * @param tickMs - ms per step, to scale volatility and volume decay
   */
  constructor(venue: Venue, symbol: string, seed: number, tickMs: number) {
    const spec = SPECS[symbol];
    if (spec === undefined) throw new Error(`market: no spec for symbol ${symbol}`);
    this.venue = venue;
    this.symbol = symbol;
    this.#spec = spec;
    this.#random = seededRandom(deriveSeed(seed, 'walk', venue, symbol));
    this.#sigma = SIGMA_PER_20MS * Math.sqrt(tickMs / 20);
    this.#decay = tickMs / DAY_MS;
    this.#unit = 10 ** -spec.priceDecimals;
    this.#logStart = Math.log(spec.startPrice);
    this.mid = spec.startPrice * (venue === 'okx' ? 1.0002 : 1);
    this.lastPrice = this.mid;
    this.volume24h = spec.startVolume;
    this.bid = this.mid;
    this.ask = this.mid;
    this.#quote(0.5, 0.5);
  }

  /**
   * Moves the market one step and says which message describes it. Always draws six numbers, so
   * the k-th step is the same in every run with the same seed.
   *
   * @returns the kind of feed message for this step
   */
  step(): FeedKind {
    const r = this.#random;
    const shock = (r() - 0.5) * 2 * this.#sigma * Math.sqrt(3); // uniform with std dev sigma
    const pull = -REVERSION * (Math.log(this.mid) - this.#logStart);
    this.mid = Math.max(this.#unit * 10, this.mid * Math.exp(shock + pull));
    const sideDraw = r();
    const qtyDraw = r();
    this.#quote(r(), r());
    const volumeDraw = r();
    const kind = CYCLE[this.ticks % CYCLE.length];
    this.ticks++;
    this.volume24h -= this.volume24h * this.#decay;
    if (kind === 'trade') {
      this.lastSide = sideDraw < 0.5 ? 'buy' : 'sell';
      this.lastPrice = this.lastSide === 'buy' ? this.ask : this.bid;
      this.lastQty = this.#roundQty(this.#spec.tradeQty * (0.05 + 1.95 * qtyDraw));
      this.volume24h += this.lastQty * (1 + volumeDraw); // other venues' flow rides along
    }
    return kind;
  }

  /**
   * Rounds a price to the symbol's tick.
   *
   * @param price - a price
   * @returns the price at the symbol's wire precision
   */
  roundPrice(price: number): number {
    return Number(price.toFixed(this.#spec.priceDecimals));
  }

  /**
   * The well-formed feed frame of the given kind with exchange time `T`.
   *
   * @param kind - trade, book or ticker
   * @param T - exchange timestamp (ms since the epoch)
   * @returns the JSON text of a WireTrade, WireBook or WireTicker
   */
  encode(kind: FeedKind, T: number): string {
    const pd = this.#spec.priceDecimals;
    const qd = this.#spec.qtyDecimals;
    switch (kind) {
      case 'trade':
        return `{"e":"trade","s":"${this.symbol}","p":"${this.lastPrice.toFixed(pd)}","q":"${this.lastQty.toFixed(qd)}","S":"${this.lastSide}","T":${T}}`;
      case 'book':
        return `{"e":"book","s":"${this.symbol}","b":["${this.bid.toFixed(pd)}","${this.bidQty.toFixed(qd)}"],"a":["${this.ask.toFixed(pd)}","${this.askQty.toFixed(qd)}"],"T":${T}}`;
      case 'ticker':
        return `{"e":"ticker","s":"${this.symbol}","p":"${this.lastPrice.toFixed(pd)}","v":"${this.volume24h.toFixed(qd)}","T":${T}}`;
    }
  }

  /**
   * A malformed frame in place of the given kind, broken for exactly one reason.
   *
   * - `invalid_json`: the good frame cut in half;
   * - `unknown_type`: `"e":"liquidation"` with otherwise valid fields;
   * - `missing_field`: the trade's `p`, the book's `a` or the ticker's `v` left out;
   * - `invalid_value`: a non-numeric price (`"p":"n/a"`, or `"b":["n/a", …]`).
   *
   * @param kind - the kind the frame would have had
   * @param reason - how to break it
   * @param T - exchange timestamp
   * @returns the frame text
   */
  encodeMalformed(kind: FeedKind, reason: MalformedReason, T: number): string {
    const good = this.encode(kind, T);
    switch (reason) {
      case 'invalid_json':
        return good.slice(0, good.length >> 1);
      case 'unknown_type':
        return good.replace(`"e":"${kind}"`, '"e":"liquidation"');
      case 'missing_field':
        if (kind === 'trade') return good.replace(/"p":"[^"]*",/, '');
        if (kind === 'book') return good.replace(/,"a":\[[^\]]*\]/, '');
        return good.replace(/"v":"[^"]*",/, '');
      case 'invalid_value':
        if (kind === 'book') return good.replace(/"b":\["[^"]*"/, '"b":["n/a"');
        return good.replace(/"p":"[^"]*"/, '"p":"n/a"');
    }
  }

  /** Sets bid/ask one half-spread (at least one price tick) around mid, with random sizes. */
  #quote(bidDraw: number, askDraw: number): void {
    const half = Math.max(this.#unit, this.mid * HALF_SPREAD);
    this.bid = this.roundPrice(this.mid - half);
    this.ask = this.roundPrice(Math.max(this.bid + this.#unit, this.mid + half));
    this.bidQty = this.#roundQty(this.#spec.tradeQty * (0.5 + 9.5 * bidDraw));
    this.askQty = this.#roundQty(this.#spec.tradeQty * (0.5 + 9.5 * askDraw));
  }

  #roundQty(qty: number): number {
    const unit = 10 ** -this.#spec.qtyDecimals;
    return Math.max(unit, Number(qty.toFixed(this.#spec.qtyDecimals)));
  }
}
