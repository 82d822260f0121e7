import { mkdirSync } from 'node:fs';
import { StrategyMetrics } from '@ttquant/metrics';
import { openDatabase } from '../market-data/database.js';
import { envInteger } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { readBacktestConfig } from './config.js';
import { recordSession } from './record-session.js';
import { Replay } from './replay.js';
import { countTicks, ensureTickTables, type ReplayTick, readTicks } from './tick-source.js';

// What recording the strategy metrics costs a backtest: the same stored ticks replayed with the real
// StrategyMetrics and with a no-op one (`{ noop: true }`), in alternating blocks (so drift of the
// machine hits both alike), medians of ticks/s and their ratio, as a markdown table.
//
//   npx tsx examples/backtest/replay.bench.ts
//
// Reads the store the backtest reads (BACKTEST_DATA_DIR or DATABASE_URL; recorded first when empty,
// BACKTEST_RECORD_SECONDS long). A short recording is a few thousand ticks, too few to time: each
// block replays them BENCH_REPEAT times in a row (default: enough for ≥ BENCH_MIN_TICKS, 300,000),
// each repetition shifted in time past the previous one so the clock never runs backwards.
// BENCH_BLOCKS (default 10) blocks per mode. The store is read once, before timing: the figures are
// the replay (strategies, simulated fills, ledger, metrics), not the database.

const env = process.env;
const config = readBacktestConfig(env);
const blocks = envInteger(env, 'BENCH_BLOCKS', 10, 1, 1_000);
const minTicks = envInteger(env, 'BENCH_MIN_TICKS', 300_000, 1, 100_000_000);
const logger = createLogger('backtest-bench', { LOG_LEVEL: env.LOG_LEVEL ?? 'warn' });

const dataDir = config.dataDirs[0] as string;
if (config.databaseUrl === undefined) mkdirSync(dataDir, { recursive: true });
const db = await openDatabase({ url: config.databaseUrl, dataDir }, logger);
const stored: ReplayTick[] = [];
try {
  await ensureTickTables(db);
  if ((await countTicks(db)) === 0) {
    process.stdout.write(`no ticks stored: recording ${config.recordSeconds} s from the simulated exchange\n`);
    await recordSession({ database: db, seconds: config.recordSeconds, env, logger });
  }
  for await (const page of readTicks(db, config.pageSize)) stored.push(...page);
} finally {
  await db.close();
}
if (stored.length === 0) throw new Error('the store holds no tick, even after recording');

const span = (stored[stored.length - 1] as ReplayTick).time - (stored[0] as ReplayTick).time + 1_000;
const repeat = envInteger(env, 'BENCH_REPEAT', Math.max(1, Math.ceil(minTicks / stored.length)), 1, 1_000_000);
const input: ReplayTick[] = [];
for (let r = 0; r < repeat; r++) for (const t of stored) input.push({ ...t, time: t.time + r * span });

/** Ticks per second of one replay of `input` into a fresh catalog. */
async function block(noop: boolean): Promise<{ rate: number; pnl: number }> {
  const replay = new Replay(config, new StrategyMetrics({ noop }));
  const t0 = performance.now();
  // Pages as the CLI feeds them.
  for (let i = 0; i < input.length; i += config.pageSize) await replay.feed(input.slice(i, i + config.pageSize));
  const seconds = (performance.now() - t0) / 1000;
  const pnl = replay.result().strategies.reduce((sum, s) => sum + s.totalPnl, 0);
  return { rate: input.length / seconds, pnl };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

// Warm-up of both paths (JIT), not timed.
await block(false);
await block(true);
const rates = { recorded: [] as number[], noop: [] as number[] };
const pnls = new Set<string>();
for (let b = 0; b < blocks; b++) {
  // Alternate which mode goes first, so neither always runs on a warmer or cooler machine.
  for (const noop of b % 2 === 0 ? [false, true] : [true, false]) {
    const { rate, pnl } = await block(noop);
    (noop ? rates.noop : rates.recorded).push(rate);
    pnls.add(pnl.toFixed(6));
  }
}
// Both modes replay the same ticks through the same ledger: one PnL, or the comparison is void.
if (pnls.size !== 1) throw new Error(`the modes disagree on PnL: ${[...pnls].join(', ')}`);

const recorded = median(rates.recorded);
const noop = median(rates.noop);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
process.stdout.write(
  [
    `${stored.length} stored ticks × ${repeat} = ${input.length} ticks per block, ${blocks} blocks per mode, ` +
      `page ${config.pageSize}; node ${process.version}`,
    '',
    '| replay | median ticks/s | min | max |',
    '|---|---:|---:|---:|',
    `| StrategyMetrics recorded | ${fmt(recorded)} | ${fmt(Math.min(...rates.recorded))} | ${fmt(Math.max(...rates.recorded))} |`,
    `| no-op catalog (\`{ noop: true }\`) | ${fmt(noop)} | ${fmt(Math.min(...rates.noop))} | ${fmt(Math.max(...rates.noop))} |`,
    `| recorded / no-op | ${(recorded / noop).toFixed(3)} | | |`,
    '',
  ].join('\n'),
);
