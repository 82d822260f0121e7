import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { VENUES, type Venue } from '../shared/protocol.js';
import type { OrderRecord } from './orders.js';

// An append-only file of order events, one JSON object per line (EXCHANGE_JOURNAL). It gives the
// simulated exchange what a real venue keeps across a restart: every clientOrderId it has accepted
// and how each order ended. A restarted exchange reads it back, so a gateway retry that reaches the
// new process with a known clientOrderId gets the first order's ack, never a second order, and an
// order that was open when the process died still fills once. The file is also the audit trail the
// fault tour (examples/pipeline/fault-tour.test.ts) reads to count duplicate executions.
//
// Each line is written with one write(2) on an O_APPEND descriptor before the order's ack or event
// leaves the process, so a SIGKILL loses at most a line being written; a torn last line is skipped
// on reading.

/** One line of the journal. `t` is the exchange's wall clock in ms. */
export type JournalEntry =
  /** An order was created (the first request with this clientOrderId). */
  | (Pick<OrderRecord, 'clientOrderId' | 'orderId' | 'symbol' | 'side' | 'type' | 'quantity'> & {
      readonly e: 'new';
      readonly venue: Venue;
      /** Limit orders only. */
      readonly price?: number;
      readonly t: number;
    })
  /** The order filled (whole; the simulator has no partial fills). */
  | {
      readonly e: 'fill';
      readonly venue: Venue;
      readonly clientOrderId: string;
      readonly price: number;
      readonly quantity: number;
      readonly fee: number;
      readonly t: number;
    }
  /** The order was cancelled. */
  | { readonly e: 'cancel'; readonly venue: Venue; readonly clientOrderId: string; readonly t: number }
  /** A request repeated a known clientOrderId and got the first order's ack (a deduplicated retry). */
  | { readonly e: 'duplicate'; readonly venue: Venue; readonly clientOrderId: string; readonly t: number };

/** Where order events are recorded; {@link OrderJournal} writes a file, tests may keep them in memory. */
export interface JournalSink {
  /**
   * Records one event before it takes effect outside the process.
   *
   * @param entry - the event
   */
  append(entry: JournalEntry): void;
}

/** The journal file of one exchange process. */
export class OrderJournal implements JournalSink {
  readonly #fd: number;
  #closed = false;
  readonly path: string;
  /** The events read from the file when it was opened (earlier processes' events). */
  readonly previous: readonly JournalEntry[];

  /**
   * Opens (creating it if missing) a journal for appending, after reading what it holds.
   *
   * @param path - the file
   * @example
   * ```ts
   * const journal = new OrderJournal('/var/lib/exchange/orders.jsonl');
   * restoreFrom(journal.previous);
   * ```
   */
  constructor(path: string) {
    this.path = path;
    this.previous = existsSync(path) ? readJournal(path) : [];
    this.#fd = openSync(path, 'a');
  }

  append(entry: JournalEntry): void {
    // After close (a request finishing during shutdown) there is nothing left to keep it for.
    if (this.#closed) return;
    writeSync(this.#fd, `${JSON.stringify(entry)}\n`);
  }

  /** Closes the file; later appends are ignored. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}

/**
 * Reads a journal file, skipping lines that do not parse as an entry (a line torn by a kill).
 *
 * @param path - the file
 * @returns its entries, in order
 */
export function readJournal(path: string): JournalEntry[] {
  const entries: JournalEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (isEntry(value)) entries.push(value);
  }
  return entries;
}

function isEntry(value: unknown): value is JournalEntry {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    (v.e === 'new' || v.e === 'fill' || v.e === 'cancel' || v.e === 'duplicate') &&
    typeof v.venue === 'string' &&
    (VENUES as readonly string[]).includes(v.venue) &&
    typeof v.clientOrderId === 'string'
  );
}

/** What a journal says about duplicates: the figures the fault tour reports. */
export interface JournalSummary {
  /** Orders created. */
  readonly created: number;
  /** Fills. */
  readonly fills: number;
  /** Cancels. */
  readonly cancels: number;
  /** Requests that repeated a known clientOrderId and were answered with the first order's ack. */
  readonly duplicatesAnswered: number;
  /** `venue/clientOrderId` created more than once: a double submission that became two orders. */
  readonly createdTwice: readonly string[];
  /** `venue/clientOrderId` filled more than once: a duplicate execution. */
  readonly filledTwice: readonly string[];
}

/**
 * Counts a journal's events and finds any order created or filled twice.
 *
 * @param entries - the journal, e.g. from {@link readJournal}
 * @returns the counts and the offending ids (empty when every order was created and filled at most once)
 */
export function summarizeJournal(entries: readonly JournalEntry[]): JournalSummary {
  const created = new Map<string, number>();
  const filled = new Map<string, number>();
  let fills = 0;
  let cancels = 0;
  let duplicatesAnswered = 0;
  for (const entry of entries) {
    const key = `${entry.venue}/${entry.clientOrderId}`;
    if (entry.e === 'new') created.set(key, (created.get(key) ?? 0) + 1);
    else if (entry.e === 'fill') {
      fills++;
      filled.set(key, (filled.get(key) ?? 0) + 1);
    } else if (entry.e === 'cancel') cancels++;
    else duplicatesAnswered++;
  }
  const twice = (counts: Map<string, number>): string[] => [...counts].filter(([, n]) => n > 1).map(([key]) => key);
  let createdCount = 0;
  for (const n of created.values()) createdCount += n;
  return {
    created: createdCount,
    fills,
    cancels,
    duplicatesAnswered,
    createdTwice: twice(created),
    filledTwice: twice(filled),
  };
}
