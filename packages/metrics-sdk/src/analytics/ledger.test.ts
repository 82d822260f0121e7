import { type Exposition, readExposition } from '@ttquant/test-kit';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../catalogs/gateway.js';
import { StrategyMetrics } from '../catalogs/strategy.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import type { MetricSource } from '../exposition/sources.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import type { Fill } from './fill.js';
import { LedgerInputError } from './input-error.js';
import { TradingLedger } from './ledger.js';

// The worked example of docs/analytics.md: every number below was computed by hand (the doc shows
// the arithmetic) and is checked to the cent after every event.

const DAY = 86_400_000;
const CENT = 0.005;

function usd(actual: number | undefined, expected: number): void {
  expect(actual, `a series expected to hold ${expected}`).toBeDefined();
  expect(Math.abs((actual as number) - expected), `${actual} vs ${expected}`).toBeLessThan(CENT);
}

/** What a scrape shows: values are read from the text, never through bind(), which creates the series. */
function exposed(...sources: MetricSource[]): Exposition {
  return readExposition(new PrometheusWriter(sources, { selfMetrics: false }).renderText());
}

function setup() {
  const sm = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 0 });
  const gw = new GatewayMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 0 });
  const ledger = new TradingLedger({
    metrics: sm,
    gateway: { metrics: gw, exchange: 'binance' },
    sharpe: { periodMs: DAY, periodsPerYear: 365 },
  });
  ledger.register('s1', { capitalBase: 10_000 });
  return { sm, gw, ledger };
}

type Event = { fill: Omit<Fill, 'strategy' | 'time'> } | { mark: [symbol: string, price: number] } | { sample: number };

interface Expected {
  /** BTCUSDT position: quantity, average price, opening fees still carried. */
  q: number;
  avg: number;
  fees: number;
  realized: number;
  unrealized: number;
  total: number;
  peak: number;
  maxDd: number;
  /** Gateway gross exposure, USD. */
  exposure: number;
}

const btc = (side: 'buy' | 'sell', quantity: number, price: number, fee: number) => ({
  fill: { symbol: 'BTCUSDT', side, quantity, price, fee },
});

