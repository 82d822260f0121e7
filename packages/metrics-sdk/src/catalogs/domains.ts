import { closed, open } from '../define/labels.js';

// Label domains shared by the four catalogs, so `exchange` means the same thing on every service.

/**
 * The venues the ready catalogs declare by default, in the order their series are laid out. Every
 * catalog's `exchange` domain is built from this tuple, so extending it (`withVenues(...DEFAULT_VENUES,
 * 'kraken')`) starts from exactly what the defaults accept.
 */
export const DEFAULT_VENUES = Object.freeze(['binance', 'okx', 'bybit', 'coinbase'] as const);

/**
 * Trading venues. Closed: a new venue is a code change, like its connector. A deployment on other
 * venues builds the catalogs with `withVenues` instead of redeclaring them.
 */
export const exchange = closed(...DEFAULT_VENUES);

/** Instrument symbol as the venue spells it (`BTCUSDT`). Open, budgeted per metric. */
export const symbol = open({ budget: 200 });

/** Strategy instance name. Open: strategies are configured at run time. */
export const strategy = open({ budget: 64 });

/** Order or trade side. */
export const side = closed('buy', 'sell');

/** Kind of market data message. */
export const messageType = closed('trade', 'ticker', 'book');

/** Milliseconds buckets for network latencies: the alert thresholds (500, 1000, 2000, 5000) are bounds. */
export const networkLatencyMs = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000] as const;
