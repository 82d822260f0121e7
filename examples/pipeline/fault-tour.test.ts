import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRequiring, type Exposition, freePort, pollUntil, readExposition } from '@ttquant/test-kit';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { readJournal, summarizeJournal } from '../fixtures/exchange/journal.js';
import type { ExchangeStats } from '../fixtures/exchange/stats.js';
import { ticksBalance } from '../market-data/tick-store.js';
import { VENUES, type Venue } from '../shared/protocol.js';
import { CounterWatch, ServiceLives, tickCounts } from './fault-tour.js';
import { PostgresServer, postgresTools } from './postgres-server.js';
import {
  type ExtraEnv,
  freePipelinePorts,
  PROCESS_NAMES,
  type ProcessName,
  pipelineSpecs,
  processName,
} from './specs.js';

// The fault tour: the whole pipeline (a market data and a gateway per venue) under load, on a real
// PostgreSQL server, and in turn the exchange, one venue's market data, its gateway, the strategy
// engine, the database, and that market data again in the middle of a batch (its INSERT sent and
// held by a table lock when the process dies) are killed (SIGKILL) and started again. After each
// restart the tour waits until the pipeline moves again. Throughout, every process's /metrics is
// scraped every ~200 ms and checked:
//   - no counter, histogram bucket or count goes backwards within one process life;
//   - market data: received + restored = written + duplicates + dropped + buffered on every scrape;
// and at the end:
//   - for every sequence number the exchange sent, in both of its sessions, exactly one row in the
//     database (a number missing only where a gap was counted lost), gaps detected and recovered;
//   - the exchange's order journal (kept across its restart) shows no clientOrderId created twice
//     and no order filled twice, while the gateway's retries did reach it with known ids.
// Every figure is printed. Needs PostgreSQL's server binaries (Debian `postgresql`): on CI a missing
// server fails the test; locally it is skipped with the reason.

const METRICS_SERVICES = PROCESS_NAMES.filter((name) => name !== 'exchange');
/** A process with /metrics (every one but the exchange). */
type MetricsService = ProcessName;
const MARKET_DATA = VENUES.map((venue) => processName('market-data', venue));
/** The venue whose market data, gateway and database connection the tour kills. */
const VICTIM: Venue = 'binance';
const MD = processName('market-data', VICTIM);
const DB_BUFFER_MAX = 4_000;
const DB_BATCH_SIZE = 500;
const RECOVERY_MS = 25_000;

