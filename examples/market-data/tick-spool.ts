import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/logger.js';
import type { Venue } from '../shared/protocol.js';
import type { RowSpool, TickRecord } from './tick-store.js';

// The tick store's write-ahead spool: every row the store buffers is appended to a file of its
// venue before the database has it, and the file is deleted once all its rows are committed. A
// process killed outright leaves its spool behind; the next one reads it back and hands the rows to
// the store again (the database skips those it already had). Rows are written once per turn of the
// event loop, so a kill loses at most the rows of the turn it interrupted, and those are recovered
// from the exchange: the checkpoint beside the spool says from which sequence number.
//
// Layout: DIR/{venue}/{segment}.ndjson (one JSON row per line, segments numbered in write order)
// and DIR/{venue}/checkpoint.json. Only one process may use a DIR at a time. Durable against a
// killed process (the kernel keeps what was written); not fsynced against a power cut.

/** Where a venue's feed resumes: its session, and the first sequence number not yet settled. */
export interface FeedCheckpoint {
  readonly session: string;
  readonly next: number;
}

/** What an earlier process left in the spool. */
export interface SpoolLeftovers {
  /** Rows not seen committed, per venue in write order. */
  readonly rows: readonly TickRecord[];
  /** Each venue's checkpoint, where one was written. */
  readonly checkpoints: ReadonlyMap<Venue, FeedCheckpoint>;
  /** Lines that could not be read (a line torn by the kill), skipped. */
  readonly unreadable: number;
}

interface Segment {
  readonly path: string;
  /** Index (in this process's rows of the venue) of the segment's first row. */
  readonly first: number;
  rows: number;
}

class VenueSpool {
  readonly dir: string;
  readonly segments: Segment[] = [];
  fd: number | undefined;
  pending: string[] = [];
  appended = 0;
  released = 0;
  nextName: number;

  constructor(dir: string, nextName: number) {
    this.dir = dir;
    this.nextName = nextName;
  }
}

const SEGMENT = /^(\d{12})\.ndjson$/;

/** A write-ahead spool of the tick store's buffered rows; see the module comment. */
export class TickSpool implements RowSpool {
  readonly #venues = new Map<Venue, VenueSpool>();
  readonly #segmentRows: number;
  readonly #logger: Logger;
  /** Segment files of the earlier process, deleted once their rows are spooled again. */
  readonly #leftoverFiles: string[] = [];
  #flushScheduled = false;
  #closed = false;

