import type { gatewayDefinitions } from '../catalogs/gateway.js';
import { type StrategyMetrics, strategyDefinitions } from '../catalogs/strategy.js';
import type { WithVenues } from '../catalogs/venues.js';
import type { InferCatalog } from '../define/catalog.js';
import { MetricLabelError } from '../define/errors.js';
import type { InferLabels } from '../define/metric.js';
import {
  expectBoolean,
  expectFiniteNumber,
  expectInteger,
  expectKeys,
  expectNonEmptyString,
  expectObject,
  expectPositiveNumber,
  type OptionProblem,
  optionProblem,
} from '../define/option-checks.js';
import type { CounterHandle, GaugeHandle } from '../storage/handles.js';
import { DrawdownTracker } from './drawdown.js';
import { checkName, type Fill, isPositiveFinite, validateFill } from './fill.js';
import { LedgerInputError } from './input-error.js';
import { PeriodGrid } from './period-grid.js';
import { Position } from './position.js';
import { SharpeRatio } from './sharpe.js';
import { TradeStats } from './trade-stats.js';

// The ledger turns fills and marks into the strategy and gateway gauges. Every handle is bound once:
// per strategy at registration, per (strategy, symbol) at its first fill, per symbol at its first
// fill or mark. After that, onMark is arithmetic on preallocated objects plus handle.set calls:
// no object literal, string or closure on that path (bench/ledger.bench.ts: 0 B/op).

/** A venue of the default gateway catalog (the `exchange` label of `GatewayMetrics`). */
export type LedgerExchange = InferLabels<typeof gatewayDefinitions.riskExposure>['exchange'];

/**
 * The gateway families a ledger drives, for a gateway catalog over the venues `V`: a
 * `GatewayMetrics` (the default venues) or a class from `GatewayMetrics.withVenues(...)`.
 *
 * @typeParam V - the union of the catalog's venues
 */
export type LedgerGateway<V extends string = LedgerExchange> = Pick<
  InferCatalog<WithVenues<typeof gatewayDefinitions, V>>,
  'position' | 'riskExposure' | 'maxDrawdown'
>;

/** How the ledger samples equity for the Sharpe ratio. */
export interface LedgerSharpeOptions {
  /** Length of one return period, ms. Default 86,400,000 (one day). */
  readonly periodMs?: number;
  /** Return periods per year (annualisation factor √periodsPerYear). Default `365 days / periodMs` (365 for daily). */
  readonly periodsPerYear?: number;
  /**
   * Annual risk-free rate as a fraction, subtracted per period as `riskFreeRate / periodsPerYear`.
   * Default 0. Non-zero needs a `capitalBase` on every strategy (returns must be fractions of capital).
   */
  readonly riskFreeRate?: number;
  /** Returns needed before the ratio is defined (≥ 2). Default 2. */
  readonly minSamples?: number;
}

/**
 * Options of a {@link TradingLedger}.
 *
 * @typeParam V - the venues of the gateway catalog; inferred from `gateway.metrics`
 */
export interface TradingLedgerOptions<V extends string = LedgerExchange> {
  /** The strategy catalog whose gauges and counters the ledger keeps up to date. */
  readonly metrics: StrategyMetrics;
  /**
   * Also drive the gateway gauges `current_position{exchange,symbol}`, `risk_exposure_usd{exchange}`
   * and `max_drawdown_usd{exchange}`, treating all strategies of this ledger as one account on
   * `exchange`, one of that catalog's venues (a compile error otherwise: the venues are inferred from
   * the catalog alone, never widened to fit `exchange`).
   */
  readonly gateway?: { readonly metrics: LedgerGateway<V>; readonly exchange: NoInfer<V> };
  /** Sharpe sampling; see {@link LedgerSharpeOptions}. */
  readonly sharpe?: LedgerSharpeOptions;
  /**
   * Register a strategy on its first fill instead of rejecting the fill. Default `false`: a fill
   * for an unknown strategy is usually a wiring mistake, and a typo would otherwise create a series.
   */
  readonly autoRegister?: boolean;
}

/** Options of one strategy. */
export interface RegisterOptions {
  /**
   * Capital in USD that per-period returns are measured against: `return = ΔPnL / capitalBase`.
   * Without it a return is the PnL change in USD; the Sharpe ratio is the same either way when the
   * risk-free rate is 0 (it is scale-free), but a non-zero rate needs it.
   */
  readonly capitalBase?: number;
}

