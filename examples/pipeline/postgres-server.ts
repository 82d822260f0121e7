import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { installHint, postgresBinDir, postgresUser } from '../../monitoring/stack/tools.js';

// A private PostgreSQL server for tests: its own cluster in a temporary folder, on 127.0.0.1 and a
// free port, run as the current user (as `postgres` when this process is root, since PostgreSQL
// refuses root). It can be crashed (every server process SIGKILLed by its PID) and started again,
// which runs crash recovery the way a real outage would.

/** What a private server needs: Debian's server binaries, and a non-root user to run them as. */
export type PostgresTools =
  | { readonly ok: true; readonly bin: string; readonly user: { uid: number; gid: number } | undefined }
  | { readonly ok: false; readonly reason: string };

/**
 * Finds PostgreSQL's server binaries (Debian: /usr/lib/postgresql/<version>/bin).
 *
 * @returns the binaries' folder and the user to run them as, or why a server cannot run here
 */
export function postgresTools(): PostgresTools {
  const bin = postgresBinDir();
  if (bin === undefined) return { ok: false, reason: `PostgreSQL is not installed (${installHint(['postgres'])})` };
  const user = postgresUser();
  if (process.getuid?.() === 0 && user === undefined) {
    return { ok: false, reason: 'running as root, and there is no postgres user to run the server as' };
  }
  return { ok: true, bin, user };
}

/** A private PostgreSQL server; see {@link PostgresServer.create}. */
export class PostgresServer {
  readonly #bin: string;
  readonly #user: { uid: number; gid: number } | undefined;
  readonly #dir: string;
  readonly port: number;
  #server: ChildProcess | undefined;
  /** Times the server was crashed with {@link PostgresServer.crash}. */
  crashes = 0;

  private constructor(tools: PostgresTools & { ok: true }, dir: string, port: number) {
    this.#bin = tools.bin;
    this.#user = tools.user;
    this.#dir = dir;
    this.port = port;
  }

  /**
   * Creates a cluster (initdb, trust authentication for `postgres`, no fsync) in `dir/data`.
   *
   * @param tools - from {@link postgresTools}
   * @param dir - an empty folder; the cluster and the server's socket go there
   * @param port - the TCP port on 127.0.0.1
   * @returns the server, not yet started
   * @example
   * ```ts
   * const tools = postgresTools();
   * if (tools.ok) {
   *   const db = await PostgresServer.create(tools, mkdtempSync(join(tmpdir(), 'pg-')), await freePort());
   *   await db.start();
   * }
   * ```
   */
  static async create(tools: PostgresTools & { ok: true }, dir: string, port: number): Promise<PostgresServer> {
    const data = join(dir, 'data');
    mkdirSync(data, { recursive: true });
    if (tools.user !== undefined) {
      // The server runs as postgres: it must own the cluster and socket folder.
      chmodSync(dir, 0o755);
      chownSync(dir, tools.user.uid, tools.user.gid);
      chownSync(data, tools.user.uid, tools.user.gid);
    }
    execFileSync(
      join(tools.bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { ...(tools.user ?? {}), stdio: 'ignore', timeout: 60_000 },
    );
    return new PostgresServer(tools, dir, port);
  }

  /** `postgres://postgres@127.0.0.1:PORT/postgres`. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** The postmaster's PID while it runs. */
  get pid(): number | undefined {
    return this.#server?.exitCode === null && this.#server.signalCode === null ? this.#server.pid : undefined;
  }

  /**
   * Starts the server (crash recovery runs first after a crash) and resolves once it answers a query.
   *
   * @param timeoutMs - how long to wait for it
   * @returns resolves when ready
   * @throws Error when it exits or does not answer in time
   */
  async start(timeoutMs = 30_000): Promise<void> {
    const server = spawn(
      join(this.#bin, 'postgres'),
      [
        '-D',
        join(this.#dir, 'data'),
        '-p',
        String(this.port),
        '-h',
        '127.0.0.1',
        '-k',
        this.#dir,
        '-c',
        'fsync=off',
        '-c',
        'max_connections=20',
      ],
      { ...(this.#user ?? {}), stdio: 'ignore' },
    );
    this.#server = server;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (server.exitCode !== null || server.signalCode !== null) {
        throw new Error(`postgres exited during start (${server.exitCode ?? server.signalCode})`);
      }
      try {
        await this.query('SELECT 1');
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`postgres did not answer within ${timeoutMs} ms: ${error}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Crashes the server: SIGKILL to the postmaster and every process it started, all by PID, as a
   * host losing the database would. Resolves once none of them runs any more.
   *
   * @returns resolves when every server process is gone
   */
  async crash(): Promise<void> {
    const server = this.#server;
    const pid = this.pid;
    if (server === undefined || pid === undefined) return;
    const children = childPids(pid);
    const exited = once(server, 'exit');
    process.kill(pid, 'SIGKILL');
    for (const child of children) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
    // Orphaned backends are reaped by init, not by us: wait until each is gone (or a zombie).
    const deadline = Date.now() + 10_000;
    while (children.some(running) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    this.crashes++;
  }

  /**
   * Stops the server cleanly (SIGINT, PostgreSQL's fast shutdown), or with SIGKILL after `graceMs`.
   *
   * @param graceMs - how long a clean stop may take
   * @returns resolves when it has exited
   */
  async stop(graceMs = 10_000): Promise<void> {
    const server = this.#server;
    const pid = this.pid;
    if (server === undefined || pid === undefined) return;
    const exited = once(server, 'exit');
    process.kill(pid, 'SIGINT');
    const timer = setTimeout(() => {
      if (this.pid !== undefined) void this.crash();
    }, graceMs);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Runs one statement on a fresh connection.
   *
   * @param sql - the statement
   * @param params - its `$n` parameters
   * @returns the rows
   */
  async query<R>(sql: string, params: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2_000 });
    // A server dying under an open connection emits 'error' on the client; the query rejects anyway.
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.query(sql, params)).rows as R[];
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** The PIDs whose parent is `parent` (from /proc). */
function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat !== undefined && stat.ppid === parent) pids.push(Number(entry));
  }
  return pids;
}

/** State and parent of a process, from /proc/PID/stat (the name may hold spaces and parentheses). */
function readStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/** Whether a process still runs (a zombie has released everything and counts as gone). */
function running(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}
