import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MarketDataMetrics, PrometheusWriter, throwOnInvalidValue } from '@ttquant/metrics';
import { describeRequiring, freePort, pollUntil, readExposition } from '@ttquant/test-kit';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postgresBinDir, postgresUser } from '../../monitoring/stack/tools.js';
import { createLogger } from '../shared/logger.js';
import { openDatabase } from './database.js';
import type { TickRecord } from './tick-store.js';
import { TickStore } from './tick-store.js';

// The DATABASE_URL path against a real PostgreSQL server, with a real outage: the server is stopped
// while ticks arrive, then started again. Runs where PostgreSQL's binaries are installed (Debian's
// postgresql package: /usr/lib/postgresql/<v>/bin); elsewhere it is skipped with the reason in its
// name, and on CI it fails, as every tool-backed test does.

const bin = postgresBinDir();
// initdb and postgres refuse to run as root: as root, run them as the `postgres` user.
const asUser = postgresUser();
const available = bin !== undefined && (process.getuid?.() !== 0 || asUser !== undefined);

const logger = createLogger('tick-store-pg-test', { LOG_LEVEL: process.env.TEST_LOG ?? 'silent' });
let dir = '';
let port = 0;
let server: ChildProcess | undefined;

async function startServer(): Promise<void> {
  const proc = spawn(
    join(bin as string, 'postgres'),
    ['-D', join(dir, 'data'), '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off'],
    { ...asUser, stdio: 'ignore' },
  );
  server = proc;
  await pollUntil(
    () => {
      try {
        execFileSync(join(bin as string, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    },
    'postgres to accept connections',
    20_000,
    5,
  );
}

async function stopServer(): Promise<void> {
  const proc = server;
  server = undefined;
  if (proc === undefined || proc.exitCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGINT'); // fast shutdown: active connections are terminated (57P01)
  await exited;
}

let seq = 0;
function trade(): TickRecord {
  seq++;
  const t = 1_700_000_000_000 + seq;
  return {
    exchange: 'okx',
    symbol: 'BTC-USDT',
    type: 'trade',
    price: 60_000 + seq,
    quantity: 1,
    volume24h: 0,
    exchangeTime: t,
    receivedTime: t + 3,
    side: 'buy',
    bidPrice: 0,
    bidQty: 0,
    askPrice: 0,
    askQty: 0,
    session: 'okx-test',
    sequence: seq,
  };
}

describeRequiring(
  'TickStore on a real PostgreSQL server (DATABASE_URL)',
  {
    missing: available ? [] : ['PostgreSQL server binaries'],
    install: 'apt-get install -y postgresql',
    reason: bin === undefined ? 'no PostgreSQL server binaries' : 'running as root without a postgres user',
  },
  () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'md-pg-'));
      if (asUser !== undefined) chownSync(dir, asUser.uid, asUser.gid);
      execFileSync(join(bin as string, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust'], {
        ...asUser,
        stdio: 'ignore',
      });
      port = await freePort();
      await startServer();
    }, 60_000);

    afterAll(async () => {
      await stopServer();
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    it('writes batches, survives the server stopping, and writes every tick once it is back', async () => {
      const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
      const metrics = new MarketDataMetrics({ onInvalidValue: throwOnInvalidValue });
      const client = await openDatabase({ url, writeTimeoutMs: 2_000 }, logger);
      const store = new TickStore(client, {
        exchanges: ['okx'],
        metrics,
        logger,
        batchSize: 5,
        flushMs: 20,
        retryMinMs: 20,
        retryMaxMs: 200,
      });
      const check = new pg.Client({ connectionString: url });
      try {
        await store.init();
        for (let i = 0; i < 10; i++) store.append(trade());
        await pollUntil(() => store.counts().written === 10, 'the first ten rows', 5_000, 5);

        await stopServer();
        for (let i = 0; i < 7; i++) store.append(trade());
        // Read from the catalog's exposition, never through bind(), which would create the series. The
        // store binds every series of its venue up front, so a missing one is a failure.
        const exposed = (name: string, labels: Readonly<Record<string, string>>): number => {
          const value = readExposition(new PrometheusWriter([metrics], { selfMetrics: false }).renderText()).value(
            name,
            labels,
          );
          if (value === undefined) throw new Error(`${name} ${JSON.stringify(labels)} is not exposed`);
          return value;
        };
        const errors = () =>
          exposed(metrics.dbWriteErrors.name, { exchange: 'okx', reason: 'connection' }) +
          exposed(metrics.dbWriteErrors.name, { exchange: 'okx', reason: 'timeout' });
        await pollUntil(() => errors() >= 2, 'failed attempts while the server is down', 10_000, 5);
        expect(store.counts()).toEqual({
          received: 17,
          restored: 0,
          written: 10,
          duplicates: 0,
          dropped: 0,
          buffered: 7,
        });

        await startServer();
        await store.flush();
        expect(store.counts()).toEqual({
          received: 17,
          restored: 0,
          written: 17,
          duplicates: 0,
          dropped: 0,
          buffered: 0,
        });
        await check.connect();
        const rows = await check.query('SELECT count(*)::int AS n, count(DISTINCT price)::int AS d FROM trades');
        expect(rows.rows[0]).toEqual({ n: 17, d: 17 });
        expect(exposed(metrics.dbWrites.name, { exchange: 'okx', table: 'trades' })).toBe(17);
        expect(exposed(metrics.dbWriteErrors.name, { exchange: 'okx', reason: 'query' })).toBe(0);
      } finally {
        await check.end().catch(() => undefined);
        await store.close(1_000);
      }
    }, 60_000);
  },
);
