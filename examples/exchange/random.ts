// Seeded randomness for the simulated exchange. Each concern (a symbol's price walk, a venue's feed
// faults, a venue's order faults) draws from its own stream derived from EXCHANGE_SEED, so the n-th
// draw of one stream never depends on how busy another stream was: the k-th tick of BTCUSDT on
// binance has the same price in every run with the same seed.

/**
 * Mulberry32: a tiny, fast, seeded PRNG (32-bit state; plenty for a simulation).
 *
 * @param seed - any integer; only its low 32 bits are used
 * @returns a function returning uniform numbers in [0, 1)
 */
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

/**
 * Derives the seed of one named stream from the run's seed (FNV-1a over the seed and the names).
 *
 * @param seed - the run's seed (EXCHANGE_SEED)
 * @param parts - names of the stream, e.g. `'walk', 'binance', 'BTCUSDT'`
 * @returns a 32-bit seed for {@link seededRandom}
 */
export function deriveSeed(seed: number, ...parts: readonly string[]): number {
  let h = 0x811c9dc5;
  const text = `${seed >>> 0}:${parts.join(':')}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
