import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusWriter } from '@ttquant/metrics';
import { readExposition } from '@ttquant/test-kit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { directoryBytes } from '../shared/directory-bytes.js';
import { createLogger } from '../shared/logger.js';
import type { Venue } from '../shared/protocol.js';
import { TickBufferMetrics } from './buffer-metrics.js';
import { openPgliteWorker, type SqlClient } from './database.js';
import { TickRetention, type TickRetentionOptions } from './tick-retention.js';
import { TICK_SCHEMA } from './tick-store.js';

// Retention against real PGlite on disk (the service's default store): age and size bounds, rows
// of other venues left alone, deletes counted, and the files stop growing once the bound is reached.

const logger = createLogger('retention-test', { LOG_LEVEL: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'retention-'));
let db: SqlClient;
const NOW = Date.parse('2026-12-04T12:00:00Z');

beforeAll(async () => {
  db = await openPgliteWorker(join(dir, 'ticks'), logger);
  await db.exec(TICK_SCHEMA);
}, 60_000);
afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await db.exec('TRUNCATE trades, tickers, books');
});

/** `n` trades of a venue, one per `stepMs` of exchange time ending at `end`. */
async function insert(exchange: Venue, n: number, end: number, stepMs: number): Promise<void> {
  const times = Array.from({ length: n }, (_, i) => (end - (n - 1 - i) * stepMs) / 1000);
  await db.query(
    `INSERT INTO trades (time, received_at, exchange, symbol, price, quantity, side)
     SELECT to_timestamp(t), to_timestamp(t), $1, 'BTCUSDT', 100, 1, 'buy' FROM unnest($2::float8[]) t`,
    [exchange, times],
  );
}

async function rows(exchange: Venue): Promise<number> {
  const r = await db.query('SELECT count(*)::int AS n FROM trades WHERE exchange = $1', [exchange]);
  return (r.rows[0] as { n: number }).n;
}

function retention(options: Partial<TickRetentionOptions>, metrics = new TickBufferMetrics()) {
  return new TickRetention({
    client: db,
    exchanges: ['binance'],
    maxAgeMs: 0,
    maxBytes: 0,
    batchRows: 1_000,
    metrics: {
      deleted: (exchange) => metrics.retentionDeleted.bind({ exchange }),
      bytes: (exchange) => metrics.storeBytes.bind({ exchange }),
    },
    written: () => 0,
    logger,
    now: () => NOW,
    ...options,
  });
}

function exposed(metrics: TickBufferMetrics, name: string, exchange: Venue): number | undefined {
  return readExposition(new PrometheusWriter([metrics], { selfMetrics: false }).renderText()).value(name, { exchange });
}

describe('TickRetention', () => {
  it('deletes the venue’s ticks older than the age bound, in batches, counts them, and leaves other venues alone', async () => {
    // 5,000 binance trades one second apart up to NOW: 1,400 of them older than an hour... and okx's all old.
    await insert('binance', 5_000, NOW, 1_000);
    await insert('okx', 300, NOW - 10 * 3_600_000, 1_000);
    const metrics = new TickBufferMetrics();
    const byAge = retention({ maxAgeMs: 3_600_000 }, metrics);
    const pass = await byAge.run();
    expect(pass?.deleted.binance).toBe(5_000 - 3_601);
    expect(byAge.deleted).toBe(5_000 - 3_601);
    expect(await rows('binance')).toBe(3_601);
    expect(await rows('okx')).toBe(300);
    expect(exposed(metrics, 'db_retention_deleted_ticks_total', 'binance')).toBe(5_000 - 3_601);
    expect(exposed(metrics, 'db_tick_store_bytes', 'binance')).toBeGreaterThan(0);
  });

  it('keeps the venue’s share under the size bound, oldest first, and the tables stop growing once it is reached', async () => {
    const metrics = new TickBufferMetrics();
    let written = 0;
    const r = retention({ maxBytes: 2 * 1024 * 1024, written: () => written }, metrics);
    const sizes: number[] = [];
    let end = NOW - 100 * 3_600_000;
    for (let round = 0; round < 12; round++) {
      await insert('binance', 5_000, end, 10);
      written += 5_000;
      end += 50_000;
      const pass = await r.run();
      sizes.push(pass?.tableBytes ?? Number.NaN);
    }
    const deleted = exposed(metrics, 'db_retention_deleted_ticks_total', 'binance') ?? 0;
    expect(deleted).toBeGreaterThan(0);
    expect(await rows('binance')).toBe(written - deleted);
    // The newest rows stay: the last round's all there.
    const newest = await db.query('SELECT count(*)::int AS n FROM trades WHERE time > to_timestamp($1)', [
      (end - 100_000) / 1000,
    ]);
    expect((newest.rows[0] as { n: number }).n).toBe(5_000);
    // Once the bound is reached, the files stop growing: the last rounds reuse the vacuumed space.
    const reached = sizes.findIndex((s) => s >= 2 * 1024 * 1024 * 0.9);
    expect(reached, JSON.stringify(sizes)).toBeGreaterThanOrEqual(0);
    const after = sizes.slice(reached + 2);
    expect(Math.max(...after), JSON.stringify(sizes)).toBeLessThanOrEqual(
      Math.max(...sizes.slice(0, reached + 2)) * 1.25,
    );
    console.log(`retention by size: table bytes per round ${JSON.stringify(sizes)}, deleted ${deleted}`);
  }, 60_000);

  it('keeps PGlite’s write-ahead log bounded: a checkpoint every pass (PGlite has no checkpointer)', async () => {
    let written = 0;
    const r = retention({ maxBytes: 4 * 1024 * 1024, written: () => written });
    const wal: number[] = [];
    let end = NOW - 200 * 3_600_000;
    for (let round = 0; round < 16; round++) {
      await insert('binance', 25_000, end, 1);
      written += 25_000;
      end += 30_000;
      await r.run();
      wal.push(Math.round((await directoryBytes(join(dir, 'ticks', 'pg_wal'))) / 1024 / 1024));
    }
    // 400k rows put well over 100 MB through the log; recycled at each checkpoint, it stays near
    // PostgreSQL's min_wal_size (80 MB) instead.
    expect(Math.max(...wal), JSON.stringify(wal)).toBeLessThanOrEqual(96);
    console.log(`write-ahead log, MB after each pass: ${JSON.stringify(wal)}`);
  }, 120_000);
});
