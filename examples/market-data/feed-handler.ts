import type { CounterHandle, GaugeHandle, HistogramHandle, MarketDataMetrics } from '@ttquant/metrics';
import type { RawData } from 'ws';
import type { Logger } from '../shared/logger.js';
import type { Venue } from '../shared/protocol.js';
import { MAX_DYNAMIC_SYMBOLS } from './config.js';
import { type MarketMessage, type MessageType, type ParseErrorReason, parseMarketMessage } from './parse.js';
import type { TickRecord } from './tick-store.js';

// One venue's frames turned into ticks: parse, validate, and record what the parse knows (parse
// errors, latency, last price, 24 h volume). The same code runs on the service's thread or in the
// venue's feed thread; the tick then goes to `onTick`, which counts it received and stores it.

type PerType<T> = Record<MessageType, T>;

/** Options of {@link FeedHandler}. */
export interface FeedHandlerOptions {
  readonly metrics: MarketDataMetrics;
  readonly exchange: Venue;
  /** Accepted symbols, or `'*'` for any (up to MAX_DYNAMIC_SYMBOLS). */
  readonly symbols: readonly string[] | '*';
  readonly maxFrameBytes: number;
  /** Wall clock in ms: the receive timestamp and the latency. */
  readonly now: () => number;
  readonly logger: Logger;
  /** Where each valid tick goes. */
  readonly onTick: (tick: TickRecord) => void;
}

/** Gauges are bound at the first value: a bound series is exported, and a price of 0 before any trade would read as one. */
interface SymbolGauges {
  lastPrice: GaugeHandle | undefined;
  volume24h: GaugeHandle | undefined;
}

/** Parses one venue's frames; see the module comment. */
export class FeedHandler {
  /** Messages whose exchange timestamp was ahead of our clock (their latency was recorded as 0). */
  skewed = 0;
  readonly #o: FeedHandlerOptions;
  readonly #symbols = new Map<string, SymbolGauges>();
  readonly #latency: PerType<HistogramHandle>;
  readonly #parseErrors: Readonly<Record<ParseErrorReason, CounterHandle>>;
  #lastSkewLog = Number.NEGATIVE_INFINITY;
  /** The feed session of this connection, from its first frame; '' before it (or from a feed without one). */
  #session = '';

  constructor(options: FeedHandlerOptions) {
    this.#o = options;
    const { metrics, exchange } = options;
    this.#latency = metrics.latency.bindEach('type', { exchange });
    this.#parseErrors = metrics.parseErrors.bindEach('reason', { exchange });
    if (options.symbols !== '*') {
      for (const symbol of options.symbols) this.#symbols.set(symbol, { lastPrice: undefined, volume24h: undefined });
    }
  }

  /** The connection was lost: its session is no longer known (the next connection says it again). */
  disconnected(): void {
    this.#session = '';
  }

  /** A frame `ws` refused as too large: counted as unparseable JSON. */
  oversized(): void {
    this.#parseErrors.invalid_json.inc();
  }

  /** The hot path: one frame. Never throws. */
  frame(data: RawData, isBinary: boolean): void {
    const o = this.#o;
    const receivedTime = o.now();
    const msg = parseMarketMessage(data, isBinary, o.maxFrameBytes);
    if (typeof msg === 'string') {
      this.#parseErrors[msg].inc();
      return;
    }
    if (msg.type === 'session') {
      this.#session = msg.session;
      return;
    }
    let gauges = this.#symbols.get(msg.symbol);
    if (gauges === undefined) {
      // Not configured (MD_SYMBOLS), or past the cap of symbols learnt at run time.
      if (o.symbols !== '*' || this.#symbols.size >= MAX_DYNAMIC_SYMBOLS) {
        this.#parseErrors.invalid_value.inc();
        return;
      }
      gauges = { lastPrice: undefined, volume24h: undefined };
      this.#symbols.set(msg.symbol, gauges);
    }
    const type = msg.type;
    let delay = receivedTime - msg.exchangeTime;
    if (delay < 0) {
      // The venue's clock is ahead of ours: a negative delay is skew, not speed. Record 0, count it,
      // and say so at most once a minute per venue.
      this.skewed++;
      if (receivedTime - this.#lastSkewLog > 60_000) {
        this.#lastSkewLog = receivedTime;
        o.logger.warn(
          { exchange: o.exchange, skewMs: -delay },
          'exchange timestamp ahead of local clock; latency recorded as 0',
        );
      }
      delay = 0;
    }
    this.#latency[type].observe(delay);
    if (type !== 'book') {
      gauges.lastPrice ??= o.metrics.lastPrice.bind({ exchange: o.exchange, symbol: msg.symbol });
      gauges.lastPrice.set(msg.price);
      if (type === 'ticker') {
        gauges.volume24h ??= o.metrics.volume24h.bind({ exchange: o.exchange, symbol: msg.symbol });
        gauges.volume24h.set(msg.volume24h);
      }
    }
    o.onTick(tickRecord(o.exchange, msg, receivedTime, this.#session));
  }
}

/**
 * The stored form of a parsed feed message.
 *
 * @param exchange - its venue
 * @param msg - the parsed message
 * @param receivedTime - when it arrived (live) or was recovered, ms
 * @param session - the feed session its sequence number belongs to ('' for none)
 * @returns the tick record
 */
export function tickRecord(exchange: Venue, msg: MarketMessage, receivedTime: number, session: string): TickRecord {
  return {
    exchange,
    symbol: msg.symbol,
    type: msg.type,
    price: msg.price,
    quantity: msg.quantity,
    volume24h: msg.volume24h,
    exchangeTime: msg.exchangeTime,
    receivedTime,
    side: msg.side,
    bidPrice: msg.bidPrice,
    bidQty: msg.bidQty,
    askPrice: msg.askPrice,
    askQty: msg.askQty,
    session,
    sequence: msg.sequence,
  };
}
