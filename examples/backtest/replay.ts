import { type StrategyMetrics, TradingLedger } from '@ttquant/metrics';
import type { GatewayOrderResult } from '../shared/protocol.js';
import type { StrategySpec } from '../strategy-engine/config.js';
import { StrategyRunner } from '../strategy-engine/runner.js';
import { createStrategy } from '../strategy-engine/strategies.js';
import type { ReplayEngineSettings } from './config.js';
import type { ReplayTick } from './tick-source.js';

// Stored ticks through the live engine's parts: the same strategy classes (createStrategy), the
// same StrategyRunner order rules and the same TradingLedger, one ledger per venue, as
// strategy-engine/service.ts wires them. What differs from live:
//   - the clock is the tick's exchange time, so cool-downs and Sharpe periods run in market time;
//   - the gateway is simulated: every order is accepted and filled at once, in full, at the price
//     of the tick that triggered it (book ticks: the mid), with a fee of feeBps of the notional and
//     no slippage, no risk limits and no latency.
// No I/O and no randomness: the same ticks give the same fills and PnL.

/** What a replay needs to know besides the ticks. */
export interface ReplaySetup {
  readonly strategies: readonly StrategySpec[];
  readonly engine: ReplayEngineSettings;
  /** Fee of a simulated fill, basis points of notional. */
  readonly feeBps: number;
}

/** One simulated fill, as booked. */
export interface SimulatedFill {
  readonly strategy: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly quantity: number;
  readonly price: number;
  readonly fee: number;
  readonly time: number;
}

/** Where one strategy ended. */
export interface StrategyOutcome {
  readonly spec: StrategySpec;
  /** Fills booked. */
  readonly fills: number;
  /** Position booked from fills, base units. */
  readonly position: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly totalPnl: number;
  readonly maxDrawdown: number;
}

/** The outcome of a replay so far. */
export interface ReplayResult {
  /** Ticks fed. */
  readonly ticks: number;
  /** Ticks of a venue and symbol some strategy trades. */
  readonly routed: number;
  readonly strategies: readonly StrategyOutcome[];
}

interface Route {
  readonly ledger: TradingLedger;
  readonly runners: StrategyRunner[];
}

interface Instance {
  readonly runner: StrategyRunner;
  readonly ledger: TradingLedger;
  fills: number;
}

/**
 * Feeds stored ticks through strategies, a simulated gateway and {@link TradingLedger}s that record
 * into a {@link StrategyMetrics} catalog (a no-op one records nothing and costs next to nothing).
 *
 * @example
 * ```ts
 * const replay = new Replay({ strategies, engine, feeBps: 4 }, new StrategyMetrics());
 * for await (const page of readTicks(db, 5_000)) await replay.feed(page);
 * console.log(replay.result());
 * ```
 */
export class Replay {
  readonly #routes = new Map<string, Map<string, Route>>();
  readonly #ledgers: TradingLedger[] = [];
  readonly #instances: Instance[] = [];
  readonly #feeRate: number;
  readonly #onFill: ((fill: SimulatedFill) => void) | undefined;
  #now = 0;
  #price = 0;
  #ticks = 0;
  #routed = 0;
  #sent = false;

  /**
   * @param setup - the strategies, the engine settings and the fee
   * @param metrics - where the ledgers record the 13 strategy metrics
   * @param onFill - called with each simulated fill (tests, debugging)
   */
  constructor(setup: ReplaySetup, metrics: StrategyMetrics, onFill?: (fill: SimulatedFill) => void) {
    const { engine } = setup;
    this.#feeRate = setup.feeBps / 10_000;
    this.#onFill = onFill;
    const sharpe = {
      periodMs: engine.sharpePeriodMs,
      ...(engine.sharpePeriodsPerYear === undefined ? {} : { periodsPerYear: engine.sharpePeriodsPerYear }),
    };
    const byVenue = new Map<string, TradingLedger>();
    for (const spec of setup.strategies) {
      let ledger = byVenue.get(spec.exchange);
      if (ledger === undefined) {
        // One ledger per venue, as live: a mark is per symbol, and BTCUSDT on two venues is two prices.
        ledger = new TradingLedger({ metrics, sharpe });
        byVenue.set(spec.exchange, ledger);
        this.#ledgers.push(ledger);
      }
      ledger.register(spec.name, { capitalBase: engine.capitalUsd });
      const instance = this.#instance(spec, ledger, engine);
      this.#instances.push(instance);
      let bySymbol = this.#routes.get(spec.exchange);
      if (bySymbol === undefined) {
        bySymbol = new Map();
        this.#routes.set(spec.exchange, bySymbol);
      }
      let route = bySymbol.get(spec.symbol);
      if (route === undefined) {
        route = { ledger, runners: [] };
        bySymbol.set(spec.symbol, route);
      }
      route.runners.push(instance.runner);
    }
  }

