import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Logger } from '../shared/logger.js';

// The two PostgreSQL backends behind one small interface: an embedded PGlite (PostgreSQL compiled
// to WASM, in this process) by default, or a real server through `pg` when DATABASE_URL is set.

/** The part of a PostgreSQL client the tick store uses. */
export interface SqlClient {
  /** `pglite` (embedded) or `postgres` (a server). */
  readonly kind: 'pglite' | 'postgres';
  /** Runs one statement with `$n` parameters. */
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Closes the client; further calls fail. */
  close(): Promise<void>;
  /** The embedded database's thread memory (PGlite only; a server's memory is its own). */
  memory?(): Promise<DatabaseThreadMemory>;
}

/** What the PGlite thread holds, bytes (`process.memoryUsage()` of that thread's isolate). */
export interface DatabaseThreadMemory {
  /** The thread's JS heap, reserved. */
  readonly heapTotal: number;
  /** The thread's JS heap, in use. */
  readonly heapUsed: number;
  /** Memory outside the JS heap the thread's isolate owns: PostgreSQL's WASM memory, mostly. */
  readonly external: number;
}

/** How to reach the database. */
export interface DatabaseOptions {
  /** A PostgreSQL server (`postgres://…`); unset: embedded PGlite. */
  readonly url?: string | undefined;
  /** PGlite data directory; unset: in memory. */
  readonly dataDir?: string | undefined;
  /** PGlite's shared buffers, MB (default 16; initdb's 128 cost ~120 MB more resident memory for no gain here). */
  readonly sharedBuffersMb?: number;
  /** Statement and connect timeout on a server, ms. */
  readonly writeTimeoutMs?: number;
  /** The connections' `application_name` on a server (shown in pg_stat_activity). */
  readonly applicationName?: string;
}

/** Why a database call failed: the `reason` label of `db_write_errors_total` (besides `dropped`). */
export type DbErrorReason = 'connection' | 'query' | 'timeout';

/**
 * Opens the configured database: PGlite in a worker thread, ready when this resolves (its first
 * start runs initdb, a few seconds); or a server, connected lazily, so a server that is down does
 * not stop start-up.
 *
 * @param options - URL or PGlite data directory
 * @param logger - where pool errors on idle connections are logged
 * @returns the client
 * @example
 * ```ts
 * const db = await openDatabase({ url: process.env.DATABASE_URL }, logger);
 * ```
 */
export async function openDatabase(options: DatabaseOptions, logger: Logger): Promise<SqlClient> {
  if (options.url !== undefined) {
    return postgresClient(options.url, options.writeTimeoutMs ?? 5_000, options.applicationName, logger);
  }
  return openPgliteWorker(options.dataDir, logger, { sharedBuffersMb: options.sharedBuffersMb });
}

interface WorkerReply {
  readonly type?: 'ready' | 'failed';
  readonly id?: number;
  readonly rows?: unknown[];
  readonly error?: { readonly name: string; readonly message: string; readonly code?: string };
}

/** PGlite's shared buffers by default, MB: the tick store writes at the tables' ends and retention reads their starts, so a small cache serves both (measured: the same insert rate as with initdb's 128 MB). */
export const DEFAULT_SHARED_BUFFERS_MB = 16;

/** An error carried back from the worker, with the PostgreSQL `code` kept for {@link classifyDbError}. */
export class WorkerDatabaseError extends Error {
  override name = 'WorkerDatabaseError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Starts PGlite in a worker thread (pglite-worker.mjs), so its synchronous WASM work never blocks
 * the feeds' event loop. If the worker dies, every call fails as a connection error (counted, rows
 * kept and retried until the buffer bound).
 *
 * @param dataDir - PGlite data directory; unset: in memory
 * @param logger - where a worker crash is logged
 * @param options - PGlite's shared buffers, MB (default 16)
 * @returns the client, once PGlite is ready
 * @throws WorkerDatabaseError when PGlite cannot start (e.g. an unusable data directory)
 */