// prettier-ignore
const steps: [string, Event, Expected][] = [
  [
    '1 buy 2 @ 100, fee 0.20',
    btc('buy', 2, 100, 0.2),
    { q: 2, avg: 100, fees: 0.2, realized: -0.2, unrealized: 0, total: -0.2, peak: 0, maxDd: 0.2, exposure: 200 },
  ],
  [
    '2 mark 120',
    { mark: ['BTCUSDT', 120] },
    { q: 2, avg: 100, fees: 0.2, realized: -0.2, unrealized: 40, total: 39.8, peak: 39.8, maxDd: 0.2, exposure: 240 },
  ],
  [
    '3 buy 2 @ 120, fee 0.24',
    btc('buy', 2, 120, 0.24),
    {
      q: 4,
      avg: 110,
      fees: 0.44,
      realized: -0.44,
      unrealized: 40,
      total: 39.56,
      peak: 39.8,
      maxDd: 0.24,
      exposure: 480,
    },
  ],
  [
    '4 mark 130',
    { mark: ['BTCUSDT', 130] },
    {
      q: 4,
      avg: 110,
      fees: 0.44,
      realized: -0.44,
      unrealized: 80,
      total: 79.56,
      peak: 79.56,
      maxDd: 0.24,
      exposure: 520,
    },
  ],
  [
    '5 sell 1 @ 130, fee 0.13 (partial close, win 19.76)',
    btc('sell', 1, 130, 0.13),
    {
      q: 3,
      avg: 110,
      fees: 0.33,
      realized: 19.43,
      unrealized: 60,
      total: 79.43,
      peak: 79.56,
      maxDd: 0.24,
      exposure: 390,
    },
  ],
  [
    '6 mark 90 (drawdown)',
    { mark: ['BTCUSDT', 90] },
    {
      q: 3,
      avg: 110,
      fees: 0.33,
      realized: 19.43,
      unrealized: -60,
      total: -40.57,
      peak: 79.56,
      maxDd: 120.13,
      exposure: 270,
    },
  ],
  [
    '7 sell 7 @ 90, fee 0.63 (flip to short 4, loss 60.60)',
    btc('sell', 7, 90, 0.63),
    {
      q: -4,
      avg: 90,
      fees: 0.36,
      realized: -41.2,
      unrealized: 0,
      total: -41.2,
      peak: 79.56,
      maxDd: 120.76,
      exposure: 360,
    },
  ],
  [
    '8 mark 60',
    { mark: ['BTCUSDT', 60] },
    {
      q: -4,
      avg: 90,
      fees: 0.36,
      realized: -41.2,
      unrealized: 120,
      total: 78.8,
      peak: 79.56,
      maxDd: 120.76,
      exposure: 240,
    },
  ],
  [
    '9 buy 2 @ 60, fee 0.12 (partial close, win 59.70)',
    btc('buy', 2, 60, 0.12),
    {
      q: -2,
      avg: 90,
      fees: 0.18,
      realized: 18.68,
      unrealized: 60,
      total: 78.68,
      peak: 79.56,
      maxDd: 120.76,
      exposure: 120,
    },
  ],
  [
    '10 mark 50 (recovered: new peak)',
    { mark: ['BTCUSDT', 50] },
    {
      q: -2,
      avg: 90,
      fees: 0.18,
      realized: 18.68,
      unrealized: 80,
      total: 98.68,
      peak: 98.68,
      maxDd: 120.76,
      exposure: 100,
    },
  ],
  [
    '11 buy 2 @ 50, fee 0.10 (close, win 79.72)',
    btc('buy', 2, 50, 0.1),
    { q: 0, avg: 0, fees: 0, realized: 98.58, unrealized: 0, total: 98.58, peak: 98.68, maxDd: 120.76, exposure: 0 },
  ],
  [
    '12 buy 1 ETHUSDT @ 10, no fee',
    { fill: { symbol: 'ETHUSDT', side: 'buy', quantity: 1, price: 10, fee: 0 } },
    { q: 0, avg: 0, fees: 0, realized: 98.58, unrealized: 0, total: 98.58, peak: 98.68, maxDd: 120.76, exposure: 10 },
  ],
  [
    '13 sell 1 ETHUSDT @ 10, no fee (break-even)',
    { fill: { symbol: 'ETHUSDT', side: 'sell', quantity: 1, price: 10 } },
    { q: 0, avg: 0, fees: 0, realized: 98.58, unrealized: 0, total: 98.58, peak: 98.68, maxDd: 120.76, exposure: 0 },
  ],
];

// Samples at day boundaries: after step 4 (day 1), step 6 (day 2), step 10 (day 3), step 13 (day 4).
const sampleAfter = new Map([
  [4, 1],
  [6, 2],
  [10, 3],
  [13, 4],
]);

function run(ledger: TradingLedger, upTo = steps.length, onStep?: (i: number, e: Expected) => void): void {
  ledger.sample(0);
  let time = 1;
  steps.slice(0, upTo).forEach(([, event, expected], i) => {
    if ('fill' in event) ledger.onFill({ strategy: 's1', time: time++, ...event.fill });
    else if ('mark' in event) ledger.onMark(...event.mark);
    const day = sampleAfter.get(i + 1);
    if (day !== undefined) expect(ledger.sample(day * DAY)).toBe(true);
    onStep?.(i, expected);
  });
}