  /**
   * Opens (creating) the spool directory and reads what an earlier process left there.
   *
   * @param dir - the spool directory
   * @param exchanges - the venues of this process (each its own subfolder)
   * @param logger - where unreadable lines and file errors are logged
   * @param segmentRows - rows per segment file (default 20,000)
   * @returns the spool and the leftovers to hand to the store (`restore`) and the trackers
   */
  static open(
    dir: string,
    exchanges: readonly Venue[],
    logger: Logger,
    segmentRows = 20_000,
  ): { spool: TickSpool; leftovers: SpoolLeftovers } {
    const spool = new TickSpool(logger, segmentRows);
    const rows: TickRecord[] = [];
    const checkpoints = new Map<Venue, FeedCheckpoint>();
    let unreadable = 0;
    for (const exchange of exchanges) {
      const venueDir = join(dir, exchange);
      mkdirSync(venueDir, { recursive: true });
      const names = readdirSync(venueDir)
        .filter((n) => SEGMENT.test(n))
        .sort();
      for (const name of names) {
        const path = join(venueDir, name);
        for (const line of readFileSync(path, 'utf8').split('\n')) {
          if (line === '') continue;
          const row = readRow(line, exchange);
          if (row === undefined) unreadable++;
          else rows.push(row);
        }
        spool.#leftoverFiles.push(path);
      }
      const last = names.at(-1);
      spool.#venues.set(
        exchange,
        new VenueSpool(venueDir, last === undefined ? 0 : Number(SEGMENT.exec(last)?.[1]) + 1),
      );
      const checkpoint = readCheckpoint(join(venueDir, 'checkpoint.json'));
      if (checkpoint !== undefined) checkpoints.set(exchange, checkpoint);
    }
    if (unreadable > 0) logger.warn({ unreadable, dir }, 'tick spool: unreadable lines skipped (torn by a kill)');
    return { spool, leftovers: { rows, checkpoints, unreadable } };
  }

  private constructor(logger: Logger, segmentRows: number) {
    this.#logger = logger;
    this.#segmentRows = segmentRows;
  }

  append(row: TickRecord): void {
    const v = this.#venues.get(row.exchange);
    if (v === undefined || this.#closed) return;
    v.pending.push(JSON.stringify(row));
    v.appended++;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#onFlush);
    }
  }

  release(exchange: Venue, n: number): void {
    const v = this.#venues.get(exchange);
    if (v === undefined) return;
    v.released += n;
    // Every segment but the one being written whose rows have all left the buffer goes.
    while (v.segments.length > 1) {
      const s = v.segments[0] as Segment;
      if (s.first + s.rows > v.released) break;
      v.segments.shift();
      this.#unlink(s.path);
    }
  }

  /**
   * Writes the rows appended since the last write, then deletes the earlier process's segments once
   * their rows are all in this process's spool.
   */
  flush(): void {
    this.#flushScheduled = false;
    for (const v of this.#venues.values()) this.#write(v);
    if (this.#leftoverFiles.length > 0) {
      for (const path of this.#leftoverFiles.splice(0)) this.#unlink(path);
    }
  }

  /**
   * Records where a venue's feed resumes (written beside the spool, replaced atomically). Rows are
   * flushed first, so the checkpoint never runs ahead of what the spool holds.
   *
   * @param exchange - the venue
   * @param checkpoint - its session and first unsettled sequence number
   */
  checkpoint(exchange: Venue, checkpoint: FeedCheckpoint): void {
    const v = this.#venues.get(exchange);
    if (v === undefined || this.#closed) return;
    this.flush();
    const path = join(v.dir, 'checkpoint.json');
    try {
      writeFileSync(`${path}.tmp`, JSON.stringify(checkpoint));
      renameSync(`${path}.tmp`, path);
    } catch (error) {
      this.#logger.error({ err: error, path }, 'tick spool: checkpoint not written');
    }
  }

  /** Writes what is pending and closes the files; rows still unreleased stay for the next process. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    for (const v of this.#venues.values()) {
      if (v.fd !== undefined) closeSync(v.fd);
      v.fd = undefined;
      // A spool whose rows all committed leaves nothing behind.
      if (v.released >= v.appended) for (const s of v.segments.splice(0)) this.#unlink(s.path);
    }
  }

  readonly #onFlush = (): void => {
    if (!this.#closed) this.flush();
  };

  #write(v: VenueSpool): void {
    let i = 0;
    while (i < v.pending.length) {
      let current = v.segments.at(-1);
      if (current === undefined || current.rows >= this.#segmentRows || v.fd === undefined) {
        if (v.fd !== undefined) closeSync(v.fd);
        const first = current === undefined ? v.appended - v.pending.length : current.first + current.rows;
        current = { path: join(v.dir, `${String(v.nextName++).padStart(12, '0')}.ndjson`), first, rows: 0 };
        v.segments.push(current);
        v.fd = openSync(current.path, 'a');
      }
      const take = Math.min(v.pending.length - i, this.#segmentRows - current.rows);
      try {
        writeSync(v.fd, `${v.pending.slice(i, i + take).join('\n')}\n`);
      } catch (error) {
        // A full or broken disk: the rows are still buffered in memory and go to the database as
        // usual; only a kill before they commit would lose them to the exchange's replay.
        this.#logger.error({ err: error, dir: v.dir }, 'tick spool: write failed; rows kept in memory only');
      }
      current.rows += take;
      i += take;
    }
    v.pending = [];
  }

  #unlink(path: string): void {
    try {
      if (existsSync(path)) unlinkSync(path);
    } catch (error) {
      this.#logger.warn({ err: error, path }, 'tick spool: segment not deleted');
    }
  }
}

/** A spooled row, checked enough that a hand-edited or torn line cannot reach the database. */
function readRow(line: string, exchange: Venue): TickRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const r = value as Partial<Record<keyof TickRecord, unknown>> | null;
  if (r === null || typeof r !== 'object' || r.exchange !== exchange) return undefined;
  if (r.type !== 'trade' && r.type !== 'ticker' && r.type !== 'book') return undefined;
  const numbers = [
    'price',
    'quantity',
    'volume24h',
    'exchangeTime',
    'receivedTime',
    'bidPrice',
    'bidQty',
    'askPrice',
    'askQty',
    'sequence',
  ] as const;
  for (const key of numbers) if (typeof r[key] !== 'number' || !Number.isFinite(r[key])) return undefined;
  if (typeof r.symbol !== 'string' || typeof r.session !== 'string') return undefined;
  if (r.side !== null && r.side !== 'buy' && r.side !== 'sell') return undefined;
  return r as TickRecord;
}

function readCheckpoint(path: string): FeedCheckpoint | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const c = JSON.parse(readFileSync(path, 'utf8')) as Partial<FeedCheckpoint>;
    if (typeof c.session === 'string' && typeof c.next === 'number' && Number.isSafeInteger(c.next) && c.next >= 1) {
      return { session: c.session, next: c.next };
    }
  } catch {
    // unreadable: as if none
  }
  return undefined;
}
