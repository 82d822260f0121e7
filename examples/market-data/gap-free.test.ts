import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrometheusWriter } from '@ttquant/metrics';
import { pollUntil, readExposition } from '@ttquant/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { readExchangeConfig } from '../fixtures/exchange/config.js';
import { type Exchange, startExchange } from '../fixtures/exchange/service.js';
import { createLogger } from '../shared/logger.js';
import { VENUES } from '../shared/protocol.js';
import { readMarketDataConfig } from './config.js';
import { pgliteClient } from './database.js';
import { type MarketDataHandle, startMarketData } from './service.js';

// Gap-free ticks against the real simulated exchange: it numbers every message per venue, corrupts
// some and drops the connections every 700 ms; market data detects each skipped number, fetches the
// missing messages from the exchange's replay, and stores each (venue, session, sequence) once. A
// first process is stopped with its database down (its buffer full, the ticks that found no room
// left for the replay) and no time to flush, so its ticks are only in the spool; the second takes
// them back, resumes from the checkpoint and recovers what went by while no process listened.

const logger = createLogger('gap-free-test', { LOG_LEVEL: process.env.TEST_LOG ?? 'silent' });
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** A feed-integrity count over both venues, read from the catalog's own exposition. */
function sum(md: MarketDataHandle, metric: 'gaps' | 'recovered' | 'lost' | 'duplicates' | 'deferred'): number {
  const read = readExposition(new PrometheusWriter([md.sequenceMetrics], { selfMetrics: false }).renderText());
  const m = md.sequenceMetrics;
  if (metric === 'gaps') return read.sum(m.gaps.name) ?? 0;
  if (metric === 'duplicates') return read.sum(m.duplicates.name) ?? 0;
  if (metric === 'deferred') return read.sum(m.deferred.name) ?? 0;
  return read.sum(m.gapMessages.name, { outcome: metric }) ?? 0;
}