describe('TradingLedger: the worked example, to the cent', () => {
  it('matches the hand-computed state after every event', () => {
    const { sm, gw, ledger } = setup();
    const s1 = { strategy: 's1' };
    const binance = { exchange: 'binance' };
    run(ledger, steps.length, (i, e) => {
      const label = steps[i]?.[0];
      const s = ledger.strategy('s1');
      const p = s?.positions.find((x) => x.symbol === 'BTCUSDT');
      if (s === undefined || p === undefined) throw new Error(`no state at ${label}`);
      expect(p.quantity, label).toBe(e.q);
      usd(p.avgPrice, e.avg);
      usd(p.openFees, e.fees);
      usd(s.realizedPnl, e.realized);
      usd(s.unrealizedPnl, e.unrealized);
      usd(s.totalPnl, e.total);
      usd(s.peakPnl, e.peak);
      usd(s.maxDrawdown, e.maxDd);
      usd(s.drawdown, e.peak - e.total);
      // The same numbers, read back from the catalogs' exposition.
      const x = exposed(sm, gw);
      usd(x.value(sm.pnl.name, s1), e.total);
      usd(x.value(sm.realizedPnl.name, s1), e.realized);
      usd(x.value(sm.unrealizedPnl.name, s1), e.unrealized);
      usd(x.value(sm.maxDrawdown.name, s1), e.maxDd);
      usd(x.value(sm.positionSize.name, { ...s1, symbol: 'BTCUSDT' }), e.q);
      usd(x.value(gw.position.name, { ...binance, symbol: 'BTCUSDT' }), e.q);
      usd(x.value(gw.riskExposure.name, binance), e.exposure);
      // One strategy: the account's drawdown is the strategy's.
      usd(x.value(gw.maxDrawdown.name, binance), e.maxDd);
    });
  });

  it('counts closed trades: 3 wins, 1 loss, 1 break-even; win rate 3/5; averages 53.06 and 60.60', () => {
    const { sm, ledger } = setup();
    run(ledger);
    const s = ledger.strategy('s1');
    expect(s).toMatchObject({
      buys: 5,
      sells: 3,
      closedTrades: 5,
      winningTrades: 3,
      losingTrades: 1,
      breakEvenTrades: 1,
      winRate: 0.6,
    });
    usd(s?.avgProfit ?? Number.NaN, 53.06); // (19.76 + 59.70 + 79.72) / 3
    usd(s?.avgLoss ?? Number.NaN, 60.6);
    const labels = { strategy: 's1' };
    const x = exposed(sm);
    expect(x.value(sm.winningTrades.name, labels)).toBe(3);
    expect(x.value(sm.losingTrades.name, labels)).toBe(1);
    expect(x.value(sm.trades.name, { strategy: 's1', side: 'buy' })).toBe(5);
    expect(x.value(sm.trades.name, { strategy: 's1', side: 'sell' })).toBe(3);
    expect(x.value(sm.winRate.name, labels)).toBe(0.6);
    usd(x.value(sm.avgProfit.name, labels), 53.06);
    usd(x.value(sm.avgLoss.name, labels), 60.6);
    // Every position is flat: unrealized is exactly 0, not rounding residue.
    expect(s?.unrealizedPnl).toBe(0);
    expect(x.value(sm.positionValue.name, { strategy: 's1', symbol: 'ETHUSDT' })).toBe(0);
  });

  it('computes daily returns on capital 10,000 and the Sharpe ratio 4.1989 (√365 annualised)', () => {
    const { sm, ledger } = setup();
    const sharpe = (): number | undefined => exposed(sm).value(sm.sharpe.name, { strategy: 's1' });
    expect(sharpe()).toBeNaN(); // registered, no returns
    run(ledger, 4);
    expect(ledger.strategy('s1')?.returns).toBe(1);
    expect(sharpe()).toBeNaN(); // one return: no standard deviation yet
    run2(ledger);
    const returns = [0.007956, -0.012013, 0.013925, -0.00001];
    const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
    const sd = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1));
    expect(ledger.strategy('s1')?.returns).toBe(4);
    expect(Math.abs((sharpe() as number) - (mean / sd) * Math.sqrt(365))).toBeLessThan(1e-9);
    expect(sharpe()?.toFixed(4)).toBe('4.1989');
    expect(ledger.snapshot().skippedPeriods).toBe(0);
  });

  // Continues `run(ledger, 4)` from step 5.
  function run2(ledger: TradingLedger): void {
    let time = 100;
    steps.slice(4).forEach(([, event], j) => {
      if ('fill' in event) ledger.onFill({ strategy: 's1', time: time++, ...event.fill });
      else if ('mark' in event) ledger.onMark(...event.mark);
      const day = sampleAfter.get(j + 5);
      if (day !== undefined) ledger.sample(day * DAY);
    });
  }
});

