import type { StrategyMetrics } from '../catalogs/strategy.js';
import type { CounterHandle, GaugeHandle } from '../storage/handles.js';
import type { FillSide } from './fill.js';
import type {
  LedgerPublisher,
  PositionPublisher,
  PositionView,
  StrategyPublisher,
  StrategyView,
} from './ledger-publisher.js';
import type { TradeOutcome } from './trade-stats.js';

/**
 * Publishes a ledger's strategies and positions to the strategy catalog: `strategy_pnl_usd`, realized
 * and unrealized PnL, `strategy_max_drawdown_usd`, `strategy_sharpe_ratio`, the trade counters, win
 * rate, average profit and loss, and position size and value. A ledger given `metrics` builds one.
 *
 * @example
 * ```ts
 * const ledger = new TradingLedger({ publishers: [new StrategyMetricsPublisher(new StrategyMetrics())] });
 * ```
 */
export class StrategyMetricsPublisher implements LedgerPublisher {
  readonly #metrics: StrategyMetrics;

  /** @param metrics - the strategy catalog to keep up to date */
  constructor(metrics: StrategyMetrics) {
    this.#metrics = metrics;
  }

  /**
   * Binds a strategy's series: PnL, drawdown and trade counters at 0, Sharpe at NaN.
   *
   * @param view - the strategy
   * @returns its publisher
   */
  strategy(view: StrategyView): StrategyPublisher {
    return new StrategySeries(view, this.#metrics);
  }

  /**
   * Binds a position's size and value gauges.
   *
   * @param view - the position
   * @returns its publisher
   */
  position(view: PositionView): PositionPublisher {
    return new PositionSeries(view, this.#metrics);
  }
}

/** One strategy's bound series. @internal */
class StrategySeries implements StrategyPublisher {
  readonly #view: StrategyView;
  readonly #metrics: StrategyMetrics;
  readonly #pnl: GaugeHandle;
  readonly #realized: GaugeHandle;
  readonly #unrealized: GaugeHandle;
  readonly #maxDrawdown: GaugeHandle;
  readonly #sharpe: GaugeHandle;
  readonly #buys: CounterHandle;
  readonly #sells: CounterHandle;
  readonly #winning: CounterHandle;
  readonly #losing: CounterHandle;
  // Bound at the first closed trade / win / loss, so the series is absent while undefined.
  #winRate: GaugeHandle | undefined = undefined;
  #avgProfit: GaugeHandle | undefined = undefined;
  #avgLoss: GaugeHandle | undefined = undefined;

  constructor(view: StrategyView, metrics: StrategyMetrics) {
    this.#view = view;
    this.#metrics = metrics;
    const labels = { strategy: view.name };
    this.#pnl = metrics.pnl.bind(labels);
    this.#realized = metrics.realizedPnl.bind(labels);
    this.#unrealized = metrics.unrealizedPnl.bind(labels);
    this.#maxDrawdown = metrics.maxDrawdown.bind(labels);
    this.#sharpe = metrics.sharpe.bind(labels);
    this.#buys = metrics.trades.bind({ strategy: view.name, side: 'buy' });
    this.#sells = metrics.trades.bind({ strategy: view.name, side: 'sell' });
    this.#winning = metrics.winningTrades.bind(labels);
    this.#losing = metrics.losingTrades.bind(labels);
    this.#pnl.set(0);
    this.#realized.set(0);
    this.#unrealized.set(0);
    this.#maxDrawdown.set(0);
    this.#sharpe.set(Number.NaN);
  }

  pnlChanged(maxDrawdownGrew: boolean): void {
    const view = this.#view;
    this.#pnl.set(view.totalPnl);
    this.#realized.set(view.realizedPnl);
    this.#unrealized.set(view.unrealizedPnl);
    if (maxDrawdownGrew) this.#maxDrawdown.set(view.maxDrawdown);
  }

  filled(side: FillSide): void {
    if (side === 'buy') this.#buys.inc();
    else this.#sells.inc();
  }

  tradeClosed(outcome: TradeOutcome): void {
    const view = this.#view;
    if (outcome === 'win') {
      this.#winning.inc();
      this.#avgProfit ??= this.#metrics.avgProfit.bind({ strategy: view.name });
      this.#avgProfit.set(view.avgProfit);
    } else if (outcome === 'loss') {
      this.#losing.inc();
      this.#avgLoss ??= this.#metrics.avgLoss.bind({ strategy: view.name });
      this.#avgLoss.set(view.avgLoss);
    }
    this.#winRate ??= this.#metrics.winRate.bind({ strategy: view.name });
    this.#winRate.set(view.winRate);
  }

  sharpeSampled(): void {
    this.#sharpe.set(this.#view.sharpe);
  }
}

/** One position's bound size and value gauges. @internal */
class PositionSeries implements PositionPublisher {
  readonly #view: PositionView;
  readonly #size: GaugeHandle;
  readonly #value: GaugeHandle;

  constructor(view: PositionView, metrics: StrategyMetrics) {
    this.#view = view;
    const labels = { strategy: view.strategy.name, symbol: view.symbol };
    this.#size = metrics.positionSize.bind(labels);
    this.#value = metrics.positionValue.bind(labels);
  }

  positionChanged(): void {
    this.#size.set(this.#view.quantity);
    this.#value.set(this.#view.valueUsd);
  }
}
