import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRequiring, type Exposition, freePort, pollUntil, readExposition } from '@ttquant/test-kit';
import { describe, expect, it } from 'vitest';
import { readJournal, summarizeJournal } from '../fixtures/exchange/journal.js';
import type { ExchangeStats } from '../fixtures/exchange/stats.js';
import { CounterWatch, type Life, ServiceLives, tickCounts } from './fault-tour.js';
import { PostgresServer, postgresTools } from './postgres-server.js';
import { freePipelinePorts, pipelineSpecs, type ServiceName } from './specs.js';

// The fault tour: the whole pipeline under load, on a real PostgreSQL server, and in turn the
// exchange, market data, the gateway, the strategy engine and the database are killed (SIGKILL) and
// started again. After each restart the tour waits until the pipeline moves again. Throughout, every
// service's /metrics is scraped every ~200 ms and checked:
//   - no counter, histogram bucket or count goes backwards within one process life;
//   - market data: received = written + dropped + buffered on every scrape (one render, so exact);
// and at the end:
//   - with the feed stopped, received = written + dropped (nothing buffered, nothing unaccounted),
//     and the rows in PostgreSQL match what was counted as written;
//   - the exchange's order journal (kept across its restart) shows no clientOrderId created twice
//     and no order filled twice, while the gateway's retries did reach it with known ids.
// Every figure is printed. Needs PostgreSQL's server binaries (Debian `postgresql`): on CI a missing
// server fails the test; locally it is skipped with the reason.

