import type { CounterHandle, GaugeHandle } from '@ttquant/metrics';
import type { Logger } from '../shared/logger.js';
import type { Venue } from '../shared/protocol.js';
import { classifyDbError, type SqlClient } from './database.js';
import { TICK_TABLES } from './tick-store.js';

// Keeps the tick store bounded: every `everyMs`, off the tick path, this process's ticks older than
// `maxAgeMs` are deleted, then the oldest beyond `maxBytes` (the store's size per row times this
// process's rows), in batches so no statement holds the database long, and the tables are vacuumed
// so PostgreSQL reuses the space instead of growing the files; PGlite's write-ahead log is
// checkpointed too, which nothing else does in it. Deleted rows are counted per venue:
// they were written, so the tick accounting (received = written + …) is untouched by them.
//
// This process's rows are counted once at start and then kept up to date from what the store writes
// and what retention deletes, so no pass counts a large table again.

/** Options of {@link TickRetention}. */
export interface TickRetentionOptions {
  readonly client: SqlClient;
  /** This process's venues (their rows only are deleted: other processes may share the database). */
  readonly exchanges: readonly Venue[];
  /** Rows older than this are deleted (by exchange time); 0 keeps any age. */
  readonly maxAgeMs: number;
  /** This process's share of the tick tables, bytes; 0 sets no size bound. */
  readonly maxBytes: number;
  /** Rows per DELETE statement. */
  readonly batchRows: number;
  readonly metrics: {
    deleted(exchange: Venue): CounterHandle;
    bytes(exchange: Venue): GaugeHandle;
  };
  /** Rows this process's store has written for a venue so far (its `written` count). */
  readonly written: (exchange: Venue) => number;
  readonly logger: Logger;
  /** Wall clock, ms (default `Date.now`). */
  readonly now?: () => number;
}

/** What one pass did. */
export interface RetentionPass {
  /** Rows deleted, per venue. */
  readonly deleted: Readonly<Partial<Record<Venue, number>>>;
  /** Size of the three tick tables after the pass, bytes (all venues of the database). */
  readonly tableBytes: number;
}

interface VenueRows {
  /** Rows at start (counted once) plus written, minus deleted. */
  base: number;
  deleted: number;
}

/** Deletes old ticks in batches; see the module comment. */
export class TickRetention {
  readonly #o: TickRetentionOptions;
  readonly #now: () => number;
  readonly #rows = new Map<Venue, VenueRows>();
  #counted = false;
  #running: Promise<RetentionPass | undefined> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: TickRetentionOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Runs a pass now and then every `everyMs`.
   *
   * @param everyMs - the interval
   */
  start(everyMs: number): void {
    void this.run();
    this.#timer = setInterval(() => void this.run(), everyMs);
    this.#timer.unref();
  }

  /**
   * One pass (or the one already running). A database error is logged and the pass given up: the
   * next one tries again.
   *
   * @returns what it did, or undefined when it failed or the retention is closed
   */
  run(): Promise<RetentionPass | undefined> {
    this.#running ??= this.#pass()
      .catch((error: unknown) => {
        if (!this.#closed) {
          this.#o.logger.warn(
            { err: error, reason: classifyDbError(error) },
            'tick retention: pass failed; next one retries',
          );
        }
        return undefined;
      })
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  /** Stops the timer and waits for a pass in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Rows deleted so far, over this process's venues (the sum of `db_retention_deleted_ticks_total`). */
  get deleted(): number {
    let n = 0;
    for (const r of this.#rows.values()) n += r.deleted;
    return n;
  }

  /** This process's rows of a venue in the store, as retention knows them. */
  #rowsOf(exchange: Venue): number {
    const r = this.#rows.get(exchange);
    return r === undefined ? 0 : r.base + this.#o.written(exchange) - r.deleted;
  }

