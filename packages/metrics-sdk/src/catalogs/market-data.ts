import { type CatalogClass, catalog } from '../define/catalog.js';
import { closed } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { exchange, messageType, networkLatencyMs, symbol } from './domains.js';
import { type VenueList, venueCatalog, type WithVenues } from './venues.js';

/**
 * Declarations of the metrics a market-data service (one feed handler per venue) exposes, served
 * on `SERVICE_PORTS['market-data']`.
 */
export const marketDataDefinitions = {
  received: counter(
    'market_data_received_total',
    'Market data messages received from the exchange and parsed successfully.',
    { exchange, symbol, type: messageType },
    { unit: '1' },
  ),
  latency: histogram(
    'market_data_latency_ms',
    'Delay from the exchange timestamp of a message to its receipt, in milliseconds.',
    { exchange, type: messageType },
    { unit: 'ms', buckets: networkLatencyMs, native: true },
  ),
  connectionStatus: gauge(
    'ws_connection_status',
    'WebSocket connection to the exchange: 1 connected, 0 disconnected.',
    { exchange },
    { unit: '1', clusterAggregation: 'min' },
  ),
  reconnects: counter(
    'ws_reconnect_total',
    'WebSocket reconnection attempts after the connection was lost.',
    { exchange },
    { unit: '1' },
  ),
  parseErrors: counter(
    'message_parse_errors_total',
    'Messages from the exchange that could not be parsed, by reason; they are skipped.',
    { exchange, reason: closed('invalid_json', 'unknown_type', 'missing_field', 'invalid_value') },
    { unit: '1' },
  ),
  dbWrites: counter(
    'db_writes_total',
    'Ticks written to the database.',
    { exchange, table: closed('trades', 'tickers', 'books') },
    { unit: '1' },
  ),
  dbWriteErrors: counter(
    'db_write_errors_total',
    'Failed database writes: one per failed batch attempt, and one per tick dropped (reason="dropped").',
    { exchange, reason: closed('connection', 'query', 'timeout', 'dropped') },
    { unit: '1' },
  ),
  zmqPublished: counter(
    'zmq_published_total',
    'Normalized ticks published on the ZeroMQ bus.',
    { exchange, type: messageType },
    { unit: '1' },
  ),
  lastPrice: gauge('market_last_price', 'Last traded price of the symbol, in quote currency.', { exchange, symbol }),
  volume24h: gauge(
    'market_volume_24h',
    'Rolling 24-hour traded volume of the symbol as reported by the exchange, in base currency.',
    { exchange, symbol },
  ),
} as const;

/**
 * The market-data service's metrics.
 *
 * @example
 * ```ts
 * const md = new MarketDataMetrics();
 * const trades = md.received.bind({ exchange: 'binance', symbol: 'BTCUSDT', type: 'trade' });
 * trades.inc();
 * md.latency.observe({ exchange: 'binance', type: 'trade' }, 3.2);
 * ```
 */
export class MarketDataMetrics extends catalog(marketDataDefinitions) {
  /**
   * This catalog for another venue list: the same metrics, wire names, help, units and buckets, with
   * the `exchange` label closed to `venues` (in that order). The venue names are `const` generics, so
   * a venue outside the list fails to compile, as with the defaults. Works on a subclass too;
   * the class returned is a plain catalog class (extend it to add members).
   *
   * @param venues - the venues, at least one, each a non-empty string, no duplicates; spread
   *   `DEFAULT_VENUES` first to extend the defaults instead of replacing them
   * @returns a catalog class to extend or instantiate
   * @throws MetricDefinitionError naming `MarketDataMetrics.withVenues` and each bad entry
   * @example
   * ```ts
   * class DeskMarketDataMetrics extends MarketDataMetrics.withVenues('kraken', 'deribit') {} // replaces the defaults
   * const md = new (MarketDataMetrics.withVenues(...DEFAULT_VENUES, 'kraken'))(); // extends them
   * md.received.inc({ exchange: 'kraken', symbol: 'XBTUSD', type: 'trade' });
   * ```
   */
  static withVenues<const V extends VenueList>(
    ...venues: V
  ): CatalogClass<WithVenues<typeof marketDataDefinitions, V[number]>> {
    return venueCatalog(marketDataDefinitions, venues, 'MarketDataMetrics.withVenues');
  }
}