const METRICS_SERVICES = ['market-data', 'gateway', 'strategy-engine'] as const;
type MetricsService = (typeof METRICS_SERVICES)[number];
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
      ].join('\n'),
    );
    expect(tickCounts(scrape)).toEqual({ received: 15, written: 6, dropped: 3, buffered: 6 });
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
    it('loses no tick silently, submits no order twice, and no counter goes backwards within a process life', async () => {
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
        const specs = pipelineSpecs(await freePipelinePorts(), tourEnv(db.url, journalFile));
        const services = new ServiceLives(specs, { onLine: (name, line) => lines.push(`[${name}] ${line}`) });
        lives = services;
        for (const name of ['exchange', ...METRICS_SERVICES]) await services.start(name);

        // One scrape of a service at a time: two in flight could be recorded out of the order they
        // were rendered in, and a counter would seem to go backwards.
        const queues = new Map<string, Promise<unknown>>();
        function scrape(name: MetricsService): Promise<Exposition | undefined> {
          const next = (queues.get(name) ?? Promise.resolve()).catch(() => undefined).then(() => scrapeNow(name));
          queues.set(name, next);
          return next;
        }
        /**
         * Scrapes a service's current life and records it; undefined while it is down. The watch and
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
          if (name === 'market-data') {
            tickChecks++;
            const c = tickCounts(exposition);
            if (c.received !== c.written + c.dropped + c.buffered) {
              tickViolations.push(`market-data#${life.index}: ${JSON.stringify(c)}`);
            }
          }
          return read;
        }
        /**
         * The sum of a metric's series in a scrape of a running service. The series the tour reads
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
        /** Waits until a metric of a running service has grown by `by` from now. */
        async function moves(name: MetricsService, metric: string, by = 1, where: Record<string, string> = {}) {
          const base = await value(name, metric, where);
          await pollUntil(
            tolerant(async () => (await value(name, metric, where)) >= base + by),
            `${name} ${metric} to grow by ${by}`,
            RECOVERY_MS,
          );
        }
        /** Waits until a metric of the service's current (new) life is positive. */
        async function positive(name: MetricsService, metric: string, where: Record<string, string> = {}) {
          await pollUntil(
            tolerant(async () => (await value(name, metric, where)) > 0),
            `${name} ${metric} > 0 in its new life`,
            RECOVERY_MS,
          );
        }

        scraping = true;
        loop = (async () => {
          while (scraping) {
            await Promise.all(METRICS_SERVICES.map((name) => scrape(name).catch(() => undefined)));
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        })();

        // Under load: ticks stored, orders acknowledged and filled, fills back at the strategies.
        await positive('market-data', 'db_writes_total');
        await positive('gateway', 'orders_success_total');
        await positive('gateway', 'trades_total');
        await positive('strategy-engine', 'engine_trades_received_total');

        const faults: { target: string; downMs: number; recoveryMs: number; note: string }[] = [];
        let bufferedAtMdKill = 0;
        async function tour(
          target: ServiceName | 'database',
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

        await tour(
          'exchange',
          async () => void (await services.kill('exchange')),
          async () => void (await services.start('exchange')),
          async () => {
            await pollUntil(
              tolerant(async () => (await value('market-data', 'ws_connection_status')) === 2),
              'both feeds reconnected',
              RECOVERY_MS,
            );
            await moves('market-data', 'market_data_received_total', 500);
            await moves('gateway', 'orders_success_total');
            await moves('gateway', 'trades_total');
          },
        );
        await tour(
          'market-data',
          async () => {
            const last = await scrape('market-data');
            bufferedAtMdKill = last === undefined ? 0 : tickCounts(last).buffered;
            await services.kill('market-data');
          },
          async () => void (await services.start('market-data')),
          async () => {
            await positive('market-data', 'db_writes_total');
            await moves('strategy-engine', 'engine_market_data_received_total', 100);
          },
        );
        await tour(
          'gateway',
          async () => void (await services.kill('gateway')),
          async () => void (await services.start('gateway')),
          async () => {
            await positive('gateway', 'orders_success_total');
            await positive('gateway', 'trades_total');
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
        const droppedNow = () => value('market-data', 'db_write_errors_total', { reason: 'dropped' });
        const failedWrites = () =>
          Promise.all(
            ['connection', 'timeout'].map((reason) => value('market-data', 'db_write_errors_total', { reason })),
          ).then(([a, b]) => (a ?? 0) + (b ?? 0));
        const beforeOutage = { dropped: await droppedNow(), failedWrites: await failedWrites() };
        await tour(
          'database',
          async () => {
            await server.crash();
            // Held down until the bounded buffer has overflowed: the ticks it cannot keep are counted.
            await pollUntil(
              tolerant(async () => (await droppedNow()) > beforeOutage.dropped),
              'ticks counted as dropped while the database is down',
              RECOVERY_MS,
            );
          },
          () => server.start(),
          async () => {
            await moves('market-data', 'db_writes_total', DB_BATCH_SIZE);
            await pollUntil(
              tolerant(async () => (await value('market-data', 'db_buffered_ticks')) < DB_BATCH_SIZE * 2),
              'the buffer drained',
              RECOVERY_MS,
            );
          },
          'every server process SIGKILLed; crash recovery on restart',
        );
        const outage = {
          dropped: (await droppedNow()) - beforeOutage.dropped,
          failedWrites: (await failedWrites()) - beforeOutage.failedWrites,
        };

        // The end: stop the feed, let market data write what it holds, then stop everything.
        const exchangeStats = (await (
          await fetch(`${services.current('exchange')?.service.url}/admin/stats`)
        ).json()) as ExchangeStats;
        expect(await services.stop('exchange')).toBe(0);
        let final = { received: 0, written: 0, dropped: 0, buffered: -1 };
        await pollUntil(
          tolerant(async () => {
            const e = await scrape('market-data');
            if (e === undefined) return false;
            final = tickCounts(e);
            return final.buffered === 0 && final.received === final.written + final.dropped;
          }),
          'market data to write or count every tick',
          RECOVERY_MS,
        );
        scraping = false;
        await loop;
        // One more scrape of every life still running, then stop them (consumers first).
        for (const name of METRICS_SERVICES) await scrape(name);
        const exitCodes: Record<string, number | null> = {};
        for (const name of ['strategy-engine', 'gateway', 'market-data'] as const) {
          exitCodes[name] = await services.stop(name);
        }

        // ---- what was stored ---------------------------------------------------------------------
        const mdLives = services.lives('market-data');
        const rowsPerLife: number[] = [];
        for (const life of mdLives) rowsPerLife.push(await rowsBetween(server, life));
        const lastOf = (name: MetricsService, life: Life): Exposition | undefined =>
          latest.get(`${name}#${life.index}`);
        const mdLast = mdLives.map((life) => tickCounts(lastOf('market-data', life) ?? readExposition('')));
        const stopLine = lines.find((l) => /market-data: stopped on SIGTERM/.test(l)) ?? '';
        const stopped = /received (\d+), written (\d+), dropped (\d+), buffered (\d+)/.exec(stopLine);

        // ---- orders ---------------------------------------------------------------------------
        const journal = summarizeJournal(readJournal(journalFile));
        // Over every life: a life without the series (or never scraped) counted nothing.
        const sumOver = (name: MetricsService, metric: string, where: Record<string, string> = {}): number =>
          services.lives(name).reduce((sum, life) => sum + (lastOf(name, life)?.sum(metric, where) ?? 0), 0);
        const restored = Object.values(exchangeStats.orders).reduce((n, o) => n + o.restored, 0);

        const figures = {
          wallSeconds: Math.round((Date.now() - t0) / 100) / 10,
          faultsSurvived: faults.length,
          faults,
          scrapes: watch.totalScrapes,
          processLives: watch.livesSeen,
          counterComparisons: watch.comparisons,
          counterViolations: watch.violations.length,
          tickEquationChecks: tickChecks,
          ticks: {
            perMarketDataLife: mdLast.map((c, i) => ({ ...c, rowsInDatabase: rowsPerLife[i], end: mdLives[i]?.end })),
            received: mdLast.reduce((n, c) => n + c.received, 0),
            written: mdLast.reduce((n, c) => n + c.written, 0),
            dropped: mdLast.reduce((n, c) => n + c.dropped, 0),
            droppedDuringDatabaseOutage: outage.dropped,
            failedWriteAttemptsDuringDatabaseOutage: outage.failedWrites,
            bufferedAtMarketDataKill: bufferedAtMdKill,
            // The killed process held these in memory and they died with it (a lower bound: what it
            // had received by its last scrape minus what reached the database or was counted dropped).
            lostWithKilledMarketDataAtLeast: Math.max(
              0,
              (mdLast[0]?.received ?? 0) - (rowsPerLife[0] ?? 0) - (mdLast[0]?.dropped ?? 0),
            ),
            finalLife: final,
          },
          orders: {
            engineSent: sumOver('strategy-engine', 'engine_orders_sent_total'),
            gatewayOrders: sumOver('gateway', 'orders_total'),
            gatewayAccepted: sumOver('gateway', 'orders_success_total'),
            gatewayFailed: sumOver('gateway', 'orders_failed_total'),
            gatewayRetries: sumOver('gateway', 'order_retries_total'),
            exchangeCreated: journal.created,
            exchangeFills: journal.fills,
            retriesDeduplicatedByExchange: journal.duplicatesAnswered,
            restoredByRestartedExchange: restored,
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
        ]);
        // Counters: every life of every service scraped several times, none went backwards.
        for (const name of METRICS_SERVICES) {
          for (const life of services.lives(name)) {
            expect(watch.scrapes(name, life.index), `${name}#${life.index} scrapes`).toBeGreaterThanOrEqual(2);
          }
        }
        expect(services.lives('market-data')).toHaveLength(2);
        expect(watch.violations).toEqual([]);
        // Ticks: the equation closed on every scrape, and with the feed stopped nothing is unaccounted.
        expect(tickViolations).toEqual([]);
        expect(tickChecks).toBeGreaterThan(20);
        expect(outage.dropped).toBeGreaterThan(0);
        expect(outage.failedWrites).toBeGreaterThan(0);
        expect(final.received).toBeGreaterThan(0);
        expect(final.received).toBe(final.written + final.dropped);
        expect(stopped, stopLine).not.toBeNull();
        const [, received, written, dropped, buffered] = (stopped as RegExpExecArray).map(Number);
        expect({ received, written, dropped, buffered }).toEqual({ ...final, buffered: 0 });
        // What was counted as written is in the database. A batch whose commit landed just before the
        // server was killed, with its answer lost, is written again by the retry (at-least-once), so the
        // rows may exceed the count by at most one batch.
        const finalRows = rowsPerLife.at(-1) as number;
        expect(finalRows).toBeGreaterThanOrEqual(final.written);
        expect(finalRows - final.written).toBeLessThanOrEqual(DB_BATCH_SIZE);
        expect(rowsPerLife[0]).toBeGreaterThanOrEqual(mdLast[0]?.written ?? 0);
        // Orders: retries reached the exchange with known ids and were deduplicated; nothing twice.
        expect(figures.orders.gatewayRetries).toBeGreaterThan(0);
        expect(journal.duplicatesAnswered).toBeGreaterThan(0);
        expect(journal.createdTwice).toEqual([]);
        expect(journal.filledTwice).toEqual([]);
        expect(journal.created).toBeLessThanOrEqual(figures.orders.engineSent);
        expect(exitCodes, context).toEqual({ 'strategy-engine': 0, gateway: 0, 'market-data': 0 });
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
    }, 180_000);
  });
}

/** The tour's settings: load, quick reconnects, a small tick buffer, retries the exchange answers late. */
function tourEnv(databaseUrl: string, journalFile: string): Record<ServiceName, Record<string, string>> {
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

/** Rows the market-data process of one life wrote: every table, by receive time within the life. */
async function rowsBetween(db: PostgresServer, life: Life): Promise<number> {
  const from = life.startedAt;
  const to = life.endedAt ?? Date.now();
  const where = 'received_at >= to_timestamp($1 / 1000.0) AND received_at <= to_timestamp($2 / 1000.0)';
  const rows = await db.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM trades WHERE ${where}) + (SELECT count(*) FROM tickers WHERE ${where})
       + (SELECT count(*) FROM books WHERE ${where}) AS n`,
    [from, to],
  );
  return Number(rows[0]?.n ?? 0);
}
