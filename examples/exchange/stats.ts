import { VENUES, type Venue } from '../shared/protocol.js';
import { MALFORMED_REASONS, type MalformedReason } from './config.js';
import type { FeedKind } from './market.js';

// What the exchange did, for `GET /admin/stats` and `Exchange.stats()`: the end-to-end test compares
// these counts with what the services counted. Feed counts are per frame written to a client socket
// (two clients of one venue count twice); frames in flight when a connection is dropped may never
// arrive, so a receiver can count slightly fewer than was sent around each forced drop.

/** Market-data feed counts of one venue. */
export interface FeedStats {
  /** Well-formed frames written, by message type. */
  sent: Record<FeedKind, number>;
  /** Malformed frames written, by reason (named as message_parse_errors_total's `reason`). */
  malformed: Record<MalformedReason, number>;
  /** Frames whose `T` carried a latency spike. */
  latencySpikes: number;
  /** Frames not written because the client's socket buffer was over 4 MiB (a stalled reader). */
  backpressureSkipped: number;
  /** Feed connections accepted. */
  connectionsOpened: number;
  /** Feed connections closed by the exchange (EXCHANGE_DROP_EVERY_MS or `POST /admin/drop`). */
  connectionsDropped: number;
  /** Feed connections open now. */
  clients: number;
}

/** `POST /api/{venue}/orders` counts of one venue. Once settled, `received` = the sum of the outcomes. */
export interface OrderStats {
  /** Requests received (any body). */
  received: number;
  /** New orders acknowledged with 200. */
  acked: number;
  /** Repeats of a known clientOrderId, answered with the first order's ack; no order created. */
  duplicates: number;
  /** Answered 400 (bad JSON or a field out of bounds). */
  rejected: number;
  /** `rejected` by reason. */
  rejectReasons: Record<string, number>;
  /** Answered 429. */
  rateLimited: number;
  /** Answered 503. */
  unavailable: number;
  /** Answered 413 (body over 64 KiB). */
  tooLarge: number;
  /** Orders filled (each fill is one FillEvent). */
  filled: number;
  /** Sum of fill fees in USD. */
  feesUsd: number;
  /** Sum of fill notional (price × quantity) in USD. */
  notionalUsd: number;
  /** Orders open now (resting limits, market orders awaiting their fill). */
  open: number;
  /** Orders taken back from the journal of an earlier process at start (EXCHANGE_JOURNAL). */
  restored: number;
}

/** `DELETE /api/{venue}/orders/{clientOrderId}` counts of one venue. */
export interface CancelStats {
  received: number;
  /** Open orders cancelled (each one CancelEvent). */
  cancelled: number;
  /** Orders already filled or cancelled: answered 200 with their status, no event. */
  alreadyDone: number;
  /** Unknown clientOrderId: 404. */
  notFound: number;
  rateLimited: number;
  unavailable: number;
}

/** Executions-stream counts of one venue. */
export interface ExecutionStats {
  /** Event frames written to clients (live and flushed from the buffer). */
  sent: number;
  /** Events held now for the next client to connect. */
  buffered: number;
  /** Events lost: the buffer was full while no client was connected. */
  dropped: number;
  /** Executions connections accepted. */
  connectionsOpened: number;
  /** Executions connections open now. */
  clients: number;
}

/** Everything the exchange counts (a JSON-safe snapshot). */
export interface ExchangeStats {
  /** Price-walk steps per symbol and venue: `generated`, and `skipped` when the loop fell > 1 s behind. */
  ticks: { generated: number; skipped: number };
  feed: Record<Venue, FeedStats>;
  orders: Record<Venue, OrderStats>;
  cancels: Record<Venue, CancelStats>;
  executions: Record<Venue, ExecutionStats>;
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function perVenue<T>(make: () => T): Record<Venue, T> {
  return Object.fromEntries(VENUES.map((v) => [v, make()])) as Record<Venue, T>;
}

/**
 * Fresh, zeroed counters.
 *
 * @returns the live counters the exchange mutates
 */
export function createStats(): ExchangeStats {
  return {
    ticks: { generated: 0, skipped: 0 },
    feed: perVenue(() => ({
      sent: zeroes(['trade', 'book', 'ticker'] as const),
      malformed: zeroes(MALFORMED_REASONS),
      latencySpikes: 0,
      backpressureSkipped: 0,
      connectionsOpened: 0,
      connectionsDropped: 0,
      clients: 0,
    })),
    orders: perVenue(() => ({
      received: 0,
      acked: 0,
      duplicates: 0,
      rejected: 0,
      rejectReasons: {},
      rateLimited: 0,
      unavailable: 0,
      tooLarge: 0,
      filled: 0,
      feesUsd: 0,
      notionalUsd: 0,
      open: 0,
      restored: 0,
    })),
    cancels: perVenue(() => ({
      received: 0,
      cancelled: 0,
      alreadyDone: 0,
      notFound: 0,
      rateLimited: 0,
      unavailable: 0,
    })),
    executions: perVenue(() => ({ sent: 0, buffered: 0, dropped: 0, connectionsOpened: 0, clients: 0 })),
  };
}
