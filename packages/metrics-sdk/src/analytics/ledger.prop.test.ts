import { type Exposition, readExposition } from '@ttquant/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../catalogs/gateway.js';
import { StrategyMetrics } from '../catalogs/strategy.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import type { MetricSource } from '../exposition/sources.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import type { Fill } from './fill.js';
import { LedgerInputError } from './input-error.js';
import { TradingLedger } from './ledger.js';

const STRATEGIES = ['alpha', 'beta'] as const;

/** What a scrape shows: values are read from the text, never through bind(), which creates the series. */
function exposed(...sources: MetricSource[]): Exposition {
  return readExposition(new PrometheusWriter(sources, { selfMetrics: false }).renderText());
}
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] as const;

type Event =
  | { readonly kind: 'fill'; readonly fill: Fill }
  | { readonly kind: 'mark'; readonly symbol: string; readonly price: number }
  | { readonly kind: 'sample'; readonly step: number };

// Cents and lots, as venues quote them; fractional quantities make float dust likely.
const price = fc.integer({ min: 100, max: 500_000 }).map((c) => c / 100);
const fillArb = fc.record({
  strategy: fc.constantFrom(...STRATEGIES),
  symbol: fc.constantFrom(...SYMBOLS),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  quantity: fc.oneof(
    fc.integer({ min: 1, max: 5 }),
    fc.integer({ min: 1, max: 500 }).map((q) => q / 100),
  ),
  price,
  fee: fc.integer({ min: 0, max: 300 }).map((c) => c / 100),
  time: fc.integer({ min: 0, max: 1e12 }),
});
const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 5, arbitrary: fillArb.map((fill) => ({ kind: 'fill' as const, fill })) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('mark' as const), symbol: fc.constantFrom(...SYMBOLS), price }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sample' as const), step: fc.integer({ min: 0, max: 3 }) }) },
);
const eventsArb = fc.array(eventArb, { maxLength: 80 });

function makeLedger() {
  const options = { onInvalidValue: throwOnInvalidValue, now: () => 0 };
  const sm = new StrategyMetrics(options);
  const gw = new GatewayMetrics(options);
  const ledger = new TradingLedger({
    metrics: sm,
    gateway: { metrics: gw, exchange: 'coinbase' },
    sharpe: { periodMs: 1000, periodsPerYear: 365 },
  });
  ledger.register('alpha', { capitalBase: 50_000 });
  ledger.register('beta');
  const writer = new PrometheusWriter([sm, gw]);
  return { sm, gw, ledger, writer };
}

/** Applies one event; the sampling clock advances by `step` periods (0: same period). */
function apply(ledger: TradingLedger, event: Event, clock: { t: number }): void {
  if (event.kind === 'fill') ledger.onFill(event.fill);
  else if (event.kind === 'mark') ledger.onMark(event.symbol, event.price);
  else {
    clock.t += event.step * 1000 + 1;
    ledger.sample(clock.t);
  }
}

const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, scale);

