import {
  type EngineMetrics,
  type GatewayMetrics,
  type HistogramHandle,
  type MarketDataMetrics,
  type StrategyMetrics,
  TradingLedger,
} from '@ttquant/metrics';
import { createQuotes, type Quote, seededRandom, step } from './synthetic-market.js';

// Synthetic activity for every one of the 43 metrics, driven by one seeded random walk. Each metric
// moves for the reason its HELP text gives (a fill moves trades and PnL, a forced disconnect moves
// the reconnect counter...). The example-pipeline issue replaces this with a simulated exchange over
// WebSocket, ZeroMQ and a database.

/** The catalogs the demo drives. */
export interface DemoCatalogs {
  readonly md: MarketDataMetrics;
  readonly gw: GatewayMetrics;
  readonly strategy: StrategyMetrics;
  readonly engine: EngineMetrics;
}

interface StrategyState {
  readonly name: string;
  readonly latency: HistogramHandle;
  readonly quote: Quote;
  readonly ledger: TradingLedger;
  fast: number;
  slow: number;
  position: number;
}

const TICK_MS = 20;
const ORDER_QTY: Readonly<Record<string, number>> = { BTCUSDT: 0.01, ETHUSDT: 0.2, SOLUSDT: 5 };
const MAX_POSITION_UNITS = 3;
const FEE_RATE = 0.0004;

/**
 * Starts the simulation loop.
 *
 * @param catalogs - where to record
 * @param seed - random seed
 * @returns a function that stops the loop
 */
export function startSimulation(catalogs: DemoCatalogs, seed = 42): () => void {
  const { md, gw, strategy, engine } = catalogs;
  const random = seededRandom(seed);
  const quotes = createQuotes();
  const started = Date.now();
  const ledgers = {
    binance: new TradingLedger({
      metrics: strategy,
      gateway: { metrics: gw, exchange: 'binance' },
      sharpe: demoSharpe,
    }),
    okx: new TradingLedger({ metrics: strategy, gateway: { metrics: gw, exchange: 'okx' }, sharpe: demoSharpe }),
  };
  const strategies: StrategyState[] = [
    {
      name: 'ma_cross',
      latency: engine.strategyLatency.bind({ strategy: 'ma_cross' }),
      quote: find(quotes, 'binance', 'BTCUSDT'),
      ledger: ledgers.binance,
      fast: 0,
      slow: 0,
      position: 0,
    },
    {
      name: 'mean_revert',
      latency: engine.strategyLatency.bind({ strategy: 'mean_revert' }),
      quote: find(quotes, 'okx', 'ETHUSDT'),
      ledger: ledgers.okx,
      fast: 0,
      slow: 0,
      position: 0,
    },
  ];
  for (const s of strategies) {
    s.ledger.register(s.name, { capitalBase: 100_000 });
    s.fast = s.quote.price;
    s.slow = s.quote.price;
  }
  engine.activeStrategies.bind().set(strategies.length);
  const uptime = engine.uptime.bind();
  engine.beforeCollect(() => uptime.set((Date.now() - started) / 1000));

  const connected = {
    binance: md.connectionStatus.bind({ exchange: 'binance' }),
    okx: md.connectionStatus.bind({ exchange: 'okx' }),
  };
  connected.binance.set(1);
  connected.okx.set(1);
  const pendingRows = { binance: 0, okx: 0 };
  let tick = 0;

  const loop = setInterval(() => {
    tick++;
    for (const quote of quotes) {
      const ex = quote.exchange;
      if (connected[ex].value === 0) continue;
      // One message in 200 arrives malformed and is counted, not parsed.
      if (random() < 0.005) {
        md.parseErrors.inc({ exchange: ex, reason: random() < 0.5 ? 'invalid_json' : 'missing_field' });
        continue;
      }
      const price = step(quote, random);
      const type = tick % 10 === 0 ? 'ticker' : random() < 0.5 ? 'book' : 'trade';
      md.received.inc({ exchange: ex, symbol: quote.symbol, type });
      // Exchange-to-receive delay: a few ms, with rare spikes past the alert threshold.
      const latency = random() < 0.001 ? 1_500 + random() * 2_000 : Math.exp(1 + random() * 1.5);
      md.latency.observe({ exchange: ex, type }, latency);
      md.zmqPublished.inc({ exchange: ex, type });
      md.lastPrice.set({ exchange: ex, symbol: quote.symbol }, price);
      if (type === 'ticker') md.volume24h.set({ exchange: ex, symbol: quote.symbol }, quote.volume24h);
      pendingRows[ex]++;
      engine.marketDataReceived.inc({ exchange: ex, type });
      ledgers[ex].onMark(quote.symbol, price);
    }
    for (const s of strategies) decide(s, catalogs, random);

    // Every 25 ticks (500 ms) the batch of ticks goes to the database; 5% of attempts time out and
    // the rows stay buffered for the next attempt.
    if (tick % 25 === 0) {
      for (const ex of ['binance', 'okx'] as const) {
        if (pendingRows[ex] === 0) continue;
        if (random() < 0.05) md.dbWriteErrors.inc({ exchange: ex, reason: 'timeout' });
        else {
          md.dbWrites.add({ exchange: ex, table: 'trades' }, pendingRows[ex]);
          pendingRows[ex] = 0;
        }
      }
    }
    // Every 30 s, starting 3 s in, one venue (in turn) drops the WebSocket for one second and the
    // feed reconnects.
    if (tick % 1_500 === 150 || tick % 1_500 === 200) {
      const ex = tick % 3_000 < 1_500 ? 'binance' : 'okx';
      if (connected[ex].value === 1) connected[ex].set(0);
      else {
        md.reconnects.inc({ exchange: ex });
        connected[ex].set(1);
      }
    }
    if (tick % 50 === 0) for (const ledger of Object.values(ledgers)) ledger.sample(Date.now());
  }, TICK_MS);
  return () => clearInterval(loop);
}

