import type { CounterHandle, MarketDataMetrics } from '@ttquant/metrics';
import type { Logger } from '../shared/logger.js';
import type { Side, Tick, Venue } from '../shared/protocol.js';
import { backoffDelay, WakeablePause } from '../shared/retry-pause.js';
import { classifyDbError, DatabaseFaultError, type SqlClient } from './database.js';

// Ticks go to PostgreSQL in batches, by size (batchSize) or by age (flushMs). While the database is
// down, rows wait in a bounded buffer and the failed batch is retried with backoff; a tick that finds
// the buffer full is dropped and counted. Nothing is lost silently:
//
//   received + restored = written + duplicates + dropped + buffered    (per venue, at every moment)
//
// One writer runs at a time and a batch leaves the buffer only once its INSERT has committed, so a
// retry re-sends the same rows and a crash of the write loses nothing that was not counted. With a
// spool, every buffered row is also on disk until its batch commits, and a restarted service hands
// the spooled rows back (`restored`). A row carries its feed session and sequence number, unique per
// venue in the database, so a row sent twice (a batch whose commit the killed process never heard
// of, a range recovered again) is skipped by the database and counted as a duplicate.

/** A stored tick: the bus's Tick plus what only the database keeps (trade side, book levels). */
export interface TickRecord extends Tick {
  /** Trade aggressor side; `null` for tickers and books. */
  readonly side: Side | null;
  /** Book best bid/ask and their quantities; 0 for trades and tickers. */
  readonly bidPrice: number;
  readonly bidQty: number;
  readonly askPrice: number;
  readonly askQty: number;
  /** The exchange's feed session the sequence number belongs to; '' for a feed without numbers. */
  readonly session: string;
  /** Sequence number in the session (from 1); 0 for a feed without numbers. */
  readonly sequence: number;
}

/** Where every tick handed to the store went. `received + restored = written + duplicates + dropped + buffered`. */
export interface TickCounts {
  /** Ticks handed to `append()`. */
  readonly received: number;
  /** Rows handed back from the spool of an earlier process (`restore()`). */
  readonly restored: number;
  /** Ticks committed to the database. */
  readonly written: number;
  /** Rows the database already had (same venue, session and sequence number): skipped, not written twice. */
  readonly duplicates: number;
  /** Ticks given up: the buffer was full, a batch failed as a query too often, or the store was closed. */
  readonly dropped: number;
  /** Ticks waiting in memory (including a batch being written). */
  readonly buffered: number;
}

/**
 * Whether the tick counts balance: `received + restored = written + duplicates + dropped + buffered`.
 *
 * @param c - the counts of one instant (one store's, or one scrape's summed over venues)
 */
export function ticksBalance(c: TickCounts): boolean {
  return c.received + c.restored === c.written + c.duplicates + c.dropped + c.buffered;
}

/** Where buffered rows are kept on disk until they commit (tick-spool.ts). */
export interface RowSpool {
  /** Keeps a row accepted into the buffer, in the venue's buffer order. */
  append(row: TickRecord): void;
  /** The venue's first `n` buffered rows have left the buffer (committed or counted dropped). */
  release(exchange: Venue, n: number): void;
}

/** Options of {@link TickStore}. */
export interface TickStoreOptions {
  /** Venues whose ticks the store accepts (their metric handles are bound up front). */
  readonly exchanges: readonly Venue[];
  /** Where db_writes_total and db_write_errors_total are recorded. */
  readonly metrics: MarketDataMetrics;
  /** Where duplicates and restored rows are counted (`db_duplicate_ticks_total`, `db_spool_restored_ticks_total`). */
  readonly accounting?: TickAccountingHandles;
  /** Keeps buffered rows on disk until they commit; default none (memory only). */
  readonly spool?: RowSpool;
  /** Rows per INSERT, and the buffered count that triggers a write (default 500). */
  readonly batchSize?: number;
  /** Longest a row waits before a write starts (default 250 ms). */
  readonly flushMs?: number;
  /** Rows held in memory across venues; past it, new ticks are dropped (default 50,000). */
  readonly bufferMax?: number;
  /** Retry backoff: first delay, doubling per failed attempt up to the max, with jitter (100 ms → 5 s). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** A batch whose statement fails (not the connection) this many times is dropped (default 3). */
  readonly maxQueryAttempts?: number;
  /** Simulated outage, relative to construction: writes fail as `connection` in [faultAtMs, faultAtMs + faultForMs). */
  readonly faultAtMs?: number;
  readonly faultForMs?: number;
  readonly logger: Logger;
  /** Clock in ms (default `Date.now`): fault windows and the close deadline. */
  readonly now?: () => number;
  /** Random in [0, 1) for the retry jitter (default `Math.random`). */
  readonly random?: () => number;
}

