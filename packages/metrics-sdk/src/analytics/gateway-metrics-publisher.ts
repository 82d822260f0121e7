import { MetricLabelError } from '../define/errors.js';
import type { GaugeHandle } from '../storage/handles.js';
import { LedgerInputError } from './input-error.js';
import type {
  AccountPublisher,
  AccountView,
  LedgerPublisher,
  SymbolPublisher,
  SymbolView,
} from './ledger-publisher.js';
import type { LedgerExchange, LedgerGateway } from './ledger-types.js';

/**
 * Publishes a ledger as one account on one venue to the gateway catalog:
 * `current_position{exchange,symbol}` (net over the strategies), `risk_exposure_usd{exchange}` and
 * `max_drawdown_usd{exchange}`. A ledger given `gateway` builds one.
 *
 * @typeParam V - the venues of the gateway catalog, inferred from `metrics`
 * @example
 * ```ts
 * const gw = new GatewayMetrics();
 * const ledger = new TradingLedger({ publishers: [new GatewayMetricsPublisher({ metrics: gw, exchange: 'binance' })] });
 * ```
 */
export class GatewayMetricsPublisher<V extends string = LedgerExchange> implements LedgerPublisher {
  readonly #metrics: LedgerGateway<string>;
  readonly #exchange: string;
  readonly #exposure: GaugeHandle;
  readonly #maxDrawdown: GaugeHandle;

  /**
   * Binds the venue's exposure and drawdown gauges, at 0.
   *
   * @param options - the gateway catalog, and the venue (one of its `exchange` values)
   * @throws LedgerInputError with `field` `exchange` when it is not a venue of the catalog
   */
  constructor(options: { readonly metrics: LedgerGateway<V>; readonly exchange: NoInfer<V> }) {
    const { metrics, exchange } = options;
    this.#metrics = metrics;
    this.#exchange = exchange;
    const labels = { exchange };
    try {
      this.#exposure = metrics.riskExposure.bind(labels);
    } catch (error) {
      // The venues are the gateway catalog's own (withVenues): its closed domain decides.
      if (!(error instanceof MetricLabelError)) throw error;
      throw new LedgerInputError('exchange', exchange, `must be a venue of metrics: ${error.allowed.join(', ')}`);
    }
    this.#maxDrawdown = metrics.maxDrawdown.bind(labels);
    this.#exposure.set(0);
    this.#maxDrawdown.set(0);
  }

  /**
   * Binds the symbol's `current_position` gauge.
   *
   * @param view - the symbol
   * @returns its publisher
   */
  symbol(view: SymbolView): SymbolPublisher {
    return new NetPositionSeries(view, this.#metrics.position.bind({ exchange: this.#exchange, symbol: view.symbol }));
  }

  /**
   * Publishes the account's exposure and drawdown through the gauges bound at construction.
   *
   * @param view - the account
   * @returns its publisher
   */
  account(view: AccountView): AccountPublisher {
    return new AccountSeries(view, this.#exposure, this.#maxDrawdown);
  }
}

/** One symbol's bound net position gauge. @internal */
class NetPositionSeries implements SymbolPublisher {
  readonly #view: SymbolView;
  readonly #position: GaugeHandle;

  constructor(view: SymbolView, position: GaugeHandle) {
    this.#view = view;
    this.#position = position;
  }

  netChanged(): void {
    this.#position.set(this.#view.netQuantity);
  }
}

/** The account's bound exposure and drawdown gauges. @internal */
class AccountSeries implements AccountPublisher {
  readonly #view: AccountView;
  readonly #exposure: GaugeHandle;
  readonly #maxDrawdown: GaugeHandle;

  constructor(view: AccountView, exposure: GaugeHandle, maxDrawdown: GaugeHandle) {
    this.#view = view;
    this.#exposure = exposure;
    this.#maxDrawdown = maxDrawdown;
  }

  accountChanged(maxDrawdownGrew: boolean): void {
    this.#exposure.set(this.#view.exposureUsd);
    if (maxDrawdownGrew) this.#maxDrawdown.set(this.#view.maxDrawdown);
  }
}