describe('TradingLedger: exposition', () => {
  it('drives the strategy and gateway series, read back as Prometheus text', () => {
    const sm = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 0 });
    const gw = new GatewayMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 0 });
    const ledger = new TradingLedger({ metrics: sm, gateway: { metrics: gw, exchange: 'okx' } });
    ledger.register('mm');
    // Binary-exact numbers, so the text is exact.
    ledger.onFill({ strategy: 'mm', symbol: 'BTCUSDT', side: 'buy', quantity: 2, price: 100, fee: 0.25, time: 1 });
    ledger.onMark('BTCUSDT', 104);
    ledger.onFill({ strategy: 'mm', symbol: 'BTCUSDT', side: 'sell', quantity: 1, price: 102, fee: 0.125, time: 2 });
    const text = new PrometheusWriter([sm, gw]).renderText();
    const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    const wanted = /^(strategy_|current_position|risk_exposure_usd|max_drawdown_usd)/;
    expect(samples.filter((line) => wanted.test(line))).toEqual([
      'strategy_pnl_total{strategy="mm"} 5.625',
      'strategy_realized_pnl{strategy="mm"} 1.625',
      'strategy_unrealized_pnl{strategy="mm"} 4',
      'strategy_position_size{strategy="mm",symbol="BTCUSDT"} 1',
      'strategy_position_value_usd{strategy="mm",symbol="BTCUSDT"} 104',
      'strategy_trades_total{strategy="mm",side="buy"} 1',
      'strategy_trades_total{strategy="mm",side="sell"} 1',
      'strategy_win_rate{strategy="mm"} 1',
      'strategy_winning_trades_total{strategy="mm"} 1',
      'strategy_losing_trades_total{strategy="mm"} 0',
      // 2 − 0.125 closing fee − 0.125 opening fee share
      'strategy_avg_profit_usd{strategy="mm"} 1.75',
      // peak 7.75 at the mark 104; selling 1 at 102 gives up 2 against the mark, plus the 0.125 fee
      'strategy_max_drawdown_usd{strategy="mm"} 2.125',
      'strategy_sharpe_ratio{strategy="mm"} NaN',
      'current_position{exchange="okx",symbol="BTCUSDT"} 1',
      'risk_exposure_usd{exchange="okx"} 104',
      'max_drawdown_usd{exchange="okx"} 2.125',
    ]);
    // No loss yet: strategy_avg_loss_usd has no series, only its HELP/TYPE lines.
    expect(text).toContain('# TYPE strategy_avg_loss_usd gauge\n# HELP');
  });

  it('keeps win rate and averages absent until defined', () => {
    const sm = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue });
    const ledger = new TradingLedger({ metrics: sm });
    ledger.register('a');
    ledger.onFill({ strategy: 'a', symbol: 'X', side: 'buy', quantity: 1, price: 10, time: 0 });
    expect(sm.winRate.seriesCount).toBe(0);
    expect(sm.avgProfit.seriesCount).toBe(0);
    expect(sm.avgLoss.seriesCount).toBe(0);
    ledger.onFill({ strategy: 'a', symbol: 'X', side: 'sell', quantity: 1, price: 9, time: 1 });
    const x = exposed(sm);
    expect(x.value(sm.winRate.name, { strategy: 'a' })).toBe(0);
    expect(x.value(sm.avgLoss.name, { strategy: 'a' })).toBe(1);
    expect(x.value(sm.avgProfit.name, { strategy: 'a' })).toBeUndefined();
    expect(sm.avgProfit.seriesCount).toBe(0);
  });
});