/** Per-venue counters of the rows the database skipped and of the rows restored from the spool. */
export interface TickAccountingHandles {
  duplicates(exchange: Venue): CounterHandle;
  restored(exchange: Venue): CounterHandle;
}

/** The three tick tables. */
export const TICK_TABLES = ['trades', 'tickers', 'books'] as const;

/**
 * DDL for the three tables; `IF NOT EXISTS`, so starting against an existing database is a no-op. A
 * table created before rows carried their feed session (`feed`) and sequence number gains both
 * columns; its old rows keep NULLs, which the unique index lets be.
 */
export const TICK_SCHEMA = `
CREATE TABLE IF NOT EXISTS trades (
  time timestamptz NOT NULL, received_at timestamptz NOT NULL, exchange text NOT NULL, symbol text NOT NULL,
  price double precision NOT NULL, quantity double precision NOT NULL, side text NOT NULL,
  feed text, sequence bigint);
CREATE INDEX IF NOT EXISTS trades_exchange_symbol_time ON trades (exchange, symbol, time);
CREATE TABLE IF NOT EXISTS tickers (
  time timestamptz NOT NULL, received_at timestamptz NOT NULL, exchange text NOT NULL, symbol text NOT NULL,
  price double precision NOT NULL, volume_24h double precision NOT NULL,
  feed text, sequence bigint);
CREATE INDEX IF NOT EXISTS tickers_exchange_symbol_time ON tickers (exchange, symbol, time);
CREATE TABLE IF NOT EXISTS books (
  time timestamptz NOT NULL, received_at timestamptz NOT NULL, exchange text NOT NULL, symbol text NOT NULL,
  bid_price double precision NOT NULL, bid_qty double precision NOT NULL,
  ask_price double precision NOT NULL, ask_qty double precision NOT NULL,
  feed text, sequence bigint);
CREATE INDEX IF NOT EXISTS books_exchange_symbol_time ON books (exchange, symbol, time);
${TICK_TABLES.map(
  (t) => `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS feed text;
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS sequence bigint;
CREATE UNIQUE INDEX IF NOT EXISTS ${t}_exchange_feed_sequence ON ${t} (exchange, feed, sequence);`,
).join('\n')}
`;

/** One venue's pending rows (a FIFO: `rows[head..]`) and counts. */
class VenueQueue {
  rows: TickRecord[] = [];
  head = 0;
  received = 0;
  restored = 0;
  written = 0;
  duplicates = 0;
  dropped = 0;
  /** Failed attempts since the last success, and those that were query errors (for the drop rule). */
  failures = 0;
  queryFailures = 0;
  readonly writes: Readonly<Record<'trades' | 'tickers' | 'books', CounterHandle>>;
  readonly errors: Readonly<Record<'connection' | 'query' | 'timeout' | 'dropped', CounterHandle>>;
  readonly duplicateCounter: CounterHandle | undefined;
  readonly restoredCounter: CounterHandle | undefined;

  constructor(
    readonly exchange: Venue,
    metrics: MarketDataMetrics,
    accounting: TickAccountingHandles | undefined,
  ) {
    this.writes = metrics.dbWrites.bindEach('table', { exchange });
    this.errors = metrics.dbWriteErrors.bindEach('reason', { exchange });
    this.duplicateCounter = accounting?.duplicates(exchange);
    this.restoredCounter = accounting?.restored(exchange);
  }

  get length(): number {
    return this.rows.length - this.head;
  }

  /** Removes the first `n` rows. */
  take(n: number): void {
    this.head += n;
    // Compact now and then rather than shift() per batch (O(n) each) or grow forever.
    if (this.head >= 4_096 && this.head * 2 >= this.rows.length) {
      this.rows = this.rows.slice(this.head);
      this.head = 0;
    }
  }
}

/**
 * Batches ticks into PostgreSQL (PGlite or a server) with a bounded buffer and retries; see the
 * invariant in {@link TickCounts}.
 *
 * @example
 * ```ts
 * const store = new TickStore(await openDatabase({}, logger), { exchanges: ['binance'], metrics, logger });
 * store.append(tick);
 * const final = await store.close(5_000); // { received, written, dropped, buffered }
 * ```
 */