describe("CounterWatch (the fault tour's counter check)", () => {
  const body = (received: number, pnl: number, bucket: number, extra = '') =>
    [
      '# TYPE market_data_received_total counter',
      `market_data_received_total{exchange="okx",symbol="BTCUSDT",type="trade"} ${received}`,
      '# TYPE strategy_pnl_total gauge',
      `strategy_pnl_total{strategy="ma"} ${pnl}`,
      '# TYPE order_processing_latency_ms histogram',
      `order_processing_latency_ms_bucket{exchange="okx",operation="new",le="5"} ${bucket}`,
      `order_processing_latency_ms_bucket{exchange="okx",operation="new",le="+Inf"} ${bucket}`,
      `order_processing_latency_ms_sum{exchange="okx",operation="new"} -1`,
      `order_processing_latency_ms_count{exchange="okx",operation="new"} ${bucket}`,
      '# TYPE process_cpu_user_seconds_total counter',
      'process_cpu_user_seconds_total 0.5',
      '# TYPE process_start_time_seconds gauge',
      'process_start_time_seconds 1700000000',
      extra,
    ].join('\n');

  it('accepts growth, and a gauge named _total going down', () => {
    const watch = new CounterWatch();
    watch.record('gateway', 0, readExposition(body(1, 5, 1)));
    watch.record('gateway', 0, readExposition(body(3, -7, 2)));
    expect(watch.violations).toEqual([]);
    expect(watch.comparisons).toBe(5); // received, two buckets, count, cpu: not the gauge, not _sum
  });

  it('reports a counter, bucket or count going down, and a series disappearing, within one life', () => {
    const watch = new CounterWatch();
    watch.record('gateway', 0, readExposition(body(3, 0, 2, 'x_total 1\n# TYPE x_total counter')));
    watch.record('gateway', 0, readExposition(body(2, 0, 1)));
    expect(watch.violations).toEqual([
      'gateway#0 market_data_received_total{exchange="okx",symbol="BTCUSDT",type="trade"}: 3 -> 2',
      'gateway#0 order_processing_latency_ms_bucket{exchange="okx",le="5",operation="new"}: 2 -> 1',
      'gateway#0 order_processing_latency_ms_bucket{exchange="okx",le="+Inf",operation="new"}: 2 -> 1',
      'gateway#0 order_processing_latency_ms_count{exchange="okx",operation="new"}: 2 -> 1',
      'gateway#0 x_total{}: disappeared',
    ]);
  });

  it('starts a new life from zero, and reports a process start time that changes within a life', () => {
    const watch = new CounterWatch();
    watch.record('gateway', 0, readExposition(body(9, 0, 9)));
    watch.record('gateway', 1, readExposition(body(0, 0, 0)));
    expect(watch.violations).toEqual([]);
    watch.record('gateway', 1, readExposition(body(0, 0, 0).replace('1700000000', '1700000001')));
    expect(watch.violations).toEqual(['gateway#1 process_start_time_seconds: 1700000000 -> 1700000001']);
    expect(watch.livesSeen).toBe(2);
  });

  it('reads the tick counts of one scrape', () => {
    const scrape = readExposition(
      [
        'market_data_received_total{exchange="okx",symbol="BTCUSDT",type="trade"} 10',
        'market_data_received_total{exchange="binance",symbol="BTCUSDT",type="book"} 5',
        'db_writes_total{exchange="okx",table="trades"} 6',
        'db_write_errors_total{exchange="okx",reason="connection"} 4',
        'db_write_errors_total{exchange="okx",reason="dropped"} 3',
        'db_buffered_ticks{exchange="okx"} 1',
        'db_buffered_ticks{exchange="binance"} 5',
        'db_spool_restored_ticks_total{exchange="okx"} 2',
        'db_duplicate_ticks_total{exchange="okx"} 2',
      ].join('\n'),
    );
    const counts = tickCounts(scrape);
    expect(counts).toEqual({ received: 15, restored: 2, written: 6, duplicates: 2, dropped: 3, buffered: 6 });
    expect(ticksBalance(counts)).toBe(true);
    expect(ticksBalance({ ...counts, restored: 3 })).toBe(false);
  });
});

/**
 * A check for `pollUntil` during the tour: between two lives of a service its scrape throws, which
 * means "not yet", not a failure.
 */
const tolerant =
  (check: () => Promise<boolean>): (() => Promise<boolean>) =>
  () =>
    check().catch(() => false);

const tools = postgresTools();
const title = 'fault tour: kill and restart each service, the exchange and the database under load';

