import { describe, expect, it } from 'vitest';
import type { EngineOrder, GatewayOrderResult, StrategyFill } from '../shared/protocol.js';
import type { StrategySpec } from './config.js';
import { type RunnerHooks, StrategyRunner } from './runner.js';
import type { Strategy } from './strategies.js';

// The order rules, with a scripted signal, a hand-driven clock and a gateway whose answers the test
// releases: one order out at a time, cool-downs, position from fills only, the fill timeout, stop.

const spec: StrategySpec = { name: 's1', kind: 'ma_cross', exchange: 'binance', symbol: 'BTCUSDT', lot: 0.01 };

interface Harness {
  runner: StrategyRunner;
  sent: EngineOrder[];
  results: GatewayOrderResult[];
  timeouts: string[];
  /** Answers the n-th sent order. */
  answer(n: number, status: GatewayOrderResult['status'], reason?: string): Promise<void>;
  setTarget(lots: number): void;
  clock: { t: number };
}

function harness(limits = { maxLots: 2, cooldownMs: 1_000, rejectCooldownMs: 5_000, fillTimeoutMs: 3_000 }): Harness {
  let target = Number.NaN;
  const strategy: Strategy = { kind: 'ma_cross', onPrice: () => target };
  const clock = { t: 10_000 };
  const sent: EngineOrder[] = [];
  const results: GatewayOrderResult[] = [];
  const timeouts: string[] = [];
  const resolvers: ((r: GatewayOrderResult) => void)[] = [];
  let seq = 0;
  const hooks: RunnerHooks = {
    send: () => new Promise((resolve) => resolvers.push(resolve)),
    now: () => clock.t,
    nextClientOrderId: () => `s1-test-${++seq}`,
    onSent: (order) => sent.push(order),
    onResult: (_order, result) => results.push(result),
    onFillTimeout: (order) => timeouts.push(order.clientOrderId),
  };
  const runner = new StrategyRunner(spec, strategy, limits, hooks);
  return {
    runner,
    sent,
    results,
    timeouts,
    clock,
    setTarget: (lots) => {
      target = lots;
    },
    async answer(n, status, reason) {
      const order = sent[n] as EngineOrder;
      (resolvers[n] as (r: GatewayOrderResult) => void)({
        clientOrderId: order.clientOrderId,
        status,
        ...(reason === undefined ? {} : { reason }),
      });
      await Promise.resolve(); // let the runner's .then run
      await Promise.resolve();
    },
  };
}

function fill(order: EngineOrder, quantity = order.quantity): StrategyFill {
  return {
    strategy: order.strategy,
    exchange: order.exchange,
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    price: 60_000,
    quantity,
    fee: 0.24,
    time: 1,
  };
}

