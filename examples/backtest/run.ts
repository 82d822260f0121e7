import { mkdirSync } from 'node:fs';
import { StrategyMetrics } from '@ttquant/metrics';
import { openDatabase, type SqlClient } from '../market-data/database.js';
import type { Logger } from '../shared/logger.js';
import type { BacktestConfig } from './config.js';
import { mergeTicks } from './merge-ticks.js';
import { BacktestMetrics } from './metrics.js';
import { CheckpointPusher } from './push.js';
import { recordSession } from './record-session.js';
import { Replay, type ReplayResult } from './replay.js';
import { countTicks, ensureTickTables, readTicks } from './tick-source.js';

// One backtest run: open the store (recording a session first when it is empty), check the
// Pushgateway answers, replay every stored tick, and push the run's metrics at checkpoints and at
// the end.

/** What a run did, for the CLI's summary. */
export interface BacktestSummary {
  readonly runId: string;
  /** `pglite <dir>` or `postgres`. */
  readonly store: string;
  /** Ticks written by the recording, when the store was empty; `undefined` when nothing was recorded. */
  readonly recorded: number | undefined;
  /** Rows in the store when the replay started. */
  readonly storedTicks: number;
  readonly result: ReplayResult;
  /** Wall time of the replay, reading and pushing included, seconds. */
  readonly seconds: number;
  /** Of which reading the store, seconds. */
  readonly readSeconds: number;
  /** Of which pushing, seconds. */
  readonly pushSeconds: number;
  /** The group's URL, or `undefined` with BACKTEST_NOOP=1. */
  readonly pushedTo: string | undefined;
  readonly pushes: number;
}

/** Optional collaborators of {@link runBacktest}. */
export interface BacktestDeps {
  readonly logger: Logger;
  /** The environment the recorded services read (EXCHANGE_*, MD_*); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Progress lines for the user (recording started, …); default none. */
  readonly progress?: (line: string) => void;
}

/**
 * Runs one backtest.
 *
 * @param config - from `readBacktestConfig`
 * @param deps - logger, environment and progress output
 * @returns what was replayed and pushed
 * @throws PushgatewayError when the gateway refuses a push or does not answer (the first push comes
 *   before any recording or replay, so a wrong URL fails at once); database errors; TickSourceError
 */
export async function runBacktest(config: BacktestConfig, deps: BacktestDeps): Promise<BacktestSummary> {
  const progress = deps.progress ?? (() => {});
  const strategyMetrics = new StrategyMetrics({ noop: config.noop });
  const backtest = new BacktestMetrics({ noop: config.noop });
  const replay = new Replay(config, strategyMetrics);
  const pusher = config.noop
    ? undefined
    : new CheckpointPusher(
        { url: config.pushgatewayUrl, runId: config.runId, timeoutMs: config.pushTimeoutMs },
        backtest,
        [strategyMetrics, backtest],
      );
  // Before anything slow: a wrong URL or a gateway that is down fails now, not after the replay.
  await pusher?.checkpoint();

  // One store: a PostgreSQL server, or the PGlite folders read as one (a folder per market data).
  const dbs: SqlClient[] = [];
  try {
    if (config.databaseUrl !== undefined) dbs.push(await openDatabase({ url: config.databaseUrl }, deps.logger));
    else {
      for (const dataDir of config.dataDirs) {
        mkdirSync(dataDir, { recursive: true });
        dbs.push(await openDatabase({ dataDir }, deps.logger));
      }
    }
    const store = config.databaseUrl !== undefined ? 'postgres (DATABASE_URL)' : `pglite ${config.dataDirs.join(', ')}`;
    let stored = 0;
    for (const db of dbs) {
      await ensureTickTables(db);
      stored += await countTicks(db);
    }
    let recorded: number | undefined;
    if (stored === 0) {
      progress(`no ticks in ${store}: recording ${config.recordSeconds} s from the simulated exchange`);
      const counts = await recordSession({
        database: dbs[0] as SqlClient,
        seconds: config.recordSeconds,
        env: deps.env ?? process.env,
        logger: deps.logger,
      });
      recorded = counts.written;
      stored = await countTicks(dbs[0] as SqlClient);
      progress(`recorded ${counts.written} ticks (${counts.dropped} dropped, ${counts.buffered} not flushed)`);
    }
    return { ...(await replayAll(dbs, config, replay, backtest, pusher)), store, recorded, storedTicks: stored };
  } finally {
    for (const db of dbs) await db.close();
  }
}

async function replayAll(
  dbs: readonly SqlClient[],
  config: BacktestConfig,
  replay: Replay,
  backtest: BacktestMetrics,
  pusher: CheckpointPusher | undefined,
): Promise<Omit<BacktestSummary, 'store' | 'recorded' | 'storedTicks'>> {
  const ticks = backtest.ticksReplayed.bind();
  const duration = backtest.duration.bind();
  const rate = backtest.ticksPerSecond.bind();
  const completed = backtest.completed.bind();
  completed.set(0);
  const started = performance.now();
  let readMs = 0;
  let pushMs = 0;
  let nextCheckpoint = config.checkpointTicks;
  const stamp = (): void => {
    const seconds = (performance.now() - started) / 1000;
    duration.set(seconds);
    rate.set(seconds > 0 ? replay.ticks / seconds : 0);
  };
  const push = async (): Promise<void> => {
    if (pusher === undefined) return;
    stamp();
    const t0 = performance.now();
    await pusher.checkpoint();
    pushMs += performance.now() - t0;
  };

  const pages = mergeTicks(
    dbs.map((db) => readTicks(db, config.pageSize)),
    config.pageSize,
  );
  for (;;) {
    const t0 = performance.now();
    const next = await pages.next();
    readMs += performance.now() - t0;
    if (next.done === true) break;
    // Page by page up to each checkpoint, so a checkpoint lands on its tick count exactly.
    let page = next.value;
    while (page.length > 0) {
      const room = nextCheckpoint - replay.ticks;
      const part = page.length > room ? page.slice(0, room) : page;
      await replay.feed(part);
      ticks.add(part.length);
      page = part === page ? [] : page.slice(room);
      if (replay.ticks >= nextCheckpoint) {
        nextCheckpoint += config.checkpointTicks;
        await push();
      }
    }
  }
  completed.set(1);
  stamp();
  const seconds = (performance.now() - started) / 1000;
  await push();
  return {
    runId: config.runId,
    result: replay.result(),
    seconds,
    readSeconds: readMs / 1000,
    pushSeconds: pushMs / 1000,
    pushedTo: pusher?.url,
    pushes: pusher?.pushes ?? 0,
  };
}