/** One position of a strategy, as {@link TradingLedger.strategy} reports it. */
export interface PositionSnapshot {
  readonly symbol: string;
  /** Signed quantity: positive long, negative short. */
  readonly quantity: number;
  /** Average entry price; 0 when flat. */
  readonly avgPrice: number;
  /** Opening fees of the open quantity, USD (charged to the trade that closes it). */
  readonly openFees: number;
  /** Last mark price (the first fill price until a mark arrives). */
  readonly mark: number;
  /** `quantity × (mark − avgPrice)`, USD. */
  readonly unrealizedPnl: number;
  /** `quantity × mark`, USD, signed. */
  readonly valueUsd: number;
}

/** Everything the ledger knows about one strategy, as plain data. */
export interface StrategySnapshot {
  readonly strategy: string;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  /** realized + unrealized: the equity curve, starting at 0 at registration. */
  readonly totalPnl: number;
  readonly peakPnl: number;
  /** peak − total, ≥ 0. */
  readonly drawdown: number;
  readonly maxDrawdown: number;
  readonly buys: number;
  readonly sells: number;
  readonly closedTrades: number;
  readonly winningTrades: number;
  readonly losingTrades: number;
  readonly breakEvenTrades: number;
  /** winning / closed; `NaN` before the first closed trade. */
  readonly winRate: number;
  /** `NaN` before the first win. */
  readonly avgProfit: number;
  /** As a positive number; `NaN` before the first loss. */
  readonly avgLoss: number;
  /** Returns sampled so far. */
  readonly returns: number;
  /** `NaN` until enough returns, or at zero variance. */
  readonly sharpe: number;
  /** Time of the last fill, ms; `NaN` before the first. */
  readonly lastFillTime: number;
  /** Positions in order of first fill (flat ones included). */
  readonly positions: readonly PositionSnapshot[];
}

/** The ledger's strategies seen as one account (what the gateway gauges show). */
export interface AccountSnapshot {
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly totalPnl: number;
  readonly maxDrawdown: number;
  /** Σ over symbols of |net quantity| × mark, USD. */
  readonly exposureUsd: number;
  /** Net quantity per symbol over all strategies, in order of first fill. */
  readonly positions: readonly { readonly symbol: string; readonly quantity: number; readonly mark: number }[];
}

/** The whole ledger state, as plain data. */
export interface LedgerSnapshot {
  readonly strategies: readonly StrategySnapshot[];
  readonly account: AccountSnapshot;
  /** Sampling periods that closed without a `sample` call inside them. */
  readonly skippedPeriods: number;
}

const DEFAULT_PERIOD_MS = 86_400_000;
const REALIZED = 0;
const UNREALIZED = 1;
const EXPOSURE = 2;
const YEAR_MS = 365 * DEFAULT_PERIOD_MS;

/** Per-strategy state and its bound handles. @internal */
class StrategyBook {
  readonly name: string;
  /** NaN when returns are in USD. */
  readonly capitalBase: number;
  readonly positions = new Map<string, BookedPosition>();
  readonly drawdown = new DrawdownTracker(0);
  readonly trades = new TradeStats();
  readonly sharpe: SharpeRatio;
  // Doubles in a typed array (a field store would box; see drawdown.ts): realized, unrealized,
  // last fill time, equity at the last period boundary.
  readonly #v = Float64Array.of(0, 0, Number.NaN, 0);
  openPositions = 0;
  buys = 0;
  sells = 0;
  hasBaseline = false;
  readonly pnlGauge: GaugeHandle;
  readonly realizedGauge: GaugeHandle;
  readonly unrealizedGauge: GaugeHandle;
  readonly maxDrawdownGauge: GaugeHandle;
  readonly sharpeGauge: GaugeHandle;
  readonly buyCounter: CounterHandle;
  readonly sellCounter: CounterHandle;
  readonly winningCounter: CounterHandle;
  readonly losingCounter: CounterHandle;
  // Bound at the first closed trade / win / loss, so the series is absent while undefined.
  winRateGauge: GaugeHandle | undefined = undefined;
  avgProfitGauge: GaugeHandle | undefined = undefined;
  avgLossGauge: GaugeHandle | undefined = undefined;