if (!tools.ok) {
  describeRequiring(
    title,
    { missing: ['a PostgreSQL server'], install: 'apt-get install -y postgresql', reason: tools.reason },
    () => {
      it('runs the tour', () => undefined);
    },
  );
} else {
  const pgTools = tools;
  describe(title, () => {
    it('stores every numbered tick once, submits no order twice, and no counter goes backwards within a process life', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fault-tour-'));
      const lines: string[] = [];
      const watch = new CounterWatch();
      /** The last scrape of each life (`service#life`), read with the test kit's reader. */
      const latest = new Map<string, Exposition>();
      const tickViolations: string[] = [];
      let tickChecks = 0;
      let scraping = false;
      let loop: Promise<void> | undefined;
      let db: PostgresServer | undefined;
      let lives: ServiceLives | undefined;
      const t0 = Date.now();
      try {
        db = await PostgresServer.create(pgTools, dir, await freePort());
        await db.start();
        const journalFile = join(dir, 'exchange-orders.jsonl');
        const specs = pipelineSpecs(await freePipelinePorts(), tourEnv(db.url, journalFile, join(dir, 'spool')));
        const services = new ServiceLives(specs, { onLine: (name, line) => lines.push(`[${name}] ${line}`) });
        lives = services;
        for (const name of PROCESS_NAMES) await services.start(name);

        // One scrape of a process at a time: two in flight could be recorded out of the order they
        // were rendered in, and a counter would seem to go backwards.
        const queues = new Map<string, Promise<unknown>>();
        function scrape(name: MetricsService): Promise<Exposition | undefined> {
          const next = (queues.get(name) ?? Promise.resolve()).catch(() => undefined).then(() => scrapeNow(name));
          queues.set(name, next);
          return next;
        }
        /**
         * Scrapes a process's current life and records it; undefined while it is down. The watch and
         * the tick equation get the tour's own parse (the code under test above); values are read
         * with the test kit's reader, which also fails on a line it cannot read.
         */
        async function scrapeNow(name: MetricsService): Promise<Exposition | undefined> {
          const life = services.current(name);
          if (life === undefined) return undefined;
          const response = await fetch(`${life.service.url}/metrics`, { signal: AbortSignal.timeout(3_000) });
          const body = await response.text();
          // Credited to a life only when that life was current for the whole request (a killed life
          // is marked before its kill, and the next one starts after it has exited).
          if (response.status !== 200 || services.current(name) !== life) return undefined;
          const exposition = readExposition(body);
          watch.record(name, life.index, exposition);
          const read = readExposition(body);
          latest.set(`${name}#${life.index}`, read);
          if ((MARKET_DATA as readonly string[]).includes(name)) {
            tickChecks++;
            const c = tickCounts(exposition);
            if (!ticksBalance(c)) tickViolations.push(`${name}#${life.index}: ${JSON.stringify(c)}`);
          }
          return read;
        }
        /**
         * The sum of a metric's series in a scrape of a running process. The series the tour reads
         * exist by the time it reads them, so a missing one throws: inside `tolerant` that is "not
         * yet" (a new life that has not counted), anywhere else a failure.
         */
        async function value(name: MetricsService, metric: string, where: Record<string, string> = {}) {
          const exposition = await scrape(name);
          if (exposition === undefined) throw new Error(`${name} is down`);
          const sum = exposition.sum(metric, where);
          if (sum === undefined) throw new Error(`${name} exposes no ${metric} ${JSON.stringify(where)}`);
          return sum;
        }
        /** Waits until a metric of a running process has grown by `by` from now. */
        async function moves(name: MetricsService, metric: string, by = 1, where: Record<string, string> = {}) {
          const base = await value(name, metric, where);
          await pollUntil(
            tolerant(async () => (await value(name, metric, where)) >= base + by),
            `${name} ${metric} to grow by ${by}`,
            RECOVERY_MS,
          );
        }
        /** Waits until a metric of the process's current (new) life is positive. */
        async function positive(name: MetricsService, metric: string, where: Record<string, string> = {}) {
          await pollUntil(
            tolerant(async () => (await value(name, metric, where)) > 0),
            `${name} ${metric} > 0 in its new life`,
            RECOVERY_MS,
          );
        }
        const exchangeStats = async (): Promise<ExchangeStats> =>
          (await (await fetch(`${services.current('exchange')?.service.url}/admin/stats`)).json()) as ExchangeStats;

        scraping = true;
        loop = (async () => {
          while (scraping) {
            await Promise.all(METRICS_SERVICES.map((name) => scrape(name).catch(() => undefined)));
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        })();

        // Under load: ticks stored, orders acknowledged and filled on both venues, fills back.
        for (const md of MARKET_DATA) await positive(md, 'db_writes_total');
        for (const venue of VENUES) {
          await positive(processName('gateway', venue), 'orders_success_total');
          await positive(processName('gateway', venue), 'trades_total');
        }
        await positive('strategy-engine', 'engine_trades_received_total');

        const faults: { target: string; downMs: number; recoveryMs: number; note: string }[] = [];
        async function tour(
          target: string,
          kill: () => Promise<void>,
          restart: () => Promise<void>,
          recovered: () => Promise<void>,
          note = '',
        ): Promise<void> {
          const killedAt = Date.now();
          await kill();
          await restart();
          const restartedAt = Date.now();
          await recovered();
          faults.push({ target, downMs: restartedAt - killedAt, recoveryMs: Date.now() - restartedAt, note });
        }
        const mdRecovered = async () => {
          await positive(MD, 'db_writes_total');
          await moves('strategy-engine', 'engine_market_data_received_total', 100, { exchange: VICTIM });
        };

        const firstSessions = (await exchangeStats()).feed;
        let lastSessions = firstSessions;
        const finals = new Map<string, ReturnType<typeof tickCounts>>();
        await tour(
          'exchange',
          async () => void (await services.kill('exchange')),
          async () => void (await services.start('exchange')),
          async () => {
            for (const md of MARKET_DATA) {
              await pollUntil(
                tolerant(async () => (await value(md, 'ws_connection_status')) === 1),
                `${md} feed reconnected`,
                RECOVERY_MS,
              );
              await moves(md, 'market_data_received_total', 200);
            }
            await moves(processName('gateway', VICTIM), 'orders_success_total');
            await moves(processName('gateway', VICTIM), 'trades_total');
          },
          'a new feed session: sequence numbers start again at 1',
        );
        await tour(
          'market-data',
          async () => void (await services.kill(MD)),
          async () => void (await services.start(MD)),
          mdRecovered,
        );
        await tour(
          'gateway',
          async () => void (await services.kill(processName('gateway', VICTIM))),
          async () => void (await services.start(processName('gateway', VICTIM))),
          async () => {
            await positive(processName('gateway', VICTIM), 'orders_success_total');
            await positive(processName('gateway', VICTIM), 'trades_total');
            await moves('strategy-engine', 'engine_trades_received_total');
          },
        );
        await tour(
          'strategy-engine',
          async () => void (await services.kill('strategy-engine')),
          async () => void (await services.start('strategy-engine')),
          async () => {
            await positive('strategy-engine', 'engine_orders_sent_total');
            await positive('strategy-engine', 'engine_trades_received_total');
          },
        );
        const server = db;
        const deferredNow = () => value(MD, 'market_data_deferred_messages_total');
        const failedWrites = () =>
          Promise.all(['connection', 'timeout'].map((reason) => value(MD, 'db_write_errors_total', { reason }))).then(
            ([a, b]) => (a ?? 0) + (b ?? 0),
          );
        const beforeOutage = { deferred: await deferredNow(), failedWrites: await failedWrites() };
        await tour(
          'database',
          async () => {
            await server.crash();
            // Held down until the bounded buffer is full: the ticks it cannot keep are left for the
            // exchange's replay.
            await pollUntil(
              tolerant(async () => (await deferredNow()) > beforeOutage.deferred),
              'ticks deferred while the database is down',
              RECOVERY_MS,
            );
          },
          () => server.start(),
          async () => {
            await moves(MD, 'db_writes_total', DB_BATCH_SIZE);
            await pollUntil(
              tolerant(async () => (await value(MD, 'db_buffered_ticks')) < DB_BATCH_SIZE * 2),
              'the buffer drained',
              RECOVERY_MS,
            );
          },
          'every server process SIGKILLed; crash recovery on restart',
        );
        const outage = {
          deferred: (await deferredNow()) - beforeOutage.deferred,
          failedWrites: (await failedWrites()) - beforeOutage.failedWrites,
        };

        // Mid-batch: a table lock holds the market data's INSERT inside the server; the process is
        // killed while it waits, then the lock goes and the orphaned INSERT commits. The restarted
        // process sends those rows again from its spool, and the database skips them.
        const lock = new pg.Client({ connectionString: server.url });
        await lock.connect();
        let midBatchDuplicates = 0;
        try {
          await lock.query('BEGIN');
          await lock.query('LOCK TABLE trades, tickers, books IN ACCESS EXCLUSIVE MODE');
          await pollUntil(
            async () => {
              const r = await lock.query(
                "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
                [`market-data:${VICTIM}`],
              );
              return (r.rows[0] as { n: number }).n > 0;
            },
            `${MD}'s INSERT waiting on the lock`,
            RECOVERY_MS,
          );
          await tour(
            'market-data',
            async () => {
              await services.kill(MD);
              await lock.query('ROLLBACK');
            },
            async () => void (await services.start(MD)),
            async () => {
              await mdRecovered();
              await positive(MD, 'db_duplicate_ticks_total');
              midBatchDuplicates = await value(MD, 'db_duplicate_ticks_total');
            },
            'killed while its INSERT was held inside the server, which then committed it',
          );
        } finally {
          await lock.end().catch(() => undefined);
        }

        // The end: every gap recovered while the exchange still serves its replay; then note what it
        // sent, stop it, and let market data store every tick it holds.
        const integrityNow = async (md: MetricsService) => {
          const e = await scrape(md);
          if (e === undefined) throw new Error(`${md} is down`);
          return { counts: tickCounts(e), pending: e.sum('market_data_gap_pending_messages') ?? 0 };
        };
        const seen = new Map<string, unknown>();
        try {
          for (const md of MARKET_DATA) {
            await pollUntil(
              tolerant(async () => {
                const now = await integrityNow(md);
                seen.set(md, now);
                return now.pending === 0;
              }),
              `${md} to recover every gap`,
              RECOVERY_MS,
            );
          }
          const sent = await exchangeStats();
          lastSessions = sent.feed;
          expect(await services.stop('exchange')).toBe(0);
          for (const md of MARKET_DATA) {
            await pollUntil(
              tolerant(async () => {
                const now = await integrityNow(md);
                seen.set(md, now);
                finals.set(md, now.counts);
                return now.counts.buffered === 0 && now.pending === 0 && ticksBalance(now.counts);
              }),
              `${md} to store every tick`,
              RECOVERY_MS,
            );
          }
        } catch (error) {
          console.error(`market data at the end: ${JSON.stringify(Object.fromEntries(seen))}`);
          throw error;
        }
        scraping = false;
        await loop;
        // One more scrape of every life still running, then stop them (consumers first).
        for (const name of METRICS_SERVICES) await scrape(name);
        const exitCodes: Record<string, number | null> = {};
        for (const name of [...METRICS_SERVICES].reverse()) exitCodes[name] = await services.stop(name);

        // ---- what was stored ---------------------------------------------------------------------
        const stored = await server.query<{
          exchange: string;
          feed: string;
          n: string;
          distinct: string;
          lo: string;
          hi: string;
        }>(
          `SELECT exchange, feed, count(*) AS n, count(DISTINCT sequence) AS distinct, min(sequence) AS lo,
                  max(sequence) AS hi FROM (${['trades', 'tickers', 'books']
                    .map((t) => `SELECT exchange, feed, sequence FROM ${t}`)
                    .join(' UNION ALL ')}) u GROUP BY exchange, feed ORDER BY exchange, lo`,
        );
        const sessions = stored.map((r) => ({
          exchange: r.exchange as Venue,
          feed: r.feed,
          rows: Number(r.n),
          distinct: Number(r.distinct),
          first: Number(r.lo),
          last: Number(r.hi),
          missing: Number(r.hi) - Number(r.lo) + 1 - Number(r.distinct),
        }));
        const lastOf = (name: MetricsService, index: number): Exposition | undefined => latest.get(`${name}#${index}`);
        // Over every life: a life without the series (or never scraped) counted nothing.
        const sumOver = (name: MetricsService, metric: string, where: Record<string, string> = {}): number =>
          services.lives(name).reduce((sum, life) => sum + (lastOf(name, life.index)?.sum(metric, where) ?? 0), 0);
        const integrity = Object.fromEntries(
          MARKET_DATA.map((md) => [
            md,
            {
              lives: services.lives(md).length,
              gaps: sumOver(md, 'market_data_sequence_gaps_total'),
              recovered: sumOver(md, 'market_data_gap_messages_total', { outcome: 'recovered' }),
              lost: sumOver(md, 'market_data_gap_messages_total', { outcome: 'lost' }),
              deferred: sumOver(md, 'market_data_deferred_messages_total'),
              restored: sumOver(md, 'db_spool_restored_ticks_total'),
              duplicates: sumOver(md, 'db_duplicate_ticks_total'),
              dropped: sumOver(md, 'db_write_errors_total', { reason: 'dropped' }),
              final: finals.get(md),
            },
          ]),
        );

        // ---- orders ---------------------------------------------------------------------------
        const journal = summarizeJournal(readJournal(journalFile));
        const engineSent = sumOver('strategy-engine', 'engine_orders_sent_total');
        const figures = {
          wallSeconds: Math.round((Date.now() - t0) / 100) / 10,
          faultsSurvived: faults.length,
          faults,
          scrapes: watch.totalScrapes,
          processLives: watch.livesSeen,
          counterComparisons: watch.comparisons,
          counterViolations: watch.violations.length,
          tickEquationChecks: tickChecks,
          sessions,
          exchangeSessions: Object.fromEntries(
            VENUES.map((v) => [
              v,
              { first: firstSessions[v].session, last: lastSessions[v].session, sent: lastSessions[v].lastSequence },
            ]),
          ),
          integrity,
          outage,
          midBatchDuplicates,
          orders: {
            engineSent,
            gatewayRetries: METRICS_SERVICES.filter((n) => n.startsWith('gateway')).reduce(
              (n, g) => n + sumOver(g, 'order_retries_total'),
              0,
            ),
            exchangeCreated: journal.created,
            exchangeFills: journal.fills,
            retriesDeduplicatedByExchange: journal.duplicatesAnswered,
            createdTwice: journal.createdTwice.length,
            filledTwice: journal.filledTwice.length,
          },
          exitCodes,
        };
        console.log(`fault tour figures:\n${JSON.stringify(figures, null, 2)}`);

        const context = lines.slice(-40).join('\n');
        expect(faults.map((f) => f.target)).toEqual([
          'exchange',
          'market-data',
          'gateway',
          'strategy-engine',
          'database',
          'market-data',
        ]);
        // Counters: every life of every process scraped several times, none went backwards.
        for (const name of METRICS_SERVICES) {
          for (const life of services.lives(name)) {
            expect(watch.scrapes(name, life.index), `${name}#${life.index} scrapes`).toBeGreaterThanOrEqual(2);
          }
        }
        expect(services.lives(MD)).toHaveLength(3);
        expect(watch.violations).toEqual([]);
        // Ticks: the equation closed on every scrape.
        expect(tickViolations).toEqual([]);
        expect(tickChecks).toBeGreaterThan(20);
        expect(outage.deferred).toBeGreaterThan(0);
        expect(outage.failedWrites).toBeGreaterThan(0);
        // Every sequence number once: per venue two sessions (the exchange's restart), each stored
        // without a repeat; the second in full, from 1 to the last number the exchange sent; a number
        // missing only where the service counted it lost.
        for (const venue of VENUES) {
          const mine = sessions.filter((x) => x.exchange === venue);
          expect(mine.map((x) => x.feed).sort(), venue).toEqual(
            [firstSessions[venue].session, lastSessions[venue].session].sort(),
          );
          for (const x of mine) expect(x.rows, `${venue} ${x.feed}`).toBe(x.distinct);
          const last = mine.find((x) => x.feed === lastSessions[venue].session);
          expect(last?.first, venue).toBe(1);
          expect(last?.last, venue).toBeGreaterThanOrEqual(lastSessions[venue].lastSequence);
          const md = integrity[processName('market-data', venue)];
          expect(
            mine.reduce((n, x) => n + x.missing, 0),
            `${venue}: missing numbers = counted lost + dropped`,
          ).toBe((md?.lost ?? 0) + (md?.dropped ?? 0));
          expect(md?.gaps, venue).toBeGreaterThan(0);
          expect(md?.recovered, venue).toBeGreaterThan(0);
        }
        expect(midBatchDuplicates).toBeGreaterThan(0);
        // Orders: retries reached the exchange with known ids and were deduplicated; nothing twice.
        expect(figures.orders.gatewayRetries).toBeGreaterThan(0);
        expect(journal.duplicatesAnswered).toBeGreaterThan(0);
        expect(journal.createdTwice).toEqual([]);
        expect(journal.filledTwice).toEqual([]);
        expect(journal.created).toBeLessThanOrEqual(engineSent);
        expect(exitCodes, context).toEqual(Object.fromEntries(METRICS_SERVICES.map((n) => [n, 0])));
      } catch (error) {
        console.error(`fault tour failed; last lines:\n${lines.slice(-60).join('\n')}`);
        throw error;
      } finally {
        scraping = false;
        await loop?.catch(() => undefined);
        lives?.killAll();
        await db?.stop().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      }
    }, 240_000);
  });
}

