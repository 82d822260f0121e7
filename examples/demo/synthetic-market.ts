/**
 * A seeded random walk of prices for a few symbols on two venues: deterministic for a given seed,
 * so two demo runs move alike. Issue 4 replaces this with a simulated exchange over WebSocket.
 */
export interface Quote {
  readonly exchange: 'binance' | 'okx';
  readonly symbol: string;
  price: number;
  volume24h: number;
}

/** Mulberry32: a tiny, fast, seeded PRNG (good enough for a demo walk). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const START_PRICES: Readonly<Record<string, number>> = { BTCUSDT: 65_000, ETHUSDT: 3_200, SOLUSDT: 150 };

/** Creates the quotes of both venues for the demo symbols. */
export function createQuotes(): Quote[] {
  const quotes: Quote[] = [];
  for (const exchange of ['binance', 'okx'] as const) {
    for (const [symbol, price] of Object.entries(START_PRICES)) {
      quotes.push({ exchange, symbol, price, volume24h: 10_000 + price / 10 });
    }
  }
  return quotes;
}

/** Moves one quote by a small log-normal step and returns the new price. */
export function step(quote: Quote, random: () => number): number {
  const shock = (random() - 0.5) * 0.002;
  quote.price = Math.max(0.01, quote.price * Math.exp(shock));
  quote.volume24h = Math.max(0, quote.volume24h + (random() - 0.45) * 5);
  return quote.price;
}
