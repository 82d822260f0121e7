import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../shared/logger.js';
import { TickSpool } from './tick-spool.js';
import type { TickRecord } from './tick-store.js';

const logger = createLogger('spool-test', { LOG_LEVEL: 'silent' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tick-spool-'));
  dirs.push(d);
  return d;
}

function row(sequence: number, exchange: 'binance' | 'okx' = 'binance'): TickRecord {
  return {
    exchange,
    symbol: 'BTCUSDT',
    type: 'trade',
    price: 100 + sequence,
    quantity: 1,
    volume24h: 0,
    exchangeTime: 1_700_000_000_000 + sequence,
    receivedTime: 1_700_000_000_001 + sequence,
    side: 'buy',
    bidPrice: 0,
    bidQty: 0,
    askPrice: 0,
    askQty: 0,
    session: `${exchange}-s1`,
    sequence,
  };
}

const segments = (dir: string, venue: string) => readdirSync(join(dir, venue)).filter((n) => n.endsWith('.ndjson'));

describe('TickSpool', () => {
  it('gives back, after a process left without releasing, exactly the rows not released, in order', () => {
    const dir = tempDir();
    const first = TickSpool.open(dir, ['binance', 'okx'], logger, 4);
    expect(first.leftovers.rows).toEqual([]);
    for (let s = 1; s <= 10; s++) first.spool.append(row(s));
    first.spool.append(row(1, 'okx'));
    first.spool.flush();
    expect(segments(dir, 'binance')).toHaveLength(3); // 4 + 4 + 2 rows
    first.spool.release('binance', 5); // rows 1-5 committed: the first segment (1-4) goes
    expect(segments(dir, 'binance')).toHaveLength(2);
    first.spool.checkpoint('binance', { session: 'binance-s1', next: 11 });
    // No close(): the process was killed.
    const second = TickSpool.open(dir, ['binance', 'okx'], logger, 4);
    // Rows 5-10 (5 was released, but shares a segment with 6-8: sent again, skipped by the database).
    expect(second.leftovers.rows.map((r) => `${r.exchange}:${r.sequence}`)).toEqual([
      'binance:5',
      'binance:6',
      'binance:7',
      'binance:8',
      'binance:9',
      'binance:10',
      'okx:1',
    ]);
    expect(second.leftovers.checkpoints.get('binance')).toEqual({ session: 'binance-s1', next: 11 });
    expect(second.leftovers.checkpoints.get('okx')).toBeUndefined();
    // Spooled again by the new process, the old files go.
    for (const r of second.leftovers.rows) second.spool.append(r);
    second.spool.flush();
    second.spool.release('binance', 6);
    second.spool.release('okx', 1);
    second.spool.close();
    expect(segments(dir, 'binance')).toEqual([]);
    expect(TickSpool.open(dir, ['binance', 'okx'], logger).leftovers.rows).toEqual([]);
  });

  it('skips a line torn by a kill, and rows of another venue or of the wrong shape, counting them', () => {
    const dir = tempDir();
    const { spool } = TickSpool.open(dir, ['binance'], logger);
    spool.append(row(1));
    spool.append(row(2));
    spool.flush();
    const file = join(dir, 'binance', segments(dir, 'binance')[0] as string);
    appendFileSync(
      file,
      `${JSON.stringify(row(3, 'okx'))}\n${JSON.stringify({ ...row(4), price: 'x' })}\n{"exchange":"bin`,
    );
    const again = TickSpool.open(dir, ['binance'], logger);
    expect(again.leftovers.rows.map((r) => r.sequence)).toEqual([1, 2]);
    expect(again.leftovers.unreadable).toBe(3);
  });
});