describe('TradingLedger properties', () => {
  it('realized + unrealized = total = cash flows + value of holdings at the marks', () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const { sm, ledger } = makeLedger();
        const clock = { t: 0 };
        // Model-free check: PnL = −Σ signed qty × price − Σ fees + Σ position × mark, whatever the
        // realization method; it catches a wrong average, a lost fee or a stale unrealized sum.
        const cash = new Map<string, number>();
        const holdings = new Map<string, number>();
        const marks = new Map<string, number>();
        let scale = 1;
        for (const event of events) {
          apply(ledger, event, clock);
          if (event.kind === 'fill') {
            const { strategy, symbol, side, quantity, price: p, fee = 0 } = event.fill;
            const signed = side === 'buy' ? quantity : -quantity;
            cash.set(strategy, (cash.get(strategy) ?? 0) - signed * p - fee);
            const key = `${strategy}/${symbol}`;
            holdings.set(key, (holdings.get(key) ?? 0) + signed);
            if (!marks.has(symbol)) marks.set(symbol, p);
            scale += quantity * p;
          } else if (event.kind === 'mark') {
            marks.set(event.symbol, event.price);
          }
          let accountTotal = 0;
          const x = exposed(sm);
          for (const name of STRATEGIES) {
            const s = ledger.strategy(name);
            if (s === undefined) throw new Error('registered');
            expect(s.realizedPnl + s.unrealizedPnl).toBe(s.totalPnl);
            let value = 0;
            for (const symbol of SYMBOLS) {
              const held = holdings.get(`${name}/${symbol}`) ?? 0;
              if (held !== 0) value += held * (marks.get(symbol) as number);
            }
            expect(close(s.totalPnl, (cash.get(name) ?? 0) + value, scale), `${name}: ${s.totalPnl}`).toBe(true);
            // The gauges show the same numbers.
            const labels = { strategy: name };
            expect(x.value(sm.pnl.name, labels)).toBe(s.totalPnl);
            expect(x.value(sm.realizedPnl.name, labels)).toBe(s.realizedPnl);
            expect(x.value(sm.unrealizedPnl.name, labels)).toBe(s.unrealizedPnl);
            accountTotal += s.totalPnl;
          }
          const account = ledger.snapshot().account;
          expect(account.realizedPnl + account.unrealizedPnl).toBe(account.totalPnl);
          expect(close(account.totalPnl, accountTotal, scale)).toBe(true);
        }
      }),
    );
  });

  it('max drawdown is ≥ 0, never decreases, and equals the worst fall from the running peak of the equity curve', () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const { sm, gw, ledger } = makeLedger();
        const clock = { t: 0 };
        const curve = new Map<string, { peak: number; worst: number; last: number }>();
        for (const name of STRATEGIES) curve.set(name, { peak: 0, worst: 0, last: 0 });
        let lastAccount = 0;
        for (const event of events) {
          apply(ledger, event, clock);
          const x = exposed(sm, gw);
          for (const name of STRATEGIES) {
            const s = ledger.strategy(name);
            const c = curve.get(name);
            if (s === undefined || c === undefined) throw new Error('registered');
            c.peak = Math.max(c.peak, s.totalPnl);
            c.worst = Math.max(c.worst, c.peak - s.totalPnl);
            expect(s.maxDrawdown).toBeGreaterThanOrEqual(0);
            expect(s.maxDrawdown).toBeGreaterThanOrEqual(c.last);
            expect(s.maxDrawdown).toBe(c.worst);
            expect(x.value(sm.maxDrawdown.name, { strategy: name })).toBe(s.maxDrawdown);
            c.last = s.maxDrawdown;
          }
          const account = x.value(gw.maxDrawdown.name, { exchange: 'coinbase' }) as number;
          expect(account).toBeGreaterThanOrEqual(lastAccount);
          expect(account).toBe(ledger.snapshot().account.maxDrawdown);
          lastAccount = account;
        }
      }),
    );
  });

  it('win rate stays in [0, 1]; winning + losing + break-even = closed trades = reducing fills', () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const { sm, ledger } = makeLedger();
        const clock = { t: 0 };
        const reducing = new Map<string, number>();
        for (const event of events) {
          if (event.kind === 'fill') {
            const { strategy, symbol, side } = event.fill;
            const held = ledger.strategy(strategy)?.positions.find((p) => p.symbol === symbol)?.quantity ?? 0;
            if ((held > 0 && side === 'sell') || (held < 0 && side === 'buy')) {
              reducing.set(strategy, (reducing.get(strategy) ?? 0) + 1);
            }
          }
          apply(ledger, event, clock);
          const x = exposed(sm);
          for (const name of STRATEGIES) {
            const s = ledger.strategy(name);
            if (s === undefined) throw new Error('registered');
            expect(s.winningTrades + s.losingTrades + s.breakEvenTrades).toBe(s.closedTrades);
            expect(s.closedTrades).toBe(reducing.get(name) ?? 0);
            expect(x.value(sm.winningTrades.name, { strategy: name })).toBe(s.winningTrades);
            expect(x.value(sm.losingTrades.name, { strategy: name })).toBe(s.losingTrades);
            if (s.closedTrades === 0) {
              expect(s.winRate).toBeNaN();
              // Undefined until a trade closes: no series, rather than a made-up 0.
              expect(x.value(sm.winRate.name, { strategy: name })).toBeUndefined();
            } else {
              expect(s.winRate).toBeGreaterThanOrEqual(0);
              expect(s.winRate).toBeLessThanOrEqual(1);
              expect(x.value(sm.winRate.name, { strategy: name })).toBe(s.winRate);
            }
            // Σ closed-trade PnL − fees still carried by open positions = realized PnL.
            const tradeSum =
              (s.winningTrades > 0 ? s.avgProfit * s.winningTrades : 0) -
              (s.losingTrades > 0 ? s.avgLoss * s.losingTrades : 0);
            const carried = s.positions.reduce((sum, p) => sum + p.openFees, 0);
            expect(Math.abs(tradeSum - carried - s.realizedPnl)).toBeLessThan(1e-6);
          }
        }
      }),
    );
  });

  it('replaying the same fills in batches or one by one gives the same state and the same exposition', () => {
    fc.assert(
      fc.property(eventsArb, fc.integer({ min: 1, max: 8 }), (events, batchSize) => {
        const one = makeLedger();
        const batched = makeLedger();
        const clockA = { t: 0 };
        const clockB = { t: 0 };
        for (const event of events) apply(one.ledger, event, clockA);
        // Same events; runs of consecutive fills go through onFills in chunks of batchSize.
        let pending: Fill[] = [];
        const flush = () => {
          for (let i = 0; i < pending.length; i += batchSize) batched.ledger.onFills(pending.slice(i, i + batchSize));
          pending = [];
        };
        for (const event of events) {
          if (event.kind === 'fill') {
            pending.push(event.fill);
          } else {
            flush();
            apply(batched.ledger, event, clockB);
          }
        }
        flush();
        expect(batched.ledger.snapshot()).toEqual(one.ledger.snapshot());
        expect(batched.writer.renderText()).toBe(one.writer.renderText());
      }),
    );
  });

  it('a bad fill anywhere in a history leaves the state and the exposition untouched', () => {
    const badPatch = fc.constantFrom<Record<string, unknown>>(
      { quantity: 0 },
      { quantity: -1 },
      { price: Number.NaN },
      { price: Number.NEGATIVE_INFINITY },
      { fee: -1 },
      { side: 'hold' },
      { strategy: 'unregistered' },
      { time: Number.POSITIVE_INFINITY },
    );
    fc.assert(
      fc.property(eventsArb, fillArb, badPatch, (events, fill, patch) => {
        const { ledger, writer } = makeLedger();
        const clock = { t: 0 };
        for (const event of events) apply(ledger, event, clock);
        const before = ledger.snapshot();
        const text = writer.renderText();
        expect(() => ledger.onFill({ ...fill, ...patch } as Fill)).toThrow(LedgerInputError);
        expect(() => ledger.onFills([fill, { ...fill, ...patch } as Fill])).toThrow(LedgerInputError);
        expect(ledger.snapshot()).toEqual(before);
        expect(writer.renderText()).toBe(text);
      }),
    );
  });
});
