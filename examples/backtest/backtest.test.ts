import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  describeWithTools,
  freePort,
  instantQuery,
  type PrometheusApi,
  pollQuery,
  pollUntil,
  prometheusApi,
  type Server,
  scrapedTargets,
  startServer,
} from '@ttquant/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type SqlClient } from '../market-data/database.js';
import { createLogger } from '../shared/logger.js';
import { countTicks, ensureTickTables, readTicks } from './tick-source.js';

// `npm run backtest` end to end: the CLI as a child process records a session into a fresh PGlite
// directory, replays it and pushes to Debian's prometheus-pushgateway, which a real Prometheus
// scrapes with honor_labels; the run's series are then read back from Prometheus by run id.

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runCli(env: Record<string, string>, timeoutMs = 90_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`backtest CLI did not exit within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The tick count the CLI printed: `backtest <id>: <n> ticks replayed in …`. */
function reportedTicks(stdout: string): number {
  const match = /^backtest \S+: (\d+) ticks replayed in /m.exec(stdout);
  if (match === null) throw new Error(`no tick count in the CLI's output:\n${stdout}`);
  return Number(match[1]);
}

describeWithTools(
  'npm run backtest against a real Pushgateway and Prometheus',
  ['prometheus-pushgateway', 'prometheus'],
  () => {
    let gateway: Server;
    let prometheus: Server;
    let api: PrometheusApi;
    let dataDir: string;
    let first: CliRun;

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'ttquant-backtest-'));
      gateway = await startServer('prometheus-pushgateway', (port) => [
        `--web.listen-address=127.0.0.1:${port}`,
        // In memory: Debian's build defaults to /var/lib/prometheus/pushgateway.data, shared by every
        // gateway started without this flag, so another run's groups would be loaded here.
        '--persistence.file=',
      ]);
      const target = gateway.url.replace('http://', '');
      prometheus = await startServer('prometheus', (port, dir) => {
        const config = join(dir, 'prometheus.yml');
        writeFileSync(
          config,
          [
            'global:',
            '  scrape_interval: 1s',
            '  scrape_timeout: 1s',
            'scrape_configs:',
            '  - job_name: pushgateway',
            '    honor_labels: true',
            '    static_configs:',
            `      - targets: ['${target}']`,
            '',
          ].join('\n'),
        );
        return [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ];
      });
      api = prometheusApi(prometheus.url);
      await scrapedTargets(api, { timeoutMs: 20_000 });
      // The first run finds no tick and records a short session from the simulated exchange.
      first = await runCli({
        PUSHGATEWAY_URL: gateway.url,
        BACKTEST_DATA_DIR: dataDir,
        BACKTEST_RECORD_SECONDS: '2',
        BACKTEST_RUN_ID: 'it-run-1',
        BACKTEST_CHECKPOINT_TICKS: '100',
      });
    }, 150_000);

    afterAll(async () => {
      await prometheus?.stop();
      await gateway?.stop();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    });

    /** Waits until Prometheus has scraped the run's final push (`backtest_completed` 1). */
    async function finished(runId: string): Promise<void> {
      await pollUntil(
        async () => (await instantQuery(api, `backtest_completed{job="backtest",run_id="${runId}"} == 1`)).length === 1,
        `a scrape of ${runId}'s final push`,
        20_000,
      );
    }

    it('records a session into the empty store, replays it, exits 0 and prints a summary', () => {
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/recording 2 s from the simulated exchange/);
      expect(first.stdout).toMatch(/^ma_cross +ma_cross +binance +BTCUSDT /m);
      expect(first.stdout).toMatch(/^mean_revert +mean_revert +okx +ETHUSDT /m);
      expect(first.stdout).toContain(`metrics pushed to ${gateway.url}/metrics/job/backtest/run_id/it-run-1`);
      expect(reportedTicks(first.stdout)).toBeGreaterThan(0);
    });

    it("makes the run's strategy metrics queryable in Prometheus by run id, with job=backtest", async () => {
      // The run pushed before, during and after the replay: wait for a scrape of the final push.
      await finished('it-run-1');
      const pnl = await pollQuery(api, 'strategy_pnl_total{run_id="it-run-1"}', { count: 2, timeoutMs: 20_000 });
      expect(pnl.map((s) => s.metric['strategy']).sort()).toEqual(['ma_cross', 'mean_revert']);
      for (const sample of pnl) expect(sample.metric['job']).toBe('backtest');
      const names = await instantQuery(
        api,
        'count by (__name__) ({job="backtest",run_id="it-run-1",__name__=~"strategy_.*"})',
      );
      // The series every registered strategy has (averages and win rate wait for closed trades).
      expect(names.map((s) => s.metric['__name__'])).toEqual(
        expect.arrayContaining([
          'strategy_pnl_total',
          'strategy_realized_pnl',
          'strategy_unrealized_pnl',
          'strategy_max_drawdown_usd',
          'strategy_trades_total',
          'strategy_winning_trades_total',
          'strategy_losing_trades_total',
          'strategy_sharpe_ratio',
        ]),
      );
      // The PnL Prometheus holds is the one the CLI printed (to the cent).
      const printed = /^ma_cross +ma_cross +binance +BTCUSDT +\d+ +\S+ +\S+ +\S+ +(-?\d+\.\d\d)$/m.exec(
        first.stdout,
      )?.[1];
      const stored = pnl.find((s) => s.metric['strategy'] === 'ma_cross')?.value[1];
      expect(Number(stored).toFixed(2)).toBe(printed);
    });

    it('reports as many ticks replayed as the CLI printed and the store holds', async () => {
      await finished('it-run-1');
      const [replayed] = await pollQuery(api, 'backtest_ticks_replayed_total{job="backtest",run_id="it-run-1"}', {
        timeoutMs: 20_000,
      });
      const db: SqlClient = await openDatabase({ dataDir }, createLogger('test', { LOG_LEVEL: 'silent' }));
      let rows: number;
      try {
        await ensureTickTables(db);
        rows = await countTicks(db);
      } finally {
        await db.close();
      }
      expect(rows).toBeGreaterThan(0);
      expect(reportedTicks(first.stdout)).toBe(rows);
      expect(Number(replayed?.value[1])).toBe(rows);
    });

    it('keeps a second run with another run id as a separate group, replaying the same stored ticks', async () => {
      const second = await runCli({
        PUSHGATEWAY_URL: gateway.url,
        BACKTEST_DATA_DIR: dataDir,
        BACKTEST_RUN_ID: 'it-run-2',
      });
      expect(second.code, second.stderr).toBe(0);
      // The store has ticks now: nothing is recorded.
      expect(second.stdout).not.toMatch(/recording/);
      expect(reportedTicks(second.stdout)).toBe(reportedTicks(first.stdout));
      await finished('it-run-2');
      const runs = await pollQuery(api, 'backtest_ticks_replayed_total{job="backtest"}', {
        count: 2,
        timeoutMs: 20_000,
      });
      expect(runs.map((s) => s.metric['run_id']).sort()).toEqual(['it-run-1', 'it-run-2']);
      const byRun = await pollQuery(api, 'count by (run_id) (strategy_pnl_total{job="backtest"})', { count: 2 });
      for (const group of byRun) expect(group.value[1]).toBe('2');
      // Same ticks, same strategies, same simulated fills: the same PnL in both groups.
      const pnl = await instantQuery(api, 'strategy_pnl_total{job="backtest",strategy="ma_cross"}');
      expect(new Set(pnl.map((s) => s.value[1])).size).toBe(1);
    });

    it('fails with a clear error and exit 1 when nothing listens at PUSHGATEWAY_URL', async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const run = await runCli({ PUSHGATEWAY_URL: url, BACKTEST_DATA_DIR: dataDir, BACKTEST_RUN_ID: 'it-run-3' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`backtest: cannot push to the Pushgateway at PUSHGATEWAY_URL=${url}`);
      expect(run.stdout).not.toMatch(/ticks replayed/);
    });

    it('exits 2 naming the variable when PUSHGATEWAY_URL is not an http URL', async () => {
      const run = await runCli({ PUSHGATEWAY_URL: 'ftp://127.0.0.1:9091', BACKTEST_DATA_DIR: dataDir });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        'backtest: PUSHGATEWAY_URL=ftp://127.0.0.1:9091: expected an http:// or https:// URL',
      );
    });
  },
);

