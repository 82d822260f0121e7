import { pathToFileURL } from 'node:url';
import { MetricsError, PushgatewayError } from '@ttquant/metrics';
import { ConfigError } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import { readBacktestConfig } from './config.js';
import { BACKTEST_JOB } from './push.js';
import { type BacktestSummary, runBacktest } from './run.js';

// `npm run backtest`: replays the stored ticks through the strategies and pushes the run's metrics
// to the Pushgateway. Exit codes: 0 done, 1 the run failed (Pushgateway, database), 2 a variable
// does not parse.

/**
 * The summary the CLI prints: ticks and rate, PnL per strategy, where the metrics went.
 *
 * @param s - the run's summary
 * @returns the lines, without a trailing newline
 */
export function formatSummary(s: BacktestSummary): string {
  const { result } = s;
  const rate = s.seconds > 0 ? Math.round(result.ticks / s.seconds) : 0;
  const lines = [
    `backtest ${s.runId}: ${result.ticks} ticks replayed in ${s.seconds.toFixed(3)} s (${rate} ticks/s; ` +
      `reading the store ${s.readSeconds.toFixed(3)} s, pushing ${s.pushSeconds.toFixed(3)} s)`,
    `store: ${s.store}, ${s.storedTicks} ticks${s.recorded === undefined ? '' : ` (${s.recorded} just recorded)`}; ` +
      `${result.routed} on a strategy's venue and symbol`,
    '',
    row(['strategy', 'kind', 'venue', 'symbol', 'fills', 'position', 'realized USD', 'unrealized USD', 'PnL USD']),
    ...result.strategies.map((o) =>
      row([
        o.spec.name,
        o.spec.kind,
        o.spec.exchange,
        o.spec.symbol,
        String(o.fills),
        String(Number(o.position.toPrecision(12))),
        o.realizedPnl.toFixed(2),
        o.unrealizedPnl.toFixed(2),
        o.totalPnl.toFixed(2),
      ]),
    ),
    '',
    s.pushedTo === undefined
      ? 'metrics not recorded (BACKTEST_NOOP=1): nothing pushed'
      : `metrics pushed to ${s.pushedTo} (${s.pushes} pushes); in Prometheus: strategy_pnl_total{job="${BACKTEST_JOB}",run_id="${s.runId}"}`,
  ];
  return lines.join('\n');
}

const WIDTHS = [14, 12, 8, 8, 6, 10, 13, 15, 10];

function row(cells: readonly string[]): string {
  return cells
    .map((cell, i) => (i < 4 ? cell.padEnd(WIDTHS[i] ?? 0) : cell.padStart(WIDTHS[i] ?? 0)))
    .join(' ')
    .trimEnd();
}

async function main(): Promise<number> {
  let config: ReturnType<typeof readBacktestConfig>;
  try {
    config = readBacktestConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`backtest: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  // Warnings and errors only: the summary is the output.
  const logger = createLogger('backtest', { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  try {
    const summary = await runBacktest(config, {
      logger,
      progress: (line) => process.stdout.write(`backtest: ${line}\n`),
    });
    process.stdout.write(`${formatSummary(summary)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof PushgatewayError) {
      process.stderr.write(
        `backtest: cannot push to the Pushgateway at PUSHGATEWAY_URL=${config.pushgatewayUrl}: ${error.message}\n`,
      );
      return 1;
    }
    if (error instanceof ConfigError || error instanceof MetricsError) {
      process.stderr.write(`backtest: ${error.message}\n`);
      return error instanceof ConfigError ? 2 : 1;
    }
    process.stderr.write(
      `backtest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

// Run only as the entry point, so tests can import formatSummary.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
