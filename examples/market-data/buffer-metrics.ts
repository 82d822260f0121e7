import { catalog, closed, gauge } from '@ttquant/metrics';

// One metric of this example's own, beside those of MarketDataMetrics: the ticks waiting in memory
// for the database. With it, one scrape balances the tick counts exactly:
//
//   sum(market_data_received_total) = sum(db_writes_total)
//                                     + sum(db_write_errors_total{reason="dropped"})
//                                     + sum(db_buffered_ticks)
//
// It is set in a beforeCollect hook that runs with the collection of the counters, on the thread
// that counts them (in the render itself, or, with /metrics in a worker thread, in the snapshot
// that thread takes for each scrape), so the four numbers are of one instant; the tick path pays
// nothing for it.

/** Declarations of the market-data example's own metrics (a user-defined catalog). */
export const tickBufferDefinitions = {
  buffered: gauge(
    'db_buffered_ticks',
    'Ticks received and waiting in memory for the database (received = written + dropped + buffered).',
    { exchange: closed('binance', 'okx') },
    { unit: '1' },
  ),
} as const;

/** The market-data example's own catalog: `db_buffered_ticks{exchange}`. */
export class TickBufferMetrics extends catalog(tickBufferDefinitions) {}