// Sharpe over 5-second periods so the demo shows a value within a minute; annualised as if a
// period were a trading day (252 per year). A real service samples daily.
const demoSharpe = { periodMs: 5_000, periodsPerYear: 252, minSamples: 2 };

function find(quotes: Quote[], exchange: string, symbol: string): Quote {
  const quote = quotes.find((q) => q.exchange === exchange && q.symbol === symbol);
  if (quote === undefined) throw new Error(`demo: no quote ${exchange}/${symbol}`);
  return quote;
}

/** One strategy decision on the latest price, then the order's trip through the gateway. */
function decide(s: StrategyState, { gw, engine }: DemoCatalogs, random: () => number): void {
  const start = performance.now();
  const price = s.quote.price;
  s.fast += 0.2 * (price - s.fast);
  s.slow += 0.02 * (price - s.slow);
  let side: 'buy' | 'sell' | undefined;
  const spread = (s.fast - s.slow) / s.slow;
  if (s.name === 'ma_cross') side = spread > 0.0004 ? 'buy' : spread < -0.0004 ? 'sell' : undefined;
  else side = spread > 0.0006 ? 'sell' : spread < -0.0006 ? 'buy' : undefined;
  s.latency.observeSince(start);
  if (side === undefined || random() > 0.1) return;

  const exchange = s.quote.exchange;
  const symbol = s.quote.symbol;
  const qty = ORDER_QTY[symbol] ?? 1;
  engine.ordersSent.inc({ strategy: s.name, exchange, side });
  gw.orders.inc({ exchange, symbol, side, type: 'market' });
  const next = s.position + (side === 'buy' ? 1 : -1);
  if (Math.abs(next) > MAX_POSITION_UNITS) {
    gw.ordersRiskRejected.inc({ exchange, rule: 'max_position' });
    return;
  }
  const roll = random();
  if (roll < 0.02) {
    gw.rateLimitHits.inc({ exchange, endpoint: 'order' });
    gw.orderRetries.inc({ exchange, reason: 'rate_limited' });
  } else if (roll < 0.05) {
    gw.orderRetries.inc({ exchange, reason: 'timeout' });
  } else if (roll < 0.08) {
    gw.ordersFailed.inc({ exchange, reason: 'exchange_rejected' });
    return;
  }
  const active = gw.activeOrders.bind({ exchange, symbol });
  active.inc();
  gw.orderLatency.observe({ exchange, operation: 'new' }, 2 + random() * 40 + (roll < 0.05 ? 250 : 0));
  gw.ordersSuccess.inc({ exchange, symbol, side });
  const fillPrice = price * (1 + (side === 'buy' ? 1 : -1) * 0.0001);
  const fee = fillPrice * qty * FEE_RATE;
  gw.trades.inc({ exchange, symbol, side });
  gw.tradeVolume.add({ exchange, symbol, side }, fillPrice * qty);
  gw.commission.add({ exchange, symbol }, fee);
  active.dec();
  s.position = next;
  engine.tradesReceived.inc({ strategy: s.name, exchange });
  s.ledger.onFill({ strategy: s.name, symbol, side, quantity: qty, price: fillPrice, fee, time: Date.now() });
}