export async function openPgliteWorker(
  dataDir: string | undefined,
  logger: Logger,
  options: { readonly sharedBuffersMb?: number | undefined } = {},
): Promise<SqlClient> {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), {
    workerData: { dataDir, sharedBuffersMb: options.sharedBuffersMb ?? DEFAULT_SHARED_BUFFERS_MB },
  });
  const pending = new Map<number, { resolve: (rows: unknown[]) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  let dead: Error | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') return resolve();
      if (reply.type === 'failed') {
        return reject(new WorkerDatabaseError(`PGlite did not start: ${reply.error?.message}`, reply.error?.code));
      }
      const call = pending.get(reply.id ?? -1);
      if (call === undefined) return;
      pending.delete(reply.id ?? -1);
      if (reply.error === undefined) call.resolve(reply.rows ?? []);
      else call.reject(new WorkerDatabaseError(reply.error.message, reply.error.code));
    });
    const fail = (error: Error): void => {
      dead ??= new WorkerDatabaseError(`PGlite worker is closed: ${error.message}`, 'ECONNRESET');
      for (const call of pending.values()) call.reject(dead);
      pending.clear();
      reject(dead);
    };
    worker.on('error', (error) => {
      logger.error({ err: error }, 'pglite worker crashed');
      fail(error);
    });
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  });
  await ready;
  const call = (op: 'query' | 'exec' | 'memory' | 'close', sql = '', params?: unknown[]): Promise<unknown[]> => {
    if (dead !== undefined) return Promise.reject(dead);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, sql, params });
    });
  };
  return {
    kind: 'pglite',
    query: async (sql, params) => ({ rows: await call('query', sql, params) }),
    exec: async (sql) => {
      await call('exec', sql);
    },
    memory: async () => (await call('memory'))[0] as DatabaseThreadMemory,
    close: async () => {
      if (dead !== undefined) return;
      await call('close').catch(() => undefined);
      await worker.terminate();
    },
  };
}

/**
 * Wraps a PGlite instance. With `owned: false`, `close()` leaves it open (tests share one instance,
 * since each start of PGlite runs initdb).
 *
 * @param db - the PGlite instance
 * @param owned - whether `close()` closes it
 * @returns the client
 */
export function pgliteClient(db: PGlite, owned: boolean): SqlClient {
  return {
    kind: 'pglite',
    query: (sql, params) => db.query(sql, params),
    exec: async (sql) => {
      await db.exec(sql);
    },
    close: async () => {
      if (owned) await db.close();
    },
  };
}

function postgresClient(
  url: string,
  timeoutMs: number,
  applicationName: string | undefined,
  logger: Logger,
): SqlClient {
  const pool = new pg.Pool({
    connectionString: url,
    ...(applicationName === undefined ? {} : { application_name: applicationName }),
    max: 2,
    connectionTimeoutMillis: timeoutMs,
    // The server cancels a slow batch and rolls it back, so a retry cannot insert it twice.
    statement_timeout: timeoutMs,
    // Last resort for a network that hangs without a reset: the batch may then be written twice
    // (at-least-once), which beats a writer stuck forever.
    query_timeout: timeoutMs * 3,
  });
  // An idle client's socket error is emitted on the pool; without a listener it would crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'postgres: idle connection failed'));
  return {
    kind: 'postgres',
    query: (sql, params) => pool.query(sql, params),
    exec: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}

/** Thrown by the simulated outage (DB_FAULT_AT_MS, `injectFault`); classified as a connection error. */
export class DatabaseFaultError extends Error {
  override name = 'DatabaseFaultError';
  readonly code = 'ECONNREFUSED';
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01', // admin_shutdown: the server is stopping
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
]);

/**
 * Sorts a failed database call into connection, timeout or query (the statement itself failed).
 *
 * @param error - what the client threw
 * @returns the `db_write_errors_total` reason
 */
export function classifyDbError(error: unknown): DbErrorReason {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === '57014' || code === 'ETIMEDOUT' || /timeout|timed out/i.test(message)) return 'timeout';
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return 'connection';
  if (/connection terminated|connection error|not queryable|is closed|ended|closed the connection/i.test(message)) {
    return 'connection';
  }
  return 'query';
}
