import { catalog, closed, counter, gauge, marketDataDefinitions } from '@ttquant/metrics';
import type { TickCounts } from './tick-store.js';

// This example's own tick accounting, beside MarketDataMetrics: the ticks waiting in memory for the
// database, the rows a restarted service took back from its spool, and the rows the database
// already had. With them, one scrape balances the tick counts exactly:
//
//   sum(market_data_received_total) + sum(db_spool_restored_ticks_total)
//     = sum(db_writes_total) + sum(db_duplicate_ticks_total)
//       + sum(db_write_errors_total{reason="dropped"}) + sum(db_buffered_ticks)
//
// It is set in a beforeCollect hook that runs with the collection of the counters, on the thread
// that counts them (in the render itself, or, with /metrics in a worker thread, in the snapshot
// that thread takes for each scrape), so the four numbers are of one instant; the tick path pays
// nothing for it.

const exchange = closed('binance', 'okx');
const area = closed('heap_total', 'heap_used', 'external');

/** Declarations of the market-data example's own tick accounting (a user-defined catalog). */
export const tickBufferDefinitions = {
  buffered: gauge(
    'db_buffered_ticks',
    'Ticks received and waiting in memory for the database (received + restored = written + duplicates + dropped + buffered).',
    { exchange },
    { unit: '1' },
  ),
  restored: counter(
    'db_spool_restored_ticks_total',
    'Ticks an earlier process had spooled to disk but not seen committed, buffered again at start.',
    { exchange },
    { unit: '1' },
  ),
  duplicates: counter(
    'db_duplicate_ticks_total',
    'Ticks the database already had (same venue, feed session and sequence number): skipped, not stored twice.',
    { exchange },
    { unit: '1' },
  ),
  retentionDeleted: counter(
    'db_retention_deleted_ticks_total',
    'Stored ticks deleted by retention (older than DB_RETENTION_HOURS, or the oldest past DB_RETENTION_MAX_MB); written before, so not a loss.',
    { exchange },
    { unit: '1' },
  ),
  storeBytes: gauge(
    'db_tick_store_bytes',
    "This venue's share of the tick tables' size on disk, bytes (measured at each retention pass).",
    { exchange },
    { unit: 'bytes' },
  ),
  embeddedMemory: gauge(
    'db_embedded_memory_bytes',
    "The embedded PGlite thread's memory, bytes: its JS heap (reserved, used) and what its isolate holds outside it (PostgreSQL's WASM memory, whose shared buffers are DB_PGLITE_SHARED_BUFFERS_MB).",
    { area },
    { unit: 'bytes' },
  ),
} as const;

/** The market-data example's own tick accounting: buffered, restored and duplicate ticks per venue. */
export class TickBufferMetrics extends catalog(tickBufferDefinitions) {}

/** Sums one metric's samples in a scrape, over all label sets or those with the given values. */
export type ScrapeSum = (metric: string, labels?: Readonly<Record<string, string>>) => number | undefined;

/**
 * The tick counts of one market-data scrape, summed over venues (one render: the numbers are of one
 * instant, so `received + restored = written + duplicates + dropped + buffered` holds exactly).
 *
 * @param sum - how the caller's scrape sums a metric
 * @returns each count (0 for a family with no series yet)
 */
export function readTickCounts(sum: ScrapeSum): TickCounts {
  const md = marketDataDefinitions;
  const own = tickBufferDefinitions;
  return {
    received: sum(md.received.name) ?? 0,
    restored: sum(own.restored.name) ?? 0,
    written: sum(md.dbWrites.name) ?? 0,
    duplicates: sum(own.duplicates.name) ?? 0,
    dropped: sum(md.dbWriteErrors.name, { reason: 'dropped' }) ?? 0,
    buffered: sum(own.buffered.name) ?? 0,
  };
}