  /** Realized PnL net of fees, USD. */
  get realized(): number {
    return this.#v[0] as number;
  }
  set realized(value: number) {
    this.#v[0] = value;
  }
  /** Σ unrealized PnL of the positions, USD (running sum). */
  get unrealized(): number {
    return this.#v[1] as number;
  }
  set unrealized(value: number) {
    this.#v[1] = value;
  }
  get lastFillTime(): number {
    return this.#v[2] as number;
  }
  set lastFillTime(value: number) {
    this.#v[2] = value;
  }
  get sampledEquity(): number {
    return this.#v[3] as number;
  }
  set sampledEquity(value: number) {
    this.#v[3] = value;
  }

  constructor(name: string, capitalBase: number, sharpe: SharpeRatio, metrics: StrategyMetrics) {
    this.name = name;
    this.capitalBase = capitalBase;
    this.sharpe = sharpe;
    const labels = { strategy: name };
    this.pnlGauge = metrics.pnl.bind(labels);
    this.realizedGauge = metrics.realizedPnl.bind(labels);
    this.unrealizedGauge = metrics.unrealizedPnl.bind(labels);
    this.maxDrawdownGauge = metrics.maxDrawdown.bind(labels);
    this.sharpeGauge = metrics.sharpe.bind(labels);
    this.buyCounter = metrics.trades.bind({ strategy: name, side: 'buy' });
    this.sellCounter = metrics.trades.bind({ strategy: name, side: 'sell' });
    this.winningCounter = metrics.winningTrades.bind(labels);
    this.losingCounter = metrics.losingTrades.bind(labels);
    this.pnlGauge.set(0);
    this.realizedGauge.set(0);
    this.unrealizedGauge.set(0);
    this.maxDrawdownGauge.set(0);
    this.sharpeGauge.set(Number.NaN);
  }
}

/** A strategy's position in one symbol with its bound gauges. @internal */
class BookedPosition extends Position {
  readonly strategy: StrategyBook;
  readonly book: SymbolBook;
  readonly #u = new Float64Array(1);
  readonly sizeGauge: GaugeHandle;
  readonly valueGauge: GaugeHandle;

  constructor(strategy: StrategyBook, book: SymbolBook, metrics: StrategyMetrics) {
    super();
    this.strategy = strategy;
    this.book = book;
    const labels = { strategy: strategy.name, symbol: book.symbol };
    this.sizeGauge = metrics.positionSize.bind(labels);
    this.valueGauge = metrics.positionValue.bind(labels);
  }

  /** Unrealized PnL last added into the strategy's sum, USD. */
  get unrealized(): number {
    return this.#u[0] as number;
  }
  set unrealized(value: number) {
    this.#u[0] = value;
  }
}

/** One symbol across strategies: its mark and the account's net position. @internal */
class SymbolBook {
  readonly symbol: string;
  readonly positions: BookedPosition[] = [];
  gatewayPosition: GaugeHandle | undefined = undefined;
  // mark, net quantity, exposure: typed-array slots (see drawdown.ts).
  readonly #v = Float64Array.of(Number.NaN, 0, 0);

  constructor(symbol: string) {
    this.symbol = symbol;
  }

  /** Last mark price; NaN until the first mark or fill. */
  get mark(): number {
    return this.#v[0] as number;
  }
  set mark(value: number) {
    this.#v[0] = value;
  }
  /** Net quantity over the strategies. */
  get net(): number {
    return this.#v[1] as number;
  }
  set net(value: number) {
    this.#v[1] = value;
  }
  /** |net| × mark last added into the account's exposure. */
  get exposure(): number {
    return this.#v[2] as number;
  }
  set exposure(value: number) {
    this.#v[2] = value;
  }
}