export class TickStore {
  readonly #client: SqlClient;
  readonly #spool: RowSpool | undefined;
  readonly #queues: VenueQueue[];
  readonly #byExchange = new Map<string, VenueQueue>();
  readonly #batchSize: number;
  readonly #flushMs: number;
  readonly #bufferMax: number;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  readonly #maxQueryAttempts: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #faultFrom: number;
  readonly #faultUntil: number;
  #injectedUntil = Number.NEGATIVE_INFINITY;
  #total = 0;
  #schemaReady = false;
  #timer: NodeJS.Timeout | undefined;
  #writer: Promise<void> | undefined;
  #flushDue = false;
  #closing = false;
  #closed = false;
  #deadline = Number.POSITIVE_INFINITY;
  readonly #sleep = new WakeablePause();
  #next = 0;
  #full = false;

  /**
   * Creates the store; nothing is written until rows arrive.
   *
   * @param client - the database (see `openDatabase`); closed by {@link TickStore.close}
   * @param options - venues, metrics, batching, buffer bound and retry policy
   */
  constructor(client: SqlClient, options: TickStoreOptions) {
    this.#client = client;
    this.#spool = options.spool;
    this.#queues = options.exchanges.map((exchange) => new VenueQueue(exchange, options.metrics, options.accounting));
    for (const q of this.#queues) this.#byExchange.set(q.exchange, q);
    this.#batchSize = options.batchSize ?? 500;
    this.#flushMs = options.flushMs ?? 250;
    this.#bufferMax = options.bufferMax ?? 50_000;
    this.#retryMinMs = options.retryMinMs ?? 100;
    this.#retryMaxMs = options.retryMaxMs ?? 5_000;
    this.#maxQueryAttempts = options.maxQueryAttempts ?? 3;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    const start = this.#now();
    const faultFor = options.faultForMs ?? 0;
    this.#faultFrom = faultFor > 0 ? start + (options.faultAtMs ?? 0) : Number.POSITIVE_INFINITY;
    this.#faultUntil = faultFor > 0 ? this.#faultFrom + faultFor : Number.NEGATIVE_INFINITY;
  }

  /**
   * Creates the tables if missing. A failure is logged, not thrown: the first batch tries again and
   * counts the error, so a database that is down at start-up does not stop the service.
   *
   * @returns resolves once the attempt is over
   */
  async init(): Promise<void> {
    try {
      await this.#client.exec(TICK_SCHEMA);
      this.#schemaReady = true;
    } catch (error) {
      this.#logger.warn({ err: error }, 'tick store: schema not created yet; will retry with the first batch');
    }
  }

  /**
   * Buffers one tick for the next batch, or drops and counts it when the buffer is full or the store
   * is closed. Never throws, never waits.
   *
   * @param tick - a validated tick of one of the store's venues
   */
  append(tick: TickRecord): void {
    const q = this.#byExchange.get(tick.exchange);
    if (q === undefined) return; // a venue the store was not built for: a programming error upstream
    q.received++;
    this.#accept(q, tick);
  }

  /**
   * Buffers rows an earlier process had spooled but not seen committed (counted `restored`, not
   * `received`); rows the database already has are skipped there and counted as duplicates. They
   * are taken whatever the buffer's bound: they were within the earlier process's bound, plus the
   * committed rows sharing a spool segment with them, and dropping them would lose them for good.
   * Live ticks wait (for the replay) until the buffer is below its bound again.
   *
   * @param rows - spooled rows, in their spool order
   */
  restore(rows: readonly TickRecord[]): void {
    for (const row of rows) {
      const q = this.#byExchange.get(row.exchange);
      if (q === undefined) continue;
      q.restored++;
      q.restoredCounter?.inc();
      this.#accept(q, row, true);
    }
  }

  #accept(q: VenueQueue, tick: TickRecord, unbounded = false): void {
    if (this.#closed || (this.#total >= this.#bufferMax && !unbounded)) {
      q.dropped++;
      q.errors.dropped.inc();
      if (!this.#full) {
        this.#full = true;
        this.#logger.error(
          { buffered: this.#total, bufferMax: this.#bufferMax, closed: this.#closed },
          'tick store: buffer full or closed; dropping ticks (counted as db_write_errors_total{reason="dropped"})',
        );
      }
      return;
    }
    q.rows.push(tick);
    this.#spool?.append(tick);
    this.#total++;
    if (q.length >= this.#batchSize) this.#startWriter();
    else if (this.#timer === undefined && this.#writer === undefined) {
      this.#timer = setTimeout(this.#onTimer, this.#flushMs);
    }
  }

  /**
   * Whether `n` more ticks fit in the buffer now (the store is open and below its bound).
   *
   * @param n - ticks (default 1)
   */
  hasRoom(n = 1): boolean {
    return !this.#closed && this.#total + n <= this.#bufferMax;
  }

  /** Ticks waiting in memory, including a batch being written. */
  get buffered(): number {
    return this.#total;
  }

  /**
   * Where the received ticks went, for all venues or one.
   *
   * @param exchange - one venue; default all
   * @returns counts that satisfy `received + restored = written + duplicates + dropped + buffered`
   */
  counts(exchange?: Venue): TickCounts {
    let received = 0;
    let restored = 0;
    let written = 0;
    let duplicates = 0;
    let dropped = 0;
    let buffered = 0;
    for (const q of this.#queues) {
      if (exchange !== undefined && q.exchange !== exchange) continue;
      received += q.received;
      restored += q.restored;
      written += q.written;
      duplicates += q.duplicates;
      dropped += q.dropped;
      buffered += q.length;
    }
    return { received, restored, written, duplicates, dropped, buffered };
  }

  /**
   * Makes every write fail with a connection error for the next `ms` milliseconds (a simulated
   * outage for tests and the demo); rows stay buffered and are retried.
   *
   * @param ms - length of the outage
   */
  injectFault(ms: number): void {
    this.#injectedUntil = Math.max(this.#injectedUntil, this.#now() + ms);
  }

  /** Whether writes are failing on purpose right now. */
  get faultActive(): boolean {
    const now = this.#now();
    return (now >= this.#faultFrom && now < this.#faultUntil) || now < this.#injectedUntil;
  }

  /**
   * Writes everything buffered now, retrying through failures until it is written (or dropped by
   * the query-failure rule).
   *
   * @returns resolves when the buffer is empty or the store is closed
   */
  async flush(): Promise<void> {
    while (this.#total > 0 && !this.#closed) {
      this.#flushDue = true;
      this.#startWriter();
      await this.#writer;
    }
  }

  /**
   * Stops accepting ticks, writes what is buffered for at most `timeoutMs` (retrying as usual, but
   * never sleeping past the deadline), then closes the database. Rows still buffered at the deadline
   * stay in `buffered` of the result. Safe to call twice.
   *
   * @param timeoutMs - flush deadline
   * @returns the final tick counts
   */
  async close(timeoutMs = 5_000): Promise<TickCounts> {
    if (!this.#closing) {
      this.#closing = true;
      this.#deadline = this.#now() + timeoutMs;
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#flushDue = true;
      // A writer sleeping in backoff retries at once: the database may be back.
      this.#wake();
      if (this.#total > 0) this.#startWriter();
      let guard: NodeJS.Timeout | undefined;
      // A write hanging past the deadline (a dead network, no timeout) must not hold shutdown.
      const deadline = new Promise<void>((resolve) => {
        guard = setTimeout(resolve, timeoutMs + 100);
      });
      await Promise.race([this.#writer ?? Promise.resolve(), deadline]);
      clearTimeout(guard);
      this.#closed = true;
      try {
        await this.#client.close();
      } catch (error) {
        this.#logger.warn({ err: error }, 'tick store: closing the database failed');
      }
    }
    return this.counts();
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#flushDue = true;
    this.#startWriter();
  };

  #startWriter(): void {
    if (this.#writer !== undefined || this.#closed) return;
    // Cleared in a continuation, not inside #drain: a drain with nothing to do finishes synchronously,
    // before this assignment, and would leave a settled promise behind as "running".
    const writer = this.#drain().then(() => {
      this.#writer = undefined;
      if (this.#total < this.#bufferMax) this.#full = false;
      if (this.#total > 0 && !this.#closing && this.#timer === undefined) {
        this.#timer = setTimeout(this.#onTimer, this.#flushMs);
      }
    });
    this.#writer = writer;
  }

  async #drain(): Promise<void> {
    try {
      let failures = 0;
      for (;;) {
        const q = this.#nextQueue();
        if (q === undefined) break;
        if (await this.#attempt(q)) {
          failures = 0;
          continue;
        }
        // Back off, then try the next venue's batch: during an outage every venue gets attempts
        // (and its own error counts) instead of one venue's batch holding the writer.
        failures++;
        const left = this.#deadline - this.#now();
        if (left <= 0) break; // closing, out of time: the rows stay in `buffered`
        await this.#pause(Math.min(this.#backoff(failures), left));
      }
      if (this.#total === 0) this.#flushDue = false;
    } catch (error) {
      this.#logger.error({ err: error }, 'tick store: writer failed unexpectedly');
    }
  }

  /** A venue with a full batch first; with a flush due, any venue with rows. Round-robin. */
  #nextQueue(): VenueQueue | undefined {
    const n = this.#queues.length;
    for (let i = 0; i < n; i++) {
      const q = this.#queues[(this.#next + i) % n] as VenueQueue;
      if (q.length >= this.#batchSize) {
        this.#next = (this.#next + i + 1) % n;
        return q;
      }
    }
    if (!this.#flushDue) return undefined;
    for (let i = 0; i < n; i++) {
      const q = this.#queues[(this.#next + i) % n] as VenueQueue;
      if (q.length > 0) {
        this.#next = (this.#next + i + 1) % n;
        return q;
      }
    }
    return undefined;
  }

  /**
   * One attempt at the first batch of `q`.
   *
   * @returns true when the batch left the buffer (written, or dropped after repeated query errors)
   */
  async #attempt(q: VenueQueue): Promise<boolean> {
    const n = Math.min(this.#batchSize, q.length);
    try {
      if (this.faultActive) throw new DatabaseFaultError('simulated database outage (DB_FAULT_* / injectFault)');
      if (!this.#schemaReady) {
        await this.#client.exec(TICK_SCHEMA);
        this.#schemaReady = true;
      }
      const counts = await insertBatch(this.#client, q.exchange, q.rows, q.head, n);
      q.take(n);
      this.#total -= n;
      this.#spool?.release(q.exchange, n);
      const inserted = counts.trades + counts.tickers + counts.books;
      q.written += inserted;
      if (inserted < n) {
        q.duplicates += n - inserted;
        q.duplicateCounter?.add(n - inserted);
      }
      if (counts.trades > 0) q.writes.trades.add(counts.trades);
      if (counts.tickers > 0) q.writes.tickers.add(counts.tickers);
      if (counts.books > 0) q.writes.books.add(counts.books);
      if (q.failures > 0) {
        this.#logger.info(
          { exchange: q.exchange, failedAttempts: q.failures, rows: n },
          'tick store: writes recovered',
        );
      }
      q.failures = 0;
      q.queryFailures = 0;
      return true;
    } catch (error) {
      const reason = classifyDbError(error);
      q.errors[reason].inc();
      q.failures++;
      if (reason === 'query' && ++q.queryFailures >= this.#maxQueryAttempts) {
        // The statement itself fails: retrying the same rows forever would stall every venue.
        q.take(n);
        this.#total -= n;
        this.#spool?.release(q.exchange, n);
        q.dropped += n;
        q.errors.dropped.add(n);
        q.queryFailures = 0;
        this.#logger.error(
          { err: error, exchange: q.exchange, rows: n },
          'tick store: batch dropped after repeated query errors',
        );
        return true;
      }
      // The first failure and every 10th: an outage at tick rate must not flood the log.
      if (q.failures === 1 || q.failures % 10 === 0) {
        this.#logger.warn(
          { exchange: q.exchange, reason, failedAttempts: q.failures, buffered: this.#total, error: String(error) },
          'tick store: batch write failed; rows kept and retried',
        );
      }
      return false;
    }
  }

  #backoff(attempt: number): number {
    return backoffDelay(attempt, this.#retryMinMs, this.#retryMaxMs, this.#random);
  }

  #pause(ms: number): Promise<void> {
    return this.#sleep.pause(ms);
  }

  #wake(): void {
    this.#sleep.wake();
  }
}

interface TableCounts {
  trades: number;
  tickers: number;
  books: number;
}

const statements = new Map<number, string>();

/**
 * One statement per batch (data-modifying CTEs), so the batch commits or fails as a whole. A row
 * whose (exchange, feed, sequence) is already stored is skipped (`ON CONFLICT DO NOTHING`); the
 * statement returns how many rows each table took.
 */
function insertStatement(mask: number): string {
  const cached = statements.get(mask);
  if (cached !== undefined) return cached;
  const parts: string[] = [];
  const counts: string[] = [];
  let p = 2; // $1 is the exchange
  const arrays = (types: string[]): string => types.map((t) => `$${p++}::${t}[]`).join(', ');
  const ts = 'to_timestamp(u.t / 1000.0), to_timestamp(u.r / 1000.0), $1';
  const skip = 'ON CONFLICT (exchange, feed, sequence) DO NOTHING RETURNING 1';
  const table = (bit: number, name: string, alias: string, columns: string, types: string[], select: string) => {
    if (!(mask & bit)) {
      counts.push('0');
      return;
    }
    const args = arrays([...types, 'text', 'int8']);
    parts.push(
      `${alias} AS (INSERT INTO ${name} (time, received_at, exchange, symbol, ${columns}, feed, sequence) SELECT ${ts}, u.s, ${select}, u.f, u.n FROM unnest(${args}) AS u(t, r, s, ${select.replaceAll('u.', '')}, f, n) ${skip})`,
    );
    counts.push(`(SELECT count(*) FROM ${alias})::int`);
  };
  table(
    1,
    'trades',
    't',
    'price, quantity, side',
    ['float8', 'float8', 'text', 'float8', 'float8', 'text'],
    'u.p, u.q, u.sd',
  );
  table(2, 'tickers', 'k', 'price, volume_24h', ['float8', 'float8', 'text', 'float8', 'float8'], 'u.p, u.v');
  table(
    4,
    'books',
    'b',
    'bid_price, bid_qty, ask_price, ask_qty',
    ['float8', 'float8', 'text', 'float8', 'float8', 'float8', 'float8'],
    'u.bp, u.bq, u.ap, u.aq',
  );
  const sql = `WITH ${parts.join(', ')} SELECT ${counts[0]} AS trades, ${counts[1]} AS tickers, ${counts[2]} AS books`;
  statements.set(mask, sql);
  return sql;
}

async function insertBatch(
  client: SqlClient,
  exchange: Venue,
  rows: readonly TickRecord[],
  from: number,
  n: number,
): Promise<TableCounts> {
  // Column arrays per table: 9 parameters per table whatever the batch size (unnest), instead of
  // one placeholder per value, which would hit PostgreSQL's 65,535-parameter limit at ~7k rows.
  const tr: unknown[][] = [[], [], [], [], [], [], [], []];
  const tk: unknown[][] = [[], [], [], [], [], [], []];
  const bk: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (let i = from; i < from + n; i++) {
    const r = rows[i] as TickRecord;
    // A feed without numbers stores NULLs, which the unique index never matches.
    const feed = r.session === '' || r.sequence === 0 ? null : r.session;
    const seq = feed === null ? null : r.sequence;
    if (r.type === 'trade') {
      push(tr, r.exchangeTime, r.receivedTime, r.symbol, r.price, r.quantity, r.side ?? 'buy', feed, seq);
    } else if (r.type === 'ticker') push(tk, r.exchangeTime, r.receivedTime, r.symbol, r.price, r.volume24h, feed, seq);
    else push(bk, r.exchangeTime, r.receivedTime, r.symbol, r.bidPrice, r.bidQty, r.askPrice, r.askQty, feed, seq);
  }
  const sizes = { trades: lengthOf(tr), tickers: lengthOf(tk), books: lengthOf(bk) };
  const mask = (sizes.trades > 0 ? 1 : 0) | (sizes.tickers > 0 ? 2 : 0) | (sizes.books > 0 ? 4 : 0);
  if (mask === 0) return sizes;
  const params: unknown[] = [exchange];
  if (mask & 1) params.push(...tr);
  if (mask & 2) params.push(...tk);
  if (mask & 4) params.push(...bk);
  const result = await client.query(insertStatement(mask), params);
  const row = result.rows[0] as { trades?: unknown; tickers?: unknown; books?: unknown } | undefined;
  return { trades: Number(row?.trades ?? 0), tickers: Number(row?.tickers ?? 0), books: Number(row?.books ?? 0) };
}

function push(columns: unknown[][], ...values: unknown[]): void {
  for (let i = 0; i < values.length; i++) (columns[i] as unknown[]).push(values[i]);
}

function lengthOf(columns: unknown[][]): number {
  return (columns[0] as unknown[]).length;
}
