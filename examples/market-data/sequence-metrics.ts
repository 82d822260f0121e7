import { catalog, closed, counter, gauge } from '@ttquant/metrics';

// This example's metrics of feed integrity: the exchange numbers each venue's messages, and the
// service counts the numbers it saw skipped (gaps), what became of the skipped messages (recovered
// from the exchange's replay, or lost because the exchange no longer had them), and the messages
// it saw twice.

const exchange = closed('binance', 'okx');

/** Declarations of the feed-integrity metrics (a user-defined catalog). */
export const feedSequenceDefinitions = {
  gaps: counter(
    'market_data_sequence_gaps_total',
    'Gaps in a venue feed: a message arrived whose sequence number skipped one or more numbers.',
    { exchange },
    { unit: '1' },
  ),
  gapMessages: counter(
    'market_data_gap_messages_total',
    'Messages missing from a gap, by outcome: recovered from the exchange or lost (the exchange no longer had them).',
    { exchange, outcome: closed('recovered', 'lost') },
    { unit: '1' },
  ),
  pending: gauge(
    'market_data_gap_pending_messages',
    'Messages of detected gaps not yet recovered or given up.',
    { exchange },
    { unit: '1' },
  ),
  deferred: counter(
    'market_data_deferred_messages_total',
    'Live messages published but not stored because the database buffer was full: recovered from the exchange once it has room.',
    { exchange },
    { unit: '1' },
  ),
  duplicates: counter(
    'market_data_duplicate_messages_total',
    'Live messages whose sequence number was already seen: skipped.',
    { exchange },
    { unit: '1' },
  ),
} as const;

/** The market-data example's feed-integrity metrics. */
export class FeedSequenceMetrics extends catalog(feedSequenceDefinitions) {}
