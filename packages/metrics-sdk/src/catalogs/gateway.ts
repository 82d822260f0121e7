import { type CatalogClass, catalog } from '../define/catalog.js';
import { closed } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { exchange, networkLatencyMs, side, symbol } from './domains.js';
import { type VenueList, venueCatalog, type WithVenues } from './venues.js';

/**
 * Declarations of the metrics an order gateway (one per venue) exposes, served on
 * `SERVICE_PORTS.gateway`.
 */
export const gatewayDefinitions = {
  orders: counter(
    'orders_total',
    'Orders received from strategies, before risk checks.',
    { exchange, symbol, side, type: closed('limit', 'market') },
    { unit: '1' },
  ),
  ordersSuccess: counter(
    'orders_success_total',
    'Orders acknowledged by the exchange.',
    { exchange, symbol, side },
    { unit: '1' },
  ),
  ordersFailed: counter(
    'orders_failed_total',
    'Orders that passed risk checks but failed at the exchange, by reason.',
    { exchange, reason: closed('exchange_rejected', 'rate_limited', 'timeout', 'network', 'retries_exhausted') },
    { unit: '1' },
  ),
  ordersRiskRejected: counter(
    'orders_risk_rejected_total',
    'Orders rejected by the gateway risk rules before reaching the exchange, by rule.',
    { exchange, rule: closed('max_position', 'max_notional', 'max_order_rate') },
    { unit: '1' },
  ),
  orderLatency: histogram(
    'order_processing_latency_ms',
    'Time from receiving an order request to the exchange acknowledgement, in milliseconds.',
    { exchange, operation: closed('new', 'cancel') },
    { unit: 'ms', buckets: networkLatencyMs, native: true, exemplars: true },
  ),
  trades: counter('trades_total', 'Fills received from the exchange.', { exchange, symbol, side }, { unit: '1' }),
  tradeVolume: counter(
    'trade_volume_total',
    'Notional value of fills (price × quantity), in USD.',
    { exchange, symbol, side },
    { unit: 'usd' },
  ),
  commission: counter(
    'commission_paid_total',
    'Commissions paid on fills, in USD.',
    { exchange, symbol },
    { unit: 'usd' },
  ),
  position: gauge(
    'current_position',
    'Net position in base units: positive long, negative short.',
    { exchange, symbol },
    { clusterAggregation: 'sum' },
  ),
  rateLimitHits: counter(
    'api_rate_limit_hit_total',
    'Exchange API responses that signalled a rate limit (HTTP 429 or equivalent).',
    { exchange, endpoint: closed('order', 'cancel', 'query') },
    { unit: '1' },
  ),
  orderRetries: counter(
    'order_retries_total',
    'Order submissions retried after a transient failure, by cause.',
    { exchange, reason: closed('timeout', 'network', 'server_error', 'rate_limited') },
    { unit: '1' },
  ),
  activeOrders: gauge(
    'active_orders',
    'Orders open at the exchange (acknowledged, not filled or cancelled).',
    { exchange, symbol },
    { clusterAggregation: 'sum' },
  ),
  riskExposure: gauge(
    'risk_exposure_usd',
    'Gross exposure: sum over symbols of |position| × mark price, in USD.',
    { exchange },
    { unit: 'usd', clusterAggregation: 'sum' },
  ),
  maxDrawdown: gauge(
    'max_drawdown_usd',
    'Largest peak-to-trough fall of account equity since start, in USD (≥ 0).',
    { exchange },
    { unit: 'usd' },
  ),
} as const;

/**
 * The order gateway's metrics.
 *
 * @example
 * ```ts
 * const gw = new GatewayMetrics();
 * gw.orders.inc({ exchange: 'okx', symbol: 'ETHUSDT', side: 'buy', type: 'limit' });
 * ```
 */
export class GatewayMetrics extends catalog(gatewayDefinitions) {
  /**
   * This catalog for another venue list: the same metrics, wire names, help, units and buckets, with
   * the `exchange` label closed to `venues` (in that order). The venue names are `const` generics, so
   * a venue outside the list fails to compile, as with the defaults. Works on a subclass too;
   * the class returned is a plain catalog class (extend it to add members).
   *
   * @param venues - the venues, at least one, each a non-empty string, no duplicates; spread
   *   `DEFAULT_VENUES` first to extend the defaults instead of replacing them
   * @returns a catalog class to extend or instantiate
   * @throws MetricDefinitionError naming `GatewayMetrics.withVenues` and each bad entry
   * @example
   * ```ts
   * class DeskGatewayMetrics extends GatewayMetrics.withVenues('kraken', 'deribit') {} // replaces the defaults
   * const gw = new (GatewayMetrics.withVenues(...DEFAULT_VENUES, 'kraken'))(); // extends them
   * gw.orders.inc({ exchange: 'kraken', symbol: 'XBTUSD', side: 'buy', type: 'limit' });
   * ```
   */
  static withVenues<const V extends VenueList>(
    ...venues: V
  ): CatalogClass<WithVenues<typeof gatewayDefinitions, V[number]>> {
    return venueCatalog(gatewayDefinitions, venues, 'GatewayMetrics.withVenues');
  }
}