describe('readTicks against PGlite', () => {
  let db: SqlClient;
  beforeAll(async () => {
    db = await openDatabase({}, createLogger('test', { LOG_LEVEL: 'silent' }));
    await ensureTickTables(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('reads every row once, in exchange-time order, across pages that split runs of equal keys', async () => {
    // Inserted out of order; five trades share one key, so page boundaries fall inside that run.
    const t = (ms: number) => new Date(ms).toISOString();
    for (let i = 0; i < 5; i++) {
      await db.query(
        "INSERT INTO trades (time, received_at, exchange, symbol, price, quantity, side) VALUES ($1, $1, 'binance', 'BTCUSDT', 100, $2, 'buy')",
        [t(2_000), i + 1],
      );
    }
    await db.query(
      "INSERT INTO books (time, received_at, exchange, symbol, bid_price, bid_qty, ask_price, ask_qty) VALUES ($1, $1, 'okx', 'ETHUSDT', 10, 1, 12, 1)",
      [t(1_000)],
    );
    await db.query(
      "INSERT INTO tickers (time, received_at, exchange, symbol, price, volume_24h) VALUES ($1, $1, 'binance', 'BTCUSDT', 101, 5)",
      [t(3_000)],
    );
    await db.query(
      "INSERT INTO trades (time, received_at, exchange, symbol, price, quantity, side) VALUES ($1, $1, 'binance', 'BTCUSDT', 99, 1, 'sell')",
      [t(2_000)],
    );
    expect(await countTicks(db)).toBe(8);
    const want = [
      { time: 1_000, exchange: 'okx', symbol: 'ETHUSDT', type: 'book', price: 11 },
      { time: 2_000, exchange: 'binance', symbol: 'BTCUSDT', type: 'trade', price: 99 },
      ...Array.from({ length: 5 }, () => ({
        time: 2_000,
        exchange: 'binance',
        symbol: 'BTCUSDT',
        type: 'trade',
        price: 100,
      })),
      { time: 3_000, exchange: 'binance', symbol: 'BTCUSDT', type: 'ticker', price: 101 },
    ];
    for (const pageSize of [1, 2, 3, 5, 8, 100]) {
      const read = [];
      for await (const page of readTicks(db, pageSize)) {
        expect(page.length).toBeLessThanOrEqual(pageSize);
        read.push(...page);
      }
      expect(read, `pageSize ${pageSize}`).toEqual(want);
    }
  });
});
