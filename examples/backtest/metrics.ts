import { catalog, counter, gauge } from '@ttquant/metrics';

// The backtest's own metrics, pushed with the run's StrategyMetrics: how far the replay got, how
// fast, and when it last pushed. They carry no label of their own: the Pushgateway group adds `job`
// and `run_id`.

/** Declarations of the backtest catalog. */
export const backtestDefinitions = {
  ticksReplayed: counter(
    'backtest_ticks_replayed_total',
    'Stored ticks fed through the strategies.',
    {},
    { unit: '1' },
  ),
  duration: gauge(
    'backtest_duration_seconds',
    'Wall time of the replay so far, reading the store included.',
    {},
    {
      unit: 'seconds',
    },
  ),
  ticksPerSecond: gauge(
    'backtest_ticks_per_second',
    'Ticks replayed per second of wall time, so far.',
    {},
    {
      unit: '1',
    },
  ),
  lastCheckpoint: gauge(
    'backtest_last_checkpoint_timestamp_seconds',
    'When the run last pushed its metrics, seconds since the epoch.',
    {},
    { unit: 'seconds' },
  ),
  completed: gauge(
    'backtest_completed',
    '1 once the replay has read every stored tick, 0 while it runs.',
    {},
    {
      unit: '1',
    },
  ),
} as const;

/**
 * The backtest catalog.
 *
 * @example
 * ```ts
 * const bt = new BacktestMetrics();
 * bt.ticksReplayed.add({}, page.length);
 * ```
 */
export class BacktestMetrics extends catalog(backtestDefinitions) {}
