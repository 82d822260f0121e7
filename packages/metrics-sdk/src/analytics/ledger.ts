import { checkName, type Fill, isPositiveFinite, validateFill } from './fill.js';
import { LedgerInputError } from './input-error.js';
import { LedgerAccount } from './ledger-account.js';
import { resolveLedgerOptions } from './ledger-options.js';
import type { LedgerPublisher, SymbolPublisher } from './ledger-publisher.js';
import type {
  LedgerExchange,
  LedgerSnapshot,
  PositionSnapshot,
  RegisterOptions,
  StrategySnapshot,
  TradingLedgerOptions,
} from './ledger-types.js';
import type { PeriodGrid } from './period-grid.js';
import { bindAll } from './publisher-fan-out.js';
import { SharpeRatio } from './sharpe.js';
import { StrategyAccount, StrategyPosition } from './strategy-account.js';
import { SymbolTotals } from './symbol-totals.js';

// The ledger engine turns fills and marks into state and tells its publishers what changed. Every
// publisher is bound once: per strategy at registration, per (strategy, symbol) at its first fill,
// per symbol at its first fill, the account at construction. After that, onMark is arithmetic on
// preallocated objects plus publisher calls that set bound handles: no object literal, string or
// closure on that path (bench/ledger.bench.ts: 0 B/op).

/**
 * A streaming trading ledger: books fills (average-cost method, fees realized when paid) and mark
 * prices, and keeps the strategy catalog's gauges and counters, and optionally the gateway's
 * position, exposure and drawdown gauges, up to date. It publishes through {@link LedgerPublisher}s:
 * a {@link StrategyMetricsPublisher} for `metrics`, a {@link GatewayMetricsPublisher} for `gateway`,
 * then any given in `publishers`. O(1) per fill and per mark (per strategy holding the marked
 * symbol): running sums, Welford variance, a running peak; no history is kept.
 *
 * Bad input throws {@link LedgerInputError} before any state or metric changes.
 * Conventions and formulas: docs/analytics.md.
 *
 * @typeParam V - the venues of the gateway catalog, inferred from the options. It only ties
 *   `gateway.exchange` to `gateway.metrics` at construction; the instance does not depend on it, so a
 *   ledger over any venue list is a plain `TradingLedger`.
 * @example
 * ```ts
 * const sm = new StrategyMetrics();
 * const ledger = new TradingLedger({ metrics: sm, sharpe: { periodMs: 3_600_000 } });
 * ledger.register('ma_cross');
 * ledger.onFill({ strategy: 'ma_cross', symbol: 'BTCUSDT', side: 'buy', quantity: 0.5, price: 60_000, fee: 3, time: Date.now() });
 * ledger.onMark('BTCUSDT', 60_250); // strategy_unrealized_pnl{strategy="ma_cross"} 125
 * setInterval(() => ledger.sample(Date.now()), 60_000); // Sharpe from hourly returns
 * ```
 */
export class TradingLedger<V extends string = LedgerExchange> {
  readonly #autoRegister: boolean;
  readonly #sharpeOptions: { periodsPerYear: number; riskFreeRate: number; minSamples: number };
  readonly #grid: PeriodGrid;
  readonly #publishers: readonly LedgerPublisher[];
  readonly #strategies = new Map<string, StrategyAccount>();
  readonly #symbols = new Map<string, SymbolTotals>();
  readonly #account: LedgerAccount;

  /**
   * @param options - the strategy catalog, and optionally the gateway catalog, more publishers, Sharpe
   *   sampling and auto-registration
   * @throws LedgerInputError naming the option (`field`, e.g. `sharpe.periodMs`) for a wrong type or
   *   value, an unknown option, or an `exchange` that is not a venue of the gateway catalog
   */
  constructor(options: TradingLedgerOptions<V>) {
    const settings = resolveLedgerOptions(options);
    this.#autoRegister = settings.autoRegister;
    this.#grid = settings.grid;
    this.#sharpeOptions = settings.sharpe;
    this.#publishers = settings.publishers;
    this.#account = new LedgerAccount(this.#publishers);
  }

