import { type CatalogClass, catalog } from '../define/catalog.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { exchange, messageType, side, strategy } from './domains.js';
import { type VenueList, venueCatalog, type WithVenues } from './venues.js';

/**
 * Declarations of the metrics about the strategy engine process itself, served on
 * `SERVICE_PORTS['strategy-engine']`.
 */
export const engineDefinitions = {
  marketDataReceived: counter(
    'engine_market_data_received_total',
    'Market data messages the engine received from the bus.',
    { exchange, type: messageType },
    { unit: '1' },
  ),
  ordersSent: counter(
    'engine_orders_sent_total',
    'Orders the engine sent to a gateway.',
    { strategy, exchange, side },
    { unit: '1' },
  ),
  tradesReceived: counter(
    'engine_trades_received_total',
    'Fills the engine received back from a gateway.',
    { strategy, exchange },
    { unit: '1' },
  ),
  strategyLatency: histogram(
    'engine_strategy_latency_ms',
    'Time from a tick entering the engine to the strategy decision, in milliseconds.',
    { strategy },
    { unit: 'ms', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250], native: true },
  ),
  activeStrategies: gauge(
    'engine_active_strategies',
    'Strategies currently running in the engine.',
    {},
    { unit: '1', clusterAggregation: 'sum' },
  ),
  uptime: gauge('engine_uptime_seconds', 'Seconds since the engine started.', {}, { unit: 's' }),
} as const;

/**
 * The strategy engine's own metrics.
 *
 * @example
 * ```ts
 * const engine = new EngineMetrics();
 * engine.activeStrategies.bind().set(2);
 * ```
 */
export class EngineMetrics extends catalog(engineDefinitions) {
  /**
   * This catalog for another venue list: the same metrics, wire names, help, units and buckets, with
   * the `exchange` label closed to `venues` (in that order). The venue names are `const` generics, so
   * a venue outside the list fails to compile, as with the defaults. Every engine metric with an
   * `exchange` label (market data in, orders out, fills back) takes the new venues. Works on a
   * subclass too; the class returned is a plain catalog class (extend it to add members).
   *
   * @param venues - the venues, at least one, each a non-empty string, no duplicates; spread
   *   `DEFAULT_VENUES` first to extend the defaults instead of replacing them
   * @returns a catalog class to extend or instantiate
   * @throws MetricDefinitionError naming `EngineMetrics.withVenues` and each bad entry
   * @example
   * ```ts
   * class DeskEngineMetrics extends EngineMetrics.withVenues('kraken', 'deribit') {} // replaces the defaults
   * const engine = new (EngineMetrics.withVenues(...DEFAULT_VENUES, 'kraken'))(); // extends them
   * engine.ordersSent.inc({ strategy: 'ma_cross', exchange: 'kraken', side: 'buy' });
   * ```
   */
  static withVenues<const V extends VenueList>(
    ...venues: V
  ): CatalogClass<WithVenues<typeof engineDefinitions, V[number]>> {
    return venueCatalog(engineDefinitions, venues, 'EngineMetrics.withVenues');
  }
}
