import type { FillSide } from './fill.js';
import type {
  AccountPublisher,
  LedgerPublisher,
  PositionPublisher,
  StrategyPublisher,
  SymbolPublisher,
} from './ledger-publisher.js';
import type { TradeOutcome } from './trade-stats.js';

// Each part of the ledger's state holds one bound publisher, not a list: with the usual single
// publisher the call site stays monomorphic and onMark has no loop to run (bench/ledger.bench.ts,
// onMark on a 10-symbol strategy: ~44 ns with a list per part, ~40 ns with one publisher, on a
// loaded 2-core machine). No publisher is a shared no-op; several are fanned out.

type AnyPublisher = StrategyPublisher & PositionPublisher & SymbolPublisher & AccountPublisher;

/** Publishes nothing: the bound publisher of a part no publisher asked for. @internal */
class NoPublisher implements AnyPublisher {
  pnlChanged(): void {}
  filled(): void {}
  tradeClosed(): void {}
  sharpeSampled(): void {}
  positionChanged(): void {}
  netChanged(): void {}
  accountChanged(): void {}
}

/** Forwards each call to several bound publishers, in order. @internal */
class FanOut implements AnyPublisher {
  readonly #targets: readonly AnyPublisher[];

  constructor(targets: readonly AnyPublisher[]) {
    this.#targets = targets;
  }

  pnlChanged(maxDrawdownGrew: boolean): void {
    const targets = this.#targets;
    for (let i = 0; i < targets.length; i++) (targets[i] as AnyPublisher).pnlChanged(maxDrawdownGrew);
  }
  filled(side: FillSide): void {
    const targets = this.#targets;
    for (let i = 0; i < targets.length; i++) (targets[i] as AnyPublisher).filled(side);
  }
  tradeClosed(outcome: TradeOutcome): void {
    const targets = this.#targets;
    for (let i = 0; i < targets.length; i++) (targets[i] as AnyPublisher).tradeClosed(outcome);
  }
  sharpeSampled(): void {
    const targets = this.#targets;
    for (let i = 0; i < targets.length; i++) (targets[i] as AnyPublisher).sharpeSampled();
  }
  positionChanged(): void {
    const targets = this.#targets;
    for (let i = 0; i < targets.length; i++) (targets[i] as AnyPublisher).positionChanged();
  }
  netChanged(): void {
    const targets = this.#targets;
    for (let i = 0; i < targets.length; i++) (targets[i] as AnyPublisher).netChanged();
  }
  accountChanged(maxDrawdownGrew: boolean): void {
    const targets = this.#targets;
    for (let i = 0; i < targets.length; i++) (targets[i] as AnyPublisher).accountChanged(maxDrawdownGrew);
  }
}

const NONE = new NoPublisher();

type Bound = StrategyPublisher | PositionPublisher | SymbolPublisher | AccountPublisher;

/**
 * Binds one part of the ledger's state with every publisher that publishes it (once, off the hot
 * path), as one publisher.
 *
 * @internal
 * @param publishers - the ledger's publishers
 * @param bind - binds the part with one publisher; `undefined` when it does not publish that part
 * @returns the publisher to call
 */
export function bindAll<P extends Bound>(
  publishers: readonly LedgerPublisher[],
  bind: (publisher: LedgerPublisher) => P | undefined,
): P {
  const bound: P[] = [];
  for (const publisher of publishers) {
    const one = bind(publisher);
    if (one !== undefined) bound.push(one);
  }
  return fanOut(bound);
}

/**
 * One publisher standing for all of `targets`: the no-op for none, the publisher itself for one.
 *
 * @param targets - the bound publishers of one part of the state
 * @returns the publisher to call
 */
function fanOut<P extends Bound>(targets: readonly P[]): P {
  if (targets.length === 1) return targets[0] as P;
  return (targets.length === 0 ? NONE : new FanOut(targets as readonly AnyPublisher[])) as unknown as P;
}
