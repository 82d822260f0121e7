import type { EngineOrder, GatewayOrderResult, Side, StrategyFill } from '../shared/protocol.js';
import type { StrategySpec } from './config.js';
import { planOrder, type Strategy } from './strategies.js';

// One strategy instance at run time: its signal, the position booked from fills, and the one order
// it may have out. The order rules that keep a strategy from spamming the gateway live here:
//   - at most one order out: from the send until its result, and for an accepted order until its
//     fills cover the quantity (or the fill timeout passes, e.g. a fill lost on the bus);
//   - a cool-down after each send, a longer one after a risk reject or a failure;
//   - the position that decides the next order is the one booked from fills, never from orders.

/** What one tick made the strategy do. `sent` is the only outcome that sent an order. */
export type Decision = 'sent' | 'hold' | 'warming_up' | 'busy' | 'cooldown' | 'stopped';

/** The order a runner has out, as {@link StrategyRunner.working} reports it. */
export interface WorkingOrder {
  readonly order: EngineOrder;
  /** Quantity not filled yet, base units. */
  readonly remaining: number;
  /** The gateway answered `accepted`. */
  readonly accepted: boolean;
  /** When the order was sent, ms (the runner's clock). */
  readonly sentAt: number;
}

/** What a runner needs from the service: the wire, a clock, ids, and where to report. */
export interface RunnerHooks {
  /** Sends an order; must not reject (the gateway client turns failures into `failed` results). */
  send(order: EngineOrder): Promise<GatewayOrderResult>;
  /** Wall clock, ms. */
  now(): number;
  /** A unique client order id for this runner's next order. */
  nextClientOrderId(): string;
  /** Called when an order was written to the gateway. */
  onSent(order: EngineOrder): void;
  /** Called with each order's result. */
  onResult(order: EngineOrder, result: GatewayOrderResult): void;
  /** Called when an accepted order's fills did not arrive within the fill timeout. */
  onFillTimeout(order: EngineOrder, remaining: number): void;
}

/** Order pacing of a runner. */
export interface RunnerLimits {
  /** Position limit, lots. */
  readonly maxLots: number;
  /** Least time between two sends, ms. */
  readonly cooldownMs: number;
  /** Cool-down after a risk reject or failure, ms. */
  readonly rejectCooldownMs: number;
  /** How long an accepted order waits for its fills, ms. */
  readonly fillTimeoutMs: number;
}

interface Working {
  readonly order: EngineOrder;
  remaining: number;
  accepted: boolean;
  resultPending: boolean;
  readonly sentAt: number;
  acceptedAt: number;
}

/** Runs one strategy instance: ticks in, at most one order out at a time, fills back. */
export class StrategyRunner {
  readonly spec: StrategySpec;
  readonly #strategy: Strategy;
  readonly #limits: RunnerLimits;
  readonly #hooks: RunnerHooks;
  readonly #tolerance: number;
  #position = 0;
  #working: Working | undefined = undefined;
  #nextOrderAt = Number.NEGATIVE_INFINITY;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];

  /**
   * @param spec - name, kind, venue, symbol and lot
   * @param strategy - the signal generator
   * @param limits - position limit and pacing
   * @param hooks - the wire, the clock and the reporting callbacks
   */
  constructor(spec: StrategySpec, strategy: Strategy, limits: RunnerLimits, hooks: RunnerHooks) {
    this.spec = spec;
    this.#strategy = strategy;
    this.#limits = limits;
    this.#hooks = hooks;
    this.#tolerance = spec.lot * 1e-9;
  }

  /** Signed position booked from fills, base units. */
  get position(): number {
    return this.#position;
  }

  /** The order out, if any (a copy). */
  get working(): WorkingOrder | undefined {
    const w = this.#working;
    return w === undefined
      ? undefined
      : { order: w.order, remaining: w.remaining, accepted: w.accepted, sentAt: w.sentAt };
  }

  /** True when no order is out. */
  get idle(): boolean {
    return this.#working === undefined;
  }

  /**
   * Feeds one price of the strategy's symbol and decides; an order, when one is due, is written to
   * the gateway before this returns.
   *
   * @param price - the tick's price
   * @returns what the strategy did
   */
  onPrice(price: number): Decision {
    const target = this.#strategy.onPrice(price);
    if (this.#stopped) return 'stopped';
    const now = this.#hooks.now();
    const w = this.#working;
    if (w !== undefined) {
      if (!(w.accepted && !w.resultPending && now - w.acceptedAt >= this.#limits.fillTimeoutMs)) return 'busy';
      this.#hooks.onFillTimeout(w.order, w.remaining);
      this.#clear();
    }
    if (Number.isNaN(target)) return 'warming_up';
    if (now < this.#nextOrderAt) return 'cooldown';
    const planned = planOrder(target, this.#position, this.spec.lot, this.#limits.maxLots);
    if (planned === undefined) return 'hold';
    this.#sendOrder(planned.side, planned.quantity, now);
    return 'sent';
  }

  /**
   * Books a fill of this strategy: moves the position, and counts it against the order out when it
   * belongs to it. A fill of an older order (after its timeout) still moves the position.
   *
   * @param fill - a validated fill of this strategy's venue and symbol
   */
  onFill(fill: StrategyFill): void {
    this.#position += fill.side === 'buy' ? fill.quantity : -fill.quantity;
    if (Math.abs(this.#position) <= this.#tolerance) this.#position = 0;
    const w = this.#working;
    if (w === undefined || w.order.clientOrderId !== fill.clientOrderId) return;
    w.remaining -= fill.quantity;
    // A fill can come back on the bus before the HTTP answer: the order stays out until both are in.
    if (w.remaining <= this.#tolerance && !w.resultPending) this.#clear();
  }

  /** Stops deciding: later ticks still feed the signal but send nothing. Orders out finish normally. */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * Resolves when no order is out (at once when idle).
   *
   * @returns a promise that resolves once idle
   */
  whenIdle(): Promise<void> {
    if (this.#working === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #sendOrder(side: Side, quantity: number, now: number): void {
    const spec = this.spec;
    const order: EngineOrder = {
      strategy: spec.name,
      clientOrderId: this.#hooks.nextClientOrderId(),
      exchange: spec.exchange,
      symbol: spec.symbol,
      side,
      type: 'market',
      quantity,
    };
    const w: Working = { order, remaining: quantity, accepted: false, resultPending: true, sentAt: now, acceptedAt: 0 };
    this.#working = w;
    this.#nextOrderAt = now + this.#limits.cooldownMs;
    const answer = this.#hooks.send(order);
    this.#hooks.onSent(order);
    answer.then(
      (result) => this.#onResult(w, result),
      // The client contract says it never rejects; if it did, the order is treated as failed.
      (error: unknown) =>
        this.#onResult(w, { clientOrderId: order.clientOrderId, status: 'failed', reason: String(error) }),
    );
  }

  #onResult(w: Working, result: GatewayOrderResult): void {
    w.resultPending = false;
    this.#hooks.onResult(w.order, result);
    if (this.#working !== w) return;
    if (result.status === 'accepted') {
      w.accepted = true;
      w.acceptedAt = this.#hooks.now();
      if (w.remaining <= this.#tolerance) this.#clear();
      return;
    }
    this.#nextOrderAt = Math.max(this.#nextOrderAt, this.#hooks.now() + this.#limits.rejectCooldownMs);
    this.#clear();
  }

  #clear(): void {
    this.#working = undefined;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