  async #pass(): Promise<RetentionPass> {
    const o = this.#o;
    if (!this.#counted) await this.#countOnce();
    const deleted: Partial<Record<Venue, number>> = {};
    if (o.maxAgeMs > 0) {
      const cutoff = new Date(this.#now() - o.maxAgeMs).toISOString();
      for (const exchange of o.exchanges) {
        for (const table of TICK_TABLES) {
          const n = await this.#deleteWhile(
            `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE exchange = $1 AND time < $2 LIMIT $3)`,
            [exchange, cutoff],
          );
          if (n > 0) this.#deleted(exchange, n, deleted);
        }
      }
    }
    let tableBytes = await this.#tableBytes();
    if (o.maxBytes > 0) {
      const totalRows = await this.#totalRows();
      const perRow = totalRows > 0 ? tableBytes / totalRows : 0;
      const mine = o.exchanges.reduce((n, e) => n + this.#rowsOf(e), 0);
      // Down to 90 % of the bound, so a pass is not needed again at the next tick.
      const excess = perRow > 0 && mine * perRow > o.maxBytes ? Math.ceil(mine - (0.9 * o.maxBytes) / perRow) : 0;
      if (excess > 0) {
        for (const exchange of o.exchanges) {
          // Each venue gives up its share of the excess, the oldest rows of each table in proportion.
          const share = Math.ceil((excess * this.#rowsOf(exchange)) / Math.max(1, mine));
          const perTable = await this.#tableRows(exchange);
          const all = perTable.reduce((n, t) => n + t.rows, 0);
          for (const { table, rows } of perTable) {
            const want = Math.min(rows, Math.ceil((share * rows) / Math.max(1, all)));
            const n = await this.#deleteOldest(table, exchange, want);
            if (n > 0) this.#deleted(exchange, n, deleted);
          }
        }
      }
    }
    if (Object.keys(deleted).length > 0) {
      // Marks the deleted rows' space reusable, so the files stop growing at the bound.
      await o.client.exec(`VACUUM ${TICK_TABLES.join(', ')}`);
      tableBytes = await this.#tableBytes();
    }
    if (o.client.kind === 'pglite') {
      // PGlite has no checkpointer process: without a checkpoint its write-ahead log is never
      // recycled (measured: 417 MB of WAL after 1.2M rows, growing; 65 MB, flat, with one per pass).
      // A server's own checkpointer does this, and CHECKPOINT needs a privilege there.
      await o.client.exec('CHECKPOINT');
    }
    const totalRows = await this.#totalRows();
    for (const exchange of o.exchanges) {
      o.metrics.bytes(exchange).set(totalRows > 0 ? Math.round((tableBytes * this.#rowsOf(exchange)) / totalRows) : 0);
    }
    return { deleted, tableBytes };
  }

  #deleted(exchange: Venue, n: number, into: Partial<Record<Venue, number>>): void {
    into[exchange] = (into[exchange] ?? 0) + n;
    const r = this.#rows.get(exchange);
    if (r !== undefined) r.deleted += n;
    this.#o.metrics.deleted(exchange).add(n);
  }

  /** Runs a batched DELETE (its last parameter the batch size) until a batch deletes fewer rows. */
  async #deleteWhile(sql: string, params: unknown[]): Promise<number> {
    let total = 0;
    for (;;) {
      if (this.#closed) return total;
      const r = await this.#o.client.query(`WITH d AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM d`, [
        ...params,
        this.#o.batchRows,
      ]);
      const n = Number((r.rows[0] as { n?: unknown } | undefined)?.n ?? 0);
      total += n;
      if (n < this.#o.batchRows) return total;
    }
  }

  /** Deletes about the `rows` oldest rows of a venue in a table: up to the exchange time of the row-th oldest. */
  async #deleteOldest(table: string, exchange: Venue, rows: number): Promise<number> {
    if (rows <= 0) return 0;
    // One top-N pass finds the cut; the deletes then go in batches (ties at the cut go too).
    const cut = await this.#o.client.query(
      `SELECT time FROM ${table} WHERE exchange = $1 ORDER BY time OFFSET $2 LIMIT 1`,
      [exchange, rows - 1],
    );
    const time = (cut.rows[0] as { time?: unknown } | undefined)?.time;
    if (time === undefined) return 0;
    return this.#deleteWhile(
      `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE exchange = $1 AND time <= $2 LIMIT $3)`,
      [exchange, time],
    );
  }

  async #countOnce(): Promise<void> {
    for (const exchange of this.#o.exchanges) {
      const rows = (await this.#tableRows(exchange)).reduce((n, t) => n + t.rows, 0);
      // Rows written before this count are in it; the store's `written` adds the later ones.
      this.#rows.set(exchange, { base: rows - this.#o.written(exchange), deleted: 0 });
    }
    this.#counted = true;
  }

  async #tableRows(exchange: Venue): Promise<{ table: string; rows: number }[]> {
    const out: { table: string; rows: number }[] = [];
    for (const table of TICK_TABLES) {
      const r = await this.#o.client.query(`SELECT count(*)::float8 AS n FROM ${table} WHERE exchange = $1`, [
        exchange,
      ]);
      out.push({ table, rows: Number((r.rows[0] as { n?: unknown } | undefined)?.n ?? 0) });
    }
    return out;
  }

  /**
   * Rows of every venue: the planner's estimate (refreshed by VACUUM, no scan), but at least this
   * process's own rows, which it knows exactly (the estimate lags the rows written since).
   */
  async #totalRows(): Promise<number> {
    const r = await this.#o.client.query(
      `SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::float8 AS n FROM pg_class c WHERE c.relname = ANY($1::text[])`,
      [[...TICK_TABLES]],
    );
    const estimate = Number((r.rows[0] as { n?: unknown } | undefined)?.n ?? 0);
    return Math.max(
      estimate,
      this.#o.exchanges.reduce((n, e) => n + this.#rowsOf(e), 0),
    );
  }

  async #tableBytes(): Promise<number> {
    const r = await this.#o.client.query(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::float8 AS n FROM pg_class c WHERE c.relname = ANY($1::text[]) AND c.relkind = 'r'`,
      [[...TICK_TABLES]],
    );
    return Number((r.rows[0] as { n?: unknown } | undefined)?.n ?? 0);
  }
}