  /**
   * Registers a strategy and binds its series (PnL, drawdown and trade counters at 0, Sharpe at NaN).
   *
   * @param strategy - the strategy name, the `strategy` label
   * @param options - the capital base for returns
   * @throws LedgerInputError when the name is empty or taken, or the capital base is not a finite number > 0
   */
  register(strategy: string, options: RegisterOptions = {}): void {
    checkName('strategy', strategy, -1);
    if (this.#strategies.has(strategy)) {
      throw new LedgerInputError('strategy', strategy, 'is already registered');
    }
    const capitalBase = options.capitalBase;
    if (capitalBase !== undefined && !isPositiveFinite(capitalBase)) {
      throw new LedgerInputError('capitalBase', capitalBase, 'must be a finite number > 0 (or omitted)');
    }
    if (capitalBase === undefined && this.#sharpeOptions.riskFreeRate !== 0) {
      throw new LedgerInputError('capitalBase', capitalBase, 'is required when sharpe.riskFreeRate is not 0');
    }
    const sharpe = new SharpeRatio(this.#sharpeOptions);
    const account = new StrategyAccount(strategy, capitalBase ?? Number.NaN, sharpe, this.#publishers);
    this.#strategies.set(strategy, account);
  }

  /**
   * Books one fill: position, average price, realized PnL net of fees, closed-trade statistics,
   * and every gauge that depends on them.
   *
   * @param fill - the fill
   * @throws LedgerInputError for a bad field or an unregistered strategy (unless `autoRegister`); nothing changes then
   */
  onFill(fill: Fill): void {
    validateFill(fill, -1);
    this.#checkRegistered(fill.strategy, -1);
    this.#book(fill);
  }

  /**
   * Books fills in order, all or nothing: every fill is validated first, so one bad fill leaves the
   * ledger untouched. The resulting state equals calling {@link onFill} for each in turn.
   *
   * @param fills - the fills, in execution order
   * @throws LedgerInputError with `index` set to the first bad fill
   */
  onFills(fills: readonly Fill[]): void {
    if (!Array.isArray(fills)) throw new LedgerInputError('fills', fills, 'expected an array of fills');
    for (let i = 0; i < fills.length; i++) {
      const fill = fills[i];
      validateFill(fill, i);
      this.#checkRegistered(fill.strategy, i);
    }
    for (let i = 0; i < fills.length; i++) this.#book(fills[i] as Fill);
  }

  /**
   * Sets the mark price of a symbol and revalues every strategy's position in it. Positional
   * arguments, so the call allocates nothing. A mark for a symbol nobody holds is kept for later
   * fills.
   *
   * @param symbol - the symbol
   * @param price - the mark price, finite and > 0
   * @throws LedgerInputError for an empty symbol or a bad price; nothing changes then
   */
  onMark(symbol: string, price: number): void {
    if (typeof symbol !== 'string' || symbol.length === 0) {
      throw new LedgerInputError('symbol', symbol, 'must be a non-empty string');
    }
    if (!(price > 0 && price < Number.POSITIVE_INFINITY)) {
      throw new LedgerInputError('price', price, 'must be a finite number > 0');
    }
    let totals = this.#symbols.get(symbol);
    if (totals === undefined) totals = this.#symbolTotals(symbol);
    totals.mark = price;
    const positions = totals.positions;
    let revalued = false;
    for (let i = 0; i < positions.length; i++) {
      const position = positions[i] as StrategyPosition;
      if (position.quantity === 0) continue;
      this.#revalue(position);
      this.#publishStrategy(position.strategy);
      revalued = true;
    }
    if (!revalued) return;
    this.#setExposure(totals);
    this.#publishAccount();
  }

  /**
   * Reads the clock for Sharpe sampling. Periods lie on a grid anchored at the first call; when a
   * period boundary has passed since the last call, each strategy's return for the period,
   * `(total PnL now − total PnL at the previous boundary) / capitalBase` (or in USD without a
   * capital base), is added and `strategy_sharpe_ratio` updated. Call it more often than the period
   * (a timer at a tenth of it is cheap: one comparison when no boundary passed); a call that spans
   * several periods books their change as one return and counts the skipped periods.
   *
   * @param now - the time, ms
   * @returns `true` when a period closed (or sampling started)
   * @throws LedgerInputError when `now` is not finite
   */
  sample(now: number): boolean {
    if (!this.#grid.advance(now)) return false;
    for (const strategy of this.#strategies.values()) {
      const equity = strategy.totalPnl;
      if (strategy.hasBaseline) {
        const change = equity - strategy.sampledEquity;
        strategy.sharpeRatio.addReturn(strategy.capitalBase > 0 ? change / strategy.capitalBase : change);
        strategy.publisher.sharpeSampled();
      }
      strategy.sampledEquity = equity;
      strategy.hasBaseline = true;
    }
    return true;
  }

  /**
   * The state of one strategy, as plain data (allocates: for tests, tools and debugging).
   *
   * @param strategy - a registered strategy name
   * @returns the snapshot, or `undefined` when not registered
   */
  strategy(strategy: string): StrategySnapshot | undefined {
    const account = this.#strategies.get(strategy);
    if (account === undefined) return undefined;
    const trades = account.trades;
    const positions: PositionSnapshot[] = [];
    for (const [symbol, p] of account.positions) {
      positions.push({
        symbol,
        quantity: p.quantity,
        avgPrice: p.avgPrice,
        openFees: p.openFees,
        mark: p.mark,
        unrealizedPnl: p.unrealizedPnl,
        valueUsd: p.valueUsd,
      });
    }
    return {
      strategy,
      realizedPnl: account.realizedPnl,
      unrealizedPnl: account.unrealizedPnl,
      totalPnl: account.realizedPnl + account.unrealizedPnl,
      peakPnl: account.drawdown.peak,
      drawdown: account.drawdown.drawdown,
      maxDrawdown: account.drawdown.maxDrawdown,
      buys: account.buys,
      sells: account.sells,
      closedTrades: trades.closed,
      winningTrades: trades.winning,
      losingTrades: trades.losing,
      breakEvenTrades: trades.breakEven,
      winRate: trades.winRate,
      avgProfit: trades.avgProfit,
      avgLoss: trades.avgLoss,
      returns: account.sharpeRatio.count,
      sharpe: account.sharpeRatio.value,
      lastFillTime: account.lastFillTime,
      positions,
    };
  }

  /**
   * The whole state as plain data: every strategy in registration order, and the account.
   *
   * @returns the snapshot
   */
  snapshot(): LedgerSnapshot {
    const strategies: StrategySnapshot[] = [];
    for (const name of this.#strategies.keys()) strategies.push(this.strategy(name) as StrategySnapshot);
    const positions: { symbol: string; quantity: number; mark: number }[] = [];
    for (const totals of this.#symbols.values()) {
      if (totals.positions.length > 0) {
        positions.push({ symbol: totals.symbol, quantity: totals.netQuantity, mark: totals.mark });
      }
    }
    const account = this.#account;
    return {
      strategies,
      account: {
        realizedPnl: account.realizedPnl,
        unrealizedPnl: account.unrealizedPnl,
        totalPnl: account.realizedPnl + account.unrealizedPnl,
        maxDrawdown: account.maxDrawdown,
        exposureUsd: account.exposureUsd,
        positions,
      },
      skippedPeriods: this.#grid.skipped,
    };
  }

  #checkRegistered(strategy: string, index: number): void {
    if (!this.#autoRegister && !this.#strategies.has(strategy)) {
      throw new LedgerInputError('strategy', strategy, 'is not registered; call register() first', index);
    }
  }

  // Applies a validated fill. Nothing here throws.
  #book(fill: Fill): void {
    let strategy = this.#strategies.get(fill.strategy);
    if (strategy === undefined) {
      this.register(fill.strategy);
      strategy = this.#strategies.get(fill.strategy) as StrategyAccount;
    }
    let totals = this.#symbols.get(fill.symbol);
    if (totals === undefined) totals = this.#symbolTotals(fill.symbol);
    if (Number.isNaN(totals.mark)) totals.mark = fill.price; // no mark yet: the fill price stands in
    let position = strategy.positions.get(fill.symbol);
    if (position === undefined) position = this.#openPosition(strategy, totals);
    const account = this.#account;

    const wasOpen = position.quantity !== 0;
    position.apply(fill);
    const isOpen = position.quantity !== 0;
    if (wasOpen !== isOpen) {
      const step = isOpen ? 1 : -1;
      strategy.openPositions += step;
      account.openPositions += step;
    }

    strategy.realizedPnl += position.realizedDelta;
    account.realizedPnl += position.realizedDelta;
    strategy.lastFillTime = fill.time;
    if (fill.side === 'buy') strategy.buys++;
    else strategy.sells++;
    strategy.publisher.filled(fill.side);
    if (position.closedQuantity > 0) strategy.publisher.tradeClosed(strategy.trades.record(position.tradePnl));

    this.#revalue(position);
    this.#publishStrategy(strategy);

    let net = 0;
    const positions = totals.positions;
    for (let i = 0; i < positions.length; i++) net += (positions[i] as StrategyPosition).quantity;
    const wasNet = totals.netQuantity !== 0;
    totals.netQuantity = net;
    if (wasNet !== (net !== 0)) account.openSymbols += net !== 0 ? 1 : -1;
    let symbolPublisher = totals.publisher;
    if (symbolPublisher === undefined) symbolPublisher = this.#bindSymbol(totals);
    symbolPublisher.netChanged();
    this.#setExposure(totals);
    this.#publishAccount();
  }

  // Moves one position's unrealized PnL to its symbol's mark, into the strategy's and the account's
  // running sums. Doubles are read here rather than passed in: a computed double passed to a call
  // that is not inlined is boxed (16 B).
  #revalue(position: StrategyPosition): void {
    const strategy = position.strategy;
    const account = this.#account;
    const next = position.unrealizedAt(position.totals.mark);
    const change = next - position.unrealizedPnl;
    position.unrealizedPnl = next;
    // Incremental sums; snapped to exactly 0 when nothing is open so rounding residue never shows.
    strategy.unrealizedPnl = strategy.openPositions === 0 ? 0 : strategy.unrealizedPnl + change;
    account.unrealizedPnl = account.openPositions === 0 ? 0 : account.unrealizedPnl + change;
    position.publisher.positionChanged();
  }

  #publishStrategy(strategy: StrategyAccount): void {
    strategy.publisher.pnlChanged(strategy.drawdown.update(strategy.realizedPnl + strategy.unrealizedPnl));
  }