  /**
   * Feeds ticks in order. Resolves once every order they triggered is filled and booked.
   *
   * @param ticks - the next ticks, in exchange-time order
   * @returns resolves when they are replayed
   */
  async feed(ticks: readonly ReplayTick[]): Promise<void> {
    for (let i = 0; i < ticks.length; i++) {
      const tick = ticks[i] as ReplayTick;
      this.#ticks++;
      this.#now = tick.time;
      // Sharpe periods close on market time; one comparison per ledger when none has passed.
      for (let l = 0; l < this.#ledgers.length; l++) (this.#ledgers[l] as TradingLedger).sample(tick.time);
      const route = this.#routes.get(tick.exchange)?.get(tick.symbol);
      if (route === undefined) continue;
      this.#routed++;
      this.#price = tick.price;
      route.ledger.onMark(tick.symbol, tick.price);
      const runners = route.runners;
      for (let r = 0; r < runners.length; r++) (runners[r] as StrategyRunner).onPrice(tick.price);
      if (this.#sent) {
        // The runner takes the gateway's answer in a promise callback, as live: let it run before
        // the next tick, so the order is done (filled and answered) when the strategy decides again.
        this.#sent = false;
        await Promise.resolve();
      }
    }
  }

  /** Ticks fed so far. */
  get ticks(): number {
    return this.#ticks;
  }

  /**
   * Where the replay stands.
   *
   * @returns ticks fed, and each strategy's fills, position and PnL
   */
  result(): ReplayResult {
    return {
      ticks: this.#ticks,
      routed: this.#routed,
      strategies: this.#instances.map((instance) => {
        const { runner, ledger } = instance;
        const snapshot = ledger.strategy(runner.spec.name);
        return {
          spec: runner.spec,
          fills: instance.fills,
          position: runner.position,
          realizedPnl: snapshot?.realizedPnl ?? 0,
          unrealizedPnl: snapshot?.unrealizedPnl ?? 0,
          totalPnl: snapshot?.totalPnl ?? 0,
          maxDrawdown: snapshot?.maxDrawdown ?? 0,
        };
      }),
    };
  }

  #instance(spec: StrategySpec, ledger: TradingLedger, engine: ReplayEngineSettings): Instance {
    let seq = 0;
    // The hooks run only once ticks are fed, after `instance` is assigned.
    const instance: Instance = {
      ledger,
      fills: 0,
      runner: new StrategyRunner(
        spec,
        createStrategy(spec.kind, engine.params, engine.maxPositionLots),
        {
          maxLots: engine.maxPositionLots,
          cooldownMs: engine.orderCooldownMs,
          // Never used: the simulated gateway neither rejects nor loses a fill.
          rejectCooldownMs: engine.orderCooldownMs,
          fillTimeoutMs: Number.POSITIVE_INFINITY,
        },
        {
          // The simulated gateway: the whole quantity fills now, at the price of the tick being replayed.
          send: (order) => {
            const price = this.#price;
            const fill: SimulatedFill = {
              strategy: order.strategy,
              symbol: order.symbol,
              side: order.side,
              quantity: order.quantity,
              price,
              fee: order.quantity * price * this.#feeRate,
              time: this.#now,
            };
            ledger.onFill(fill);
            instance.runner.onFill({ ...fill, exchange: order.exchange, clientOrderId: order.clientOrderId });
            instance.fills++;
            this.#onFill?.(fill);
            this.#sent = true;
            const result: GatewayOrderResult = { clientOrderId: order.clientOrderId, status: 'accepted' };
            return Promise.resolve(result);
          },
          now: () => this.#now,
          nextClientOrderId: () => `${spec.name}-${++seq}`,
          onSent: () => {},
          onResult: () => {},
          onFillTimeout: () => {},
        },
      ),
    };
    return instance;
  }
}