describe('StrategyRunner', () => {
  it('sends nothing while the signal warms up, then one market order of one lot', () => {
    const h = harness();
    expect(h.runner.onPrice(100)).toBe('warming_up');
    h.setTarget(2);
    expect(h.runner.onPrice(100)).toBe('sent');
    expect(h.sent).toEqual([
      {
        strategy: 's1',
        clientOrderId: 's1-test-1',
        exchange: 'binance',
        symbol: 'BTCUSDT',
        side: 'buy',
        type: 'market',
        quantity: 0.01,
      },
    ]);
    expect(h.runner.working).toMatchObject({ remaining: 0.01, accepted: false, sentAt: 10_000 });
  });

  it('keeps one order out until its result and its fills are both in, and moves the position only on fills', async () => {
    const h = harness({ maxLots: 2, cooldownMs: 0, rejectCooldownMs: 0, fillTimeoutMs: 3_000 });
    h.setTarget(2);
    expect(h.runner.onPrice(100)).toBe('sent');
    expect(h.runner.onPrice(100)).toBe('busy');
    await h.answer(0, 'accepted');
    // Accepted, not filled: still out, position still flat.
    expect(h.runner.position).toBe(0);
    expect(h.runner.onPrice(100)).toBe('busy');
    h.runner.onFill(fill(h.sent[0] as EngineOrder, 0.004));
    expect(h.runner.position).toBe(0.004);
    expect(h.runner.onPrice(100)).toBe('busy');
    h.runner.onFill(fill(h.sent[0] as EngineOrder, 0.006));
    expect(h.runner.position).toBeCloseTo(0.01, 15);
    expect(h.runner.idle).toBe(true);
    // Second order; its fill arrives on the bus before the HTTP answer.
    expect(h.runner.onPrice(100)).toBe('sent');
    h.runner.onFill(fill(h.sent[1] as EngineOrder));
    expect(h.runner.onPrice(100)).toBe('busy');
    await h.answer(1, 'accepted');
    expect(h.runner.idle).toBe(true);
    expect(h.runner.position).toBeCloseTo(0.02, 15);
    // At the limit and at the target: nothing more.
    expect(h.runner.onPrice(100)).toBe('hold');
    expect(h.sent).toHaveLength(2);
  });

  it('waits out the cool-down after each send, and the longer one after a reject or a failure', async () => {
    const h = harness();
    h.setTarget(2);
    expect(h.runner.onPrice(100)).toBe('sent');
    await h.answer(0, 'accepted');
    h.runner.onFill(fill(h.sent[0] as EngineOrder));
    h.clock.t += 999;
    expect(h.runner.onPrice(100)).toBe('cooldown');
    h.clock.t += 1;
    expect(h.runner.onPrice(100)).toBe('sent');
    await h.answer(1, 'risk_rejected', 'max_position');
    expect(h.results.at(-1)).toEqual({ clientOrderId: 's1-test-2', status: 'risk_rejected', reason: 'max_position' });
    expect(h.runner.idle).toBe(true);
    h.clock.t += 4_999;
    expect(h.runner.onPrice(100)).toBe('cooldown');
    h.clock.t += 1;
    expect(h.runner.onPrice(100)).toBe('sent');
    await h.answer(2, 'failed', 'timeout');
    h.clock.t += 4_999;
    expect(h.runner.onPrice(100)).toBe('cooldown');
    expect(h.sent).toHaveLength(3);
    // Rejected and failed orders never moved the position.
    expect(h.runner.position).toBe(0.01);
  });

  it('gives up on missing fills after the fill timeout; a late fill still moves the position', async () => {
    const h = harness({ maxLots: 2, cooldownMs: 0, rejectCooldownMs: 0, fillTimeoutMs: 3_000 });
    h.setTarget(-2);
    expect(h.runner.onPrice(100)).toBe('sent');
    await h.answer(0, 'accepted');
    h.clock.t += 2_999;
    expect(h.runner.onPrice(100)).toBe('busy');
    h.clock.t += 1;
    expect(h.runner.onPrice(100)).toBe('sent');
    expect(h.timeouts).toEqual(['s1-test-1']);
    expect(h.sent[1]).toMatchObject({ side: 'sell', quantity: 0.01 });
    h.runner.onFill(fill(h.sent[0] as EngineOrder));
    expect(h.runner.position).toBe(-0.01);
    // The late fill is not the working order's: order 2 is still out.
    expect(h.runner.working?.order.clientOrderId).toBe('s1-test-2');
  });

  it('after stop() decides nothing, and whenIdle resolves once the order out is done', async () => {
    const h = harness();
    h.setTarget(1);
    expect(h.runner.onPrice(100)).toBe('sent');
    h.runner.stop();
    let idle = false;
    const done = h.runner.whenIdle().then(() => {
      idle = true;
    });
    await Promise.resolve();
    expect(idle).toBe(false);
    await h.answer(0, 'failed', 'unreachable');
    await done;
    expect(idle).toBe(true);
    h.clock.t += 60_000;
    expect(h.runner.onPrice(100)).toBe('stopped');
    expect(h.sent).toHaveLength(1);
  });
});