  #setExposure(totals: SymbolTotals): void {
    const account = this.#account;
    const exposure = Math.abs(totals.netQuantity) * totals.mark;
    const change = exposure - totals.exposureUsd;
    totals.exposureUsd = exposure;
    account.exposureUsd = account.openSymbols === 0 ? 0 : account.exposureUsd + change;
  }

  #publishAccount(): void {
    const account = this.#account;
    account.publisher.accountChanged(account.drawdown.update(account.realizedPnl + account.unrealizedPnl));
  }

  // First fill of a strategy in a symbol: the position and its publishers, bound once.
  #openPosition(strategy: StrategyAccount, totals: SymbolTotals): StrategyPosition {
    const position = new StrategyPosition(strategy, totals, this.#publishers);
    strategy.positions.set(totals.symbol, position);
    totals.positions.push(position);
    return position;
  }

  // Bound at the symbol's first fill, not its first mark: a mark alone publishes nothing. A method of
  // its own, so #book holds no closure (a captured variable would allocate a context on every fill).
  #bindSymbol(totals: SymbolTotals): SymbolPublisher {
    const publisher = bindAll(this.#publishers, (p) => p.symbol?.(totals));
    totals.publisher = publisher;
    return publisher;
  }

  #symbolTotals(symbol: string): SymbolTotals {
    const totals = new SymbolTotals(symbol);
    this.#symbols.set(symbol, totals);
    return totals;
  }
}