describe('gap-free ticks against the simulated exchange', () => {
  it('stores every numbered message exactly once across gaps, a stop with the database down, and a restart', async () => {
    const exchange: Exchange = await startExchange({
      ...readExchangeConfig({}),
      port: 0,
      tickMs: 2,
      faults: { ...readExchangeConfig({}).faults, malformedFraction: 0.03, dropEveryMs: 700 },
    });
    cleanup.push(() => exchange.close());
    const pglite = new PGlite();
    await pglite.waitReady;
    cleanup.push(() => pglite.close());
    const spoolDir = mkdtempSync(join(tmpdir(), 'gap-free-'));
    cleanup.push(() => rmSync(spoolDir, { recursive: true, force: true }));
    const config = readMarketDataConfig({
      EXCHANGE_URL: exchange.url,
      MD_ZMQ_ENDPOINT: 'tcp://127.0.0.1:*',
      MD_METRICS_PORT: '0',
      MD_FEED_THREADS: '0',
      MD_RECONNECT_MIN_MS: '20',
      MD_RECONNECT_MAX_MS: '50',
      MD_SPOOL_DIR: spoolDir,
      MD_CHECKPOINT_MS: '50',
      DB_FLUSH_MS: '50',
      DB_SHUTDOWN_FLUSH_MS: '0',
      DB_BUFFER_MAX: '3000',
    });
    const database = pgliteClient(pglite, false);

    // First life: gaps come and are recovered.
    const first = await startMarketData(config, { logger, database });
    await pollUntil(() => sum(first, 'recovered') > 50 && first.counts().written > 2_000, 'gaps recovered', 20_000);
    // Then the database goes down: ticks pile up in the buffer (and the spool) until it is full, the
    // next are left for the exchange's replay, and the process stops without a moment to flush.
    first.injectFault(60_000);
    await pollUntil(() => sum(first, 'deferred') > 200, 'ticks deferred with the buffer full', 15_000);
    const firstCounts = await first.close();
    expect(firstCounts.buffered).toBeGreaterThan(500);
    const firstFigures = {
      gaps: sum(first, 'gaps'),
      recovered: sum(first, 'recovered'),
      lost: sum(first, 'lost'),
      deferred: sum(first, 'deferred'),
    };
    expect(firstCounts.dropped).toBe(0);

    // Away for a while: the exchange keeps numbering messages nobody receives.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const second = await startMarketData(config, { logger, database });
    cleanup.push(() => second.close());
    // Every row still buffered, and the committed rows that shared a spool segment with them (the
    // database skips those as duplicates).
    const restored = second.counts().restored;
    expect(restored).toBeGreaterThanOrEqual(firstCounts.buffered);
    const target = Object.fromEntries(VENUES.map((v) => [v, exchange.stats().feed[v].lastSequence]));
    await pollUntil(
      async () => {
        if (second.gapsPending > 0 || second.counts().buffered > 0) return false;
        const r = await pglite.query<{ exchange: string; max: number }>(
          `SELECT exchange, max(sequence)::float8 AS max FROM (${UNION}) u GROUP BY exchange`,
        );
        return VENUES.every((v) => (r.rows.find((row) => row.exchange === v)?.max ?? 0) >= (target[v] ?? 0));
      },
      'every message up to the target stored',
      30_000,
    );
    const final = await second.close();
    expect(final.received + final.restored).toBe(final.written + final.duplicates + final.dropped + final.buffered);
    expect(final.duplicates).toBeGreaterThanOrEqual(restored - firstCounts.buffered);
    expect(final.dropped).toBe(0);

    const sessions = await pglite.query<{
      exchange: string;
      feed: string;
      n: number;
      distinct: number;
      lo: number;
      hi: number;
    }>(
      `SELECT exchange, feed, count(*)::float8 AS n, count(DISTINCT sequence)::float8 AS distinct,
              min(sequence)::float8 AS lo, max(sequence)::float8 AS hi FROM (${UNION}) u GROUP BY exchange, feed`,
    );
    expect(sessions.rows).toHaveLength(VENUES.length);
    for (const s of sessions.rows) {
      expect(s.feed).toBe(exchange.stats().feed[s.exchange as 'binance'].session);
      // Exactly once each, and no number missing between the first stored and the last.
      expect(s.n, `${s.exchange}`).toBe(s.distinct);
      expect(s.n, `${s.exchange}`).toBe(s.hi - s.lo + 1);
      expect(s.hi).toBeGreaterThanOrEqual(target[s.exchange] ?? 0);
    }
    const figures = {
      firstLife: { ...firstCounts, ...firstFigures },
      secondLife: {
        ...final,
        gaps: sum(second, 'gaps'),
        recovered: sum(second, 'recovered'),
        lost: sum(second, 'lost'),
      },
      stored: sessions.rows,
    };
    console.log(`gap-free figures: ${JSON.stringify(figures)}`);
    expect(firstFigures.gaps).toBeGreaterThan(0);
    expect(firstFigures.lost + figures.secondLife.lost).toBe(0);
    // The restart's gap: the messages that went by while no process listened, recovered.
    expect(figures.secondLife.gaps).toBeGreaterThan(0);
    expect(figures.secondLife.recovered).toBeGreaterThan(0);
  }, 90_000);
});

describe('the spool folder', () => {
  it('refuses to start on a spool folder it cannot use, naming MD_SPOOL_DIR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gap-free-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'not-a-folder');
    writeFileSync(file, 'x');
    const pglite = new PGlite();
    cleanup.push(() => pglite.close());
    const config = readMarketDataConfig({ MD_SPOOL_DIR: file, MD_METRICS_PORT: '0', MD_FEED_THREADS: '0' });
    await expect(startMarketData(config, { logger, database: pgliteClient(pglite, false) })).rejects.toThrow(
      `MD_SPOOL_DIR=${file}: cannot be used`,
    );
  });
});

const UNION = ['trades', 'tickers', 'books']
  .map((t) => `SELECT exchange, feed, sequence FROM ${t}`)
  .join(' UNION ALL ');