/** The tour's settings: load, quick reconnects, a small tick buffer, retries the exchange answers late. */
function tourEnv(databaseUrl: string, journalFile: string, spoolDir: string): ExtraEnv {
  return {
    exchange: {
      // 3 symbols × 2 venues every 2 ms: 3,000 ticks/s.
      EXCHANGE_TICK_MS: '2',
      // Acks take 15-45 ms and the gateway gives up on an attempt after 40 ms: some orders are
      // retried after a timeout while the exchange already holds them.
      EXCHANGE_ACK_MS: '30',
      EXCHANGE_FILL_MS: '20',
      EXCHANGE_RATE_LIMIT_FRACTION: '0.05',
      EXCHANGE_ERROR_FRACTION: '0.05',
      EXCHANGE_JOURNAL: journalFile,
      LOG_LEVEL: 'warn',
    },
    'market-data': {
      DATABASE_URL: databaseUrl,
      DB_BATCH_SIZE: String(DB_BATCH_SIZE),
      DB_FLUSH_MS: '100',
      DB_BUFFER_MAX: String(DB_BUFFER_MAX),
      DB_RETRY_MIN_MS: '50',
      DB_RETRY_MAX_MS: '400',
      DB_WRITE_TIMEOUT_MS: '2000',
      MD_RECONNECT_MIN_MS: '50',
      MD_RECONNECT_MAX_MS: '500',
      MD_SPOOL_DIR: spoolDir,
      MD_CHECKPOINT_MS: '200',
      LOG_LEVEL: 'warn',
    },
    gateway: {
      GATEWAY_EXCHANGE_TIMEOUT_MS: '40',
      GATEWAY_MAX_RETRIES: '3',
      GATEWAY_RETRY_BASE_MS: '10',
      GATEWAY_WS_RECONNECT_MS: '100',
      RISK_MAX_ORDERS_PER_SEC: '50',
      LOG_LEVEL: 'error',
    },
    'strategy-engine': {
      ENGINE_ORDER_COOLDOWN_MS: '100',
      ENGINE_REJECT_COOLDOWN_MS: '200',
      ENGINE_FILL_TIMEOUT_MS: '2000',
      ENGINE_ORDER_TIMEOUT_MS: '3000',
      ENGINE_MA_FAST: '3',
      ENGINE_MA_SLOW: '8',
      ENGINE_MR_WINDOW: '10',
      ENGINE_MR_ENTRY_Z: '1',
      ENGINE_SHARPE_PERIOD_MS: '1000',
      LOG_LEVEL: 'error',
    },
  };
}