/**
 * A streaming trading ledger: books fills (average-cost method, fees realized when paid) and mark
 * prices, and keeps the strategy catalog's gauges and counters, and optionally the gateway's
 * position, exposure and drawdown gauges, up to date. O(1) per fill and per mark (per strategy
 * holding the marked symbol): running sums, Welford variance, a running peak; no history is kept.
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
  readonly #metrics: StrategyMetrics;
  readonly #autoRegister: boolean;
  readonly #sharpeOptions: { periodsPerYear: number; riskFreeRate: number; minSamples: number };
  readonly #grid: PeriodGrid;
  readonly #strategies = new Map<string, StrategyBook>();
  readonly #symbols = new Map<string, SymbolBook>();
  // The account: every strategy of this ledger together.
  readonly #accountDrawdown = new DrawdownTracker(0);
  // Account realized, unrealized and gross exposure, in typed-array slots (see drawdown.ts).
  readonly #account = new Float64Array(3);
  #openPositions = 0;
  #openSymbols = 0;
  readonly #gateway: LedgerGateway<string> | undefined;
  readonly #exchange: string | undefined;
  readonly #exposureGauge: GaugeHandle | undefined;
  readonly #accountDrawdownGauge: GaugeHandle | undefined;

  /**
   * @param options - the strategy catalog, and optionally the gateway catalog, Sharpe sampling and auto-registration
   * @throws LedgerInputError naming the option (`field`, e.g. `sharpe.periodMs`) for a wrong type or
   *   value, an unknown option, or an `exchange` that is not a venue of the gateway catalog
   */
  constructor(options: TradingLedgerOptions<V>) {
    // Every option is checked before anything is bound, so a wrong one fails here, named, and leaves
    // the catalogs untouched, instead of failing later inside a fill or a mark.
    const fail = (problem: OptionProblem) => new LedgerInputError(problem.option, problem.value, problem.reason);
    const given = expectObject(options, 'options', fail);
    expectKeys(given, '', ['metrics', 'gateway', 'sharpe', 'autoRegister'], fail);
    const expectFamilies = (value: unknown, path: string, expected: string, keys: readonly string[]): void => {
      const families = value as Record<string, { bind?: unknown } | undefined> | null;
      const ok = typeof value === 'object' && keys.every((key) => typeof families?.[key]?.bind === 'function');
      if (!ok) throw fail(optionProblem(path, expected, value));
    };
    const strategyKeys = Object.keys(strategyDefinitions);
    expectFamilies(given['metrics'], 'metrics', 'a StrategyMetrics instance', strategyKeys);
    if (given['gateway'] !== undefined) {
      const gateway = expectObject(given['gateway'], 'gateway', fail);
      expectKeys(gateway, 'gateway', ['metrics', 'exchange'], fail);
      const keys = ['position', 'riskExposure', 'maxDrawdown'];
      expectFamilies(gateway['metrics'], 'gateway.metrics', 'a GatewayMetrics instance', keys);
      expectNonEmptyString(gateway['exchange'], 'gateway.exchange', fail);
    }
    if (given['sharpe'] !== undefined) {
      const sharpe = expectObject(given['sharpe'], 'sharpe', fail);
      expectKeys(sharpe, 'sharpe', ['periodMs', 'periodsPerYear', 'riskFreeRate', 'minSamples'], fail);
      const { periodMs, periodsPerYear, riskFreeRate, minSamples } = sharpe;
      if (periodMs !== undefined) expectPositiveNumber(periodMs, 'sharpe.periodMs', fail);
      if (periodsPerYear !== undefined) expectPositiveNumber(periodsPerYear, 'sharpe.periodsPerYear', fail);
      if (riskFreeRate !== undefined) expectFiniteNumber(riskFreeRate, 'sharpe.riskFreeRate', fail);
      if (minSamples !== undefined) {
        expectInteger(minSamples, 'sharpe.minSamples', 2, Number.MAX_SAFE_INTEGER, fail, 'an integer ≥ 2');
      }
    }
    if (given['autoRegister'] !== undefined) expectBoolean(given['autoRegister'], 'autoRegister', fail);
    this.#metrics = options.metrics;
    this.#autoRegister = options.autoRegister === true;
    const sharpe = options.sharpe ?? {};
    this.#grid = new PeriodGrid(sharpe.periodMs ?? DEFAULT_PERIOD_MS);
    this.#sharpeOptions = {
      periodsPerYear: sharpe.periodsPerYear ?? YEAR_MS / this.#grid.periodMs,
      riskFreeRate: sharpe.riskFreeRate ?? 0,
      minSamples: sharpe.minSamples ?? 2,
    };
    new SharpeRatio(this.#sharpeOptions); // validates the options once, here
    if (this.#autoRegister && this.#sharpeOptions.riskFreeRate !== 0) {
      // An auto-registered strategy has no capital base, which a non-zero rate needs; failing here
      // keeps onFills all-or-nothing.
      throw new LedgerInputError('autoRegister', true, 'cannot be combined with a non-zero sharpe.riskFreeRate');
    }
    const gateway = options.gateway;
    this.#gateway = gateway?.metrics;
    this.#exchange = gateway?.exchange;
    if (gateway !== undefined) {
      const labels = { exchange: gateway.exchange };
      try {
        this.#exposureGauge = gateway.metrics.riskExposure.bind(labels);
      } catch (error) {
        // The venues are the gateway catalog's own (withVenues): its closed domain decides.
        if (!(error instanceof MetricLabelError)) throw error;
        const reason = `must be a venue of gateway.metrics: ${error.allowed.join(', ')}`;
        throw new LedgerInputError('gateway.exchange', gateway.exchange, reason);
      }
      this.#accountDrawdownGauge = gateway.metrics.maxDrawdown.bind(labels);
      this.#exposureGauge.set(0);
      this.#accountDrawdownGauge.set(0);
    }
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
    const book = new StrategyBook(
      strategy,
      capitalBase ?? Number.NaN,
      new SharpeRatio(this.#sharpeOptions),
      this.#metrics,
    );
    this.#strategies.set(strategy, book);
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
    let book = this.#symbols.get(symbol);
    if (book === undefined) book = this.#symbolBook(symbol);
    book.mark = price;
    const positions = book.positions;
    let revalued = false;
    for (let i = 0; i < positions.length; i++) {
      const position = positions[i] as BookedPosition;
      if (position.quantity === 0) continue;
      this.#revalue(position);
      this.#publishStrategy(position.strategy);
      revalued = true;
    }
    if (!revalued) return;
    this.#setExposure(book);
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
    for (const book of this.#strategies.values()) {
      const equity = book.realized + book.unrealized;
      if (book.hasBaseline) {
        const change = equity - book.sampledEquity;
        book.sharpeGauge.set(book.sharpe.addReturn(book.capitalBase > 0 ? change / book.capitalBase : change));
      }
      book.sampledEquity = equity;
      book.hasBaseline = true;
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
    const book = this.#strategies.get(strategy);
    if (book === undefined) return undefined;
    const trades = book.trades;
    const positions: PositionSnapshot[] = [];
    for (const [symbol, p] of book.positions) {
      const mark = p.book.mark;
      positions.push({
        symbol,
        quantity: p.quantity,
        avgPrice: p.avgPrice,
        openFees: p.openFees,
        mark,
        unrealizedPnl: p.unrealized,
        valueUsd: p.quantity * mark,
      });
    }
    return {
      strategy,
      realizedPnl: book.realized,
      unrealizedPnl: book.unrealized,
      totalPnl: book.realized + book.unrealized,
      peakPnl: book.drawdown.peak,
      drawdown: book.drawdown.drawdown,
      maxDrawdown: book.drawdown.maxDrawdown,
      buys: book.buys,
      sells: book.sells,
      closedTrades: trades.closed,
      winningTrades: trades.winning,
      losingTrades: trades.losing,
      breakEvenTrades: trades.breakEven,
      winRate: trades.winRate,
      avgProfit: trades.avgProfit,
      avgLoss: trades.avgLoss,
      returns: book.sharpe.count,
      sharpe: book.sharpe.value,
      lastFillTime: book.lastFillTime,
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
    for (const book of this.#symbols.values()) {
      if (book.positions.length > 0) positions.push({ symbol: book.symbol, quantity: book.net, mark: book.mark });
    }
    return {
      strategies,
      account: {
        realizedPnl: this.#account[REALIZED],
        unrealizedPnl: this.#account[UNREALIZED],
        totalPnl: this.#account[REALIZED] + this.#account[UNREALIZED],
        maxDrawdown: this.#accountDrawdown.maxDrawdown,
        exposureUsd: this.#account[EXPOSURE],
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
      strategy = this.#strategies.get(fill.strategy) as StrategyBook;
    }
    let book = this.#symbols.get(fill.symbol);
    if (book === undefined) book = this.#symbolBook(fill.symbol);
    if (Number.isNaN(book.mark)) book.mark = fill.price; // no mark yet: the fill price stands in
    let position = strategy.positions.get(fill.symbol);
    if (position === undefined) {
      position = new BookedPosition(strategy, book, this.#metrics);
      strategy.positions.set(fill.symbol, position);
      book.positions.push(position);
    }

    const buy = fill.side === 'buy';
    const wasOpen = position.quantity !== 0;
    position.apply(fill);
    const isOpen = position.quantity !== 0;
    if (wasOpen !== isOpen) {
      const step = isOpen ? 1 : -1;
      strategy.openPositions += step;
      this.#openPositions += step;
    }

    strategy.realized += position.realizedDelta;
    this.#account[REALIZED] += position.realizedDelta;
    strategy.lastFillTime = fill.time;
    if (buy) {
      strategy.buys++;
      strategy.buyCounter.inc();
    } else {
      strategy.sells++;
      strategy.sellCounter.inc();
    }
    if (position.closedQuantity > 0) this.#recordTrade(strategy, position);

    this.#revalue(position);
    this.#publishStrategy(strategy);

    let net = 0;
    const positions = book.positions;
    for (let i = 0; i < positions.length; i++) net += (positions[i] as BookedPosition).quantity;
    const wasNet = book.net !== 0;
    book.net = net;
    if (wasNet !== (net !== 0)) this.#openSymbols += net !== 0 ? 1 : -1;
    if (this.#gateway !== undefined) {
      if (book.gatewayPosition === undefined) {
        book.gatewayPosition = this.#gateway.position.bind({
          exchange: this.#exchange as string,
          symbol: book.symbol,
        });
      }
      book.gatewayPosition.set(net);
    }
    this.#setExposure(book);
    this.#publishAccount();
  }

  #recordTrade(strategy: StrategyBook, position: BookedPosition): void {
    const trades = strategy.trades;
    const outcome = trades.record(position.tradePnl);
    if (outcome === 'win') {
      strategy.winningCounter.inc();
      strategy.avgProfitGauge ??= this.#metrics.avgProfit.bind({ strategy: strategy.name });
      strategy.avgProfitGauge.set(trades.avgProfit);
    } else if (outcome === 'loss') {
      strategy.losingCounter.inc();
      strategy.avgLossGauge ??= this.#metrics.avgLoss.bind({ strategy: strategy.name });
      strategy.avgLossGauge.set(trades.avgLoss);
    }
    strategy.winRateGauge ??= this.#metrics.winRate.bind({ strategy: strategy.name });
    strategy.winRateGauge.set(trades.winRate);
  }

  // Moves one position's unrealized PnL to its symbol's mark, into the strategy's and the account's
  // running sums. Doubles are read here rather than passed in: a computed double passed to a call
  // that is not inlined is boxed (16 B).
  #revalue(position: BookedPosition): void {
    const strategy = position.strategy;
    const mark = position.book.mark;
    const next = position.unrealizedAt(mark);
    const change = next - position.unrealized;
    position.unrealized = next;
    // Incremental sums; snapped to exactly 0 when nothing is open so rounding residue never shows.
    strategy.unrealized = strategy.openPositions === 0 ? 0 : strategy.unrealized + change;
    this.#account[UNREALIZED] = this.#openPositions === 0 ? 0 : this.#account[UNREALIZED] + change;
    position.sizeGauge.set(position.quantity);
    position.valueGauge.set(position.quantity * mark);
  }

  #publishStrategy(strategy: StrategyBook): void {
    const total = strategy.realized + strategy.unrealized;
    strategy.pnlGauge.set(total);
    strategy.realizedGauge.set(strategy.realized);
    strategy.unrealizedGauge.set(strategy.unrealized);
    if (strategy.drawdown.update(total)) strategy.maxDrawdownGauge.set(strategy.drawdown.maxDrawdown);
  }

  #setExposure(book: SymbolBook): void {
    const exposure = Math.abs(book.net) * book.mark;
    const change = exposure - book.exposure;
    book.exposure = exposure;
    this.#account[EXPOSURE] = this.#openSymbols === 0 ? 0 : this.#account[EXPOSURE] + change;
  }

  #publishAccount(): void {
    const grew = this.#accountDrawdown.update(this.#account[REALIZED] + this.#account[UNREALIZED]);
    if (this.#exposureGauge === undefined) return;
    this.#exposureGauge.set(this.#account[EXPOSURE]);
    if (grew) this.#accountDrawdownGauge?.set(this.#accountDrawdown.maxDrawdown);
  }

  #symbolBook(symbol: string): SymbolBook {
    const book = new SymbolBook(symbol);
    this.#symbols.set(symbol, book);
    return book;
  }
}