describe('TradingLedger: position and PnL details', () => {
  function ledgerWith(...names: string[]) {
    const sm = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue });
    const gw = new GatewayMetrics({ onInvalidValue: throwOnInvalidValue });
    const ledger = new TradingLedger({ metrics: sm, gateway: { metrics: gw, exchange: 'bybit' } });
    for (const name of names) ledger.register(name);
    return { sm, gw, ledger };
  }

  it('nets strategies per symbol on the gateway and sums gross exposure over symbols', () => {
    const { gw, ledger } = ledgerWith('long', 'short');
    ledger.onFill({ strategy: 'long', symbol: 'BTCUSDT', side: 'buy', quantity: 3, price: 100, time: 0 });
    ledger.onFill({ strategy: 'short', symbol: 'BTCUSDT', side: 'sell', quantity: 1, price: 100, time: 0 });
    ledger.onFill({ strategy: 'short', symbol: 'ETHUSDT', side: 'sell', quantity: 4, price: 10, time: 0 });
    ledger.onMark('BTCUSDT', 110);
    const x = exposed(gw);
    expect(x.value(gw.position.name, { exchange: 'bybit', symbol: 'BTCUSDT' })).toBe(2);
    expect(x.value(gw.position.name, { exchange: 'bybit', symbol: 'ETHUSDT' })).toBe(-4);
    expect(x.value(gw.riskExposure.name, { exchange: 'bybit' })).toBe(2 * 110 + 4 * 10);
    const account = ledger.snapshot().account;
    expect(account.unrealizedPnl).toBe(3 * 10 - 1 * 10);
    expect(account.positions).toEqual([
      { symbol: 'BTCUSDT', quantity: 2, mark: 110 },
      { symbol: 'ETHUSDT', quantity: -4, mark: 10 },
    ]);
  });

  it('uses the first fill price as the mark until a mark arrives, and keeps marks for symbols not yet held', () => {
    const { ledger } = ledgerWith('a');
    ledger.onMark('ETHUSDT', 2000);
    ledger.onFill({ strategy: 'a', symbol: 'ETHUSDT', side: 'buy', quantity: 1, price: 1990, time: 0 });
    expect(ledger.strategy('a')?.unrealizedPnl).toBe(10);
    ledger.onFill({ strategy: 'a', symbol: 'BTCUSDT', side: 'buy', quantity: 1, price: 50_000, time: 0 });
    expect(ledger.strategy('a')?.positions[1]).toMatchObject({ mark: 50_000, unrealizedPnl: 0 });
  });

  it('closes a position exactly despite float dust (0.1 + 0.2 then sell 0.3)', () => {
    const { ledger } = ledgerWith('a');
    ledger.onFill({ strategy: 'a', symbol: 'X', side: 'buy', quantity: 0.1, price: 10, time: 0 });
    ledger.onFill({ strategy: 'a', symbol: 'X', side: 'buy', quantity: 0.2, price: 10, time: 0 });
    ledger.onFill({ strategy: 'a', symbol: 'X', side: 'sell', quantity: 0.3, price: 10, time: 0 });
    const s = ledger.strategy('a');
    expect(s?.positions[0]?.quantity).toBe(0);
    expect(s?.breakEvenTrades).toBe(1);
    expect(s?.totalPnl).toBe(0);
  });

  it('auto-registers on the first fill when asked to', () => {
    const sm = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue });
    const ledger = new TradingLedger({ metrics: sm, autoRegister: true });
    ledger.onFill({ strategy: 'new', symbol: 'X', side: 'sell', quantity: 1, price: 10, fee: 0.5, time: 0 });
    expect(ledger.strategy('new')?.positions[0]?.quantity).toBe(-1);
    const x = exposed(sm);
    expect(x.value(sm.realizedPnl.name, { strategy: 'new' })).toBe(-0.5);
    expect(x.value(sm.sharpe.name, { strategy: 'new' })).toBeNaN();
  });

  it('books a strategy registered after sampling started from the next boundary', () => {
    const sm = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue });
    const ledger = new TradingLedger({ metrics: sm, sharpe: { periodMs: 1000 } });
    ledger.sample(0);
    ledger.register('late');
    ledger.onFill({ strategy: 'late', symbol: 'X', side: 'buy', quantity: 1, price: 10, fee: 1, time: 0 });
    expect(ledger.sample(1000)).toBe(true); // baseline at -1, no return
    expect(ledger.strategy('late')?.returns).toBe(0);
    expect(ledger.sample(1500)).toBe(false);
    ledger.onMark('X', 12);
    expect(ledger.sample(2000)).toBe(true);
    expect(ledger.strategy('late')?.returns).toBe(1);
  });

  it('zero variance leaves the Sharpe ratio NaN; skipped periods are counted', () => {
    const sm = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue });
    const ledger = new TradingLedger({ metrics: sm, sharpe: { periodMs: 10 } });
    ledger.register('flat');
    for (let t = 0; t <= 50; t += 10) ledger.sample(t);
    expect(ledger.strategy('flat')?.returns).toBe(5);
    expect(exposed(sm).value(sm.sharpe.name, { strategy: 'flat' })).toBeNaN();
    ledger.sample(95); // crosses 60, 70, 80, 90: one return, three skipped
    expect(ledger.strategy('flat')?.returns).toBe(6);
    expect(ledger.snapshot().skippedPeriods).toBe(3);
  });

  it('a second winning round trip moves the averages and the Sharpe becomes finite', () => {
    const sm = new StrategyMetrics({ onInvalidValue: throwOnInvalidValue });
    const ledger = new TradingLedger({ metrics: sm, sharpe: { periodMs: 1, periodsPerYear: 4 } });
    ledger.register('a');
    ledger.sample(0);
    ledger.onFill({ strategy: 'a', symbol: 'X', side: 'buy', quantity: 1, price: 10, time: 0 });
    ledger.onFill({ strategy: 'a', symbol: 'X', side: 'sell', quantity: 1, price: 11, time: 0 });
    ledger.sample(1); // r = 1
    ledger.onFill({ strategy: 'a', symbol: 'X', side: 'buy', quantity: 1, price: 10, time: 0 });
    ledger.onFill({ strategy: 'a', symbol: 'X', side: 'sell', quantity: 1, price: 13, time: 0 });
    ledger.sample(2); // r = 3: mean 2, sd √2, × √4
    const x = exposed(sm);
    expect(x.value(sm.avgProfit.name, { strategy: 'a' })).toBe(2);
    expect(x.value(sm.sharpe.name, { strategy: 'a' })).toBeCloseTo((2 / Math.SQRT2) * 2, 12);
  });
});

describe('TradingLedger: bad input is rejected before any change', () => {
  const good: Fill = { strategy: 's1', symbol: 'BTCUSDT', side: 'buy', quantity: 1, price: 100, fee: 0.1, time: 5 };

  const cases: [string, Record<string, unknown>, string][] = [
    ['zero quantity', { quantity: 0 }, 'quantity'],
    ['negative quantity', { quantity: -1 }, 'quantity'],
    ['NaN quantity', { quantity: Number.NaN }, 'quantity'],
    ['infinite quantity', { quantity: Number.POSITIVE_INFINITY }, 'quantity'],
    ['string quantity', { quantity: '1' }, 'quantity'],
    ['NaN price', { price: Number.NaN }, 'price'],
    ['infinite price', { price: Number.POSITIVE_INFINITY }, 'price'],
    ['zero price', { price: 0 }, 'price'],
    ['negative price', { price: -5 }, 'price'],
    ['negative fee', { fee: -0.01 }, 'fee'],
    ['NaN fee', { fee: Number.NaN }, 'fee'],
    ['unknown side', { side: 'short' }, 'side'],
    ['missing side', { side: undefined }, 'side'],
    ['non-finite time', { time: Number.NaN }, 'time'],
    ['missing time', { time: undefined }, 'time'],
    ['empty symbol', { symbol: '' }, 'symbol'],
    ['unregistered strategy', { strategy: 'ghost' }, 'strategy'],
  ];

  function primed() {
    const { sm, gw, ledger } = setup();
    ledger.onFill({ ...good, time: 1 });
    ledger.onMark('BTCUSDT', 101);
    const text = new PrometheusWriter([sm, gw]).renderText();
    return { sm, gw, ledger, text, state: ledger.snapshot() };
  }

  it.each(cases)('%s → LedgerInputError on the field, state and metrics unchanged', (_, patch, field) => {
    const { sm, gw, ledger, text, state } = primed();
    const bad = { ...good, ...patch } as Fill;
    let caught: unknown;
    try {
      ledger.onFill(bad);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LedgerInputError);
    const error = caught as LedgerInputError;
    expect(error.name).toBe('LedgerInputError');
    expect(error.field).toBe(field);
    expect(error.value).toBe((bad as unknown as Record<string, unknown>)[field]);
    expect(error.index).toBe(-1);
    expect(error.message).toContain(`${field}: got `);
    expect(ledger.snapshot()).toEqual(state);
    expect(new PrometheusWriter([sm, gw]).renderText()).toBe(text);
  });

  it('a batch with one bad fill changes nothing and names its index', () => {
    const { sm, gw, ledger, text, state } = primed();
    const batch = [good, { ...good, side: 'sell' as const }, { ...good, quantity: 0 }];
    expect(() => ledger.onFills(batch)).toThrow(
      expect.objectContaining({ name: 'LedgerInputError', field: 'quantity', index: 2 }),
    );
    expect(ledger.snapshot()).toEqual(state);
    expect(new PrometheusWriter([sm, gw]).renderText()).toBe(text);
  });

  it('rejects bad marks, a non-object fill and a non-finite sample time', () => {
    const { ledger, state } = primed();
    expect(() => ledger.onMark('BTCUSDT', Number.NaN)).toThrow(expect.objectContaining({ field: 'price' }));
    expect(() => ledger.onMark('BTCUSDT', 0)).toThrow(expect.objectContaining({ field: 'price' }));
    expect(() => ledger.onMark('', 1)).toThrow(expect.objectContaining({ field: 'symbol' }));
    expect(() => ledger.onFill(null as unknown as Fill)).toThrow(expect.objectContaining({ field: 'fill' }));
    expect(() => ledger.onFills('fills' as unknown as Fill[])).toThrow(expect.objectContaining({ field: 'fills' }));
    expect(() => ledger.sample(Number.POSITIVE_INFINITY)).toThrow(expect.objectContaining({ field: 'now' }));
    expect(ledger.snapshot()).toEqual(state);
  });

  it('rejects bad registrations and options', () => {
    const sm = new StrategyMetrics();
    const ledger = new TradingLedger({ metrics: sm });
    ledger.register('a');
    expect(() => ledger.register('a')).toThrow(
      expect.objectContaining({ field: 'strategy', reason: 'is already registered' }),
    );
    expect(() => ledger.register('')).toThrow(expect.objectContaining({ field: 'strategy' }));
    expect(() => ledger.register('b', { capitalBase: 0 })).toThrow(expect.objectContaining({ field: 'capitalBase' }));
    expect(ledger.strategy('b')).toBeUndefined();
    const withRate = new TradingLedger({ metrics: new StrategyMetrics(), sharpe: { riskFreeRate: 0.04 } });
    expect(() => withRate.register('c')).toThrow(expect.objectContaining({ field: 'capitalBase' }));
    withRate.register('c', { capitalBase: 1000 });
    expect(() => new TradingLedger({ metrics: sm, sharpe: { periodMs: 0 } })).toThrow(
      expect.objectContaining({ field: 'sharpe.periodMs' }),
    );
    expect(() => new TradingLedger({ metrics: sm, sharpe: { minSamples: 1 } })).toThrow(
      expect.objectContaining({ field: 'sharpe.minSamples' }),
    );
    expect(() => new TradingLedger({ metrics: sm, autoRegister: true, sharpe: { riskFreeRate: 0.01 } })).toThrow(
      expect.objectContaining({ field: 'autoRegister' }),
    );
  });
});
