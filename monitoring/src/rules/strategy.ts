import { strategyDefinitions } from '@ttquant/metrics';
import { monitoringConfig } from '../config.js';
import { externalMetrics } from '../external-metrics.js';
import { select } from './selectors.js';
import { type AlertGroup, alert } from './types.js';

const st = strategyDefinitions;
const t = monitoringConfig.thresholds;

/** strategy_alerts: losses, win rate, a dead engine, oversized positions. */
export const strategyAlerts: AlertGroup = {
  name: 'strategy_alerts',
  alerts: [
    alert({
      alert: 'StrategyLoss',
      expr: `${select(st.pnl.name, 'strategyEngine')} < -${t.strategyLossUsd.warning}`,
      for: '5m',
      severity: 'warning',
      summary: 'Strategy {{ $labels.strategy }} is losing money.',
      description: `The total PnL of strategy {{ $labels.strategy }} is {{ printf "%.2f" $value }} USD, below -${t.strategyLossUsd.warning} USD for 5 minutes.`,
    }),
    alert({
      alert: 'CriticalStrategyLoss',
      expr: `${select(st.pnl.name, 'strategyEngine')} < -${t.strategyLossUsd.critical}`,
      for: '2m',
      severity: 'critical',
      summary: `Strategy {{ $labels.strategy }} has lost more than ${t.strategyLossUsd.critical} USD.`,
      description: `The total PnL of strategy {{ $labels.strategy }} is {{ printf "%.2f" $value }} USD, below -${t.strategyLossUsd.critical} USD for 2 minutes.`,
      inhibits: { alert: 'StrategyLoss', equal: ['job', 'instance', 'strategy'] },
    }),
    alert({
      alert: 'LowWinRate',
      // A strategy with few closed trades has a meaningless (often 0) win rate: judge it only after
      // winRateMinClosedTrades closed trades.
      expr: `${select(st.winRate.name, 'strategyEngine')} < ${t.winRate} and on (job, instance, strategy) (${select(st.winningTrades.name, 'strategyEngine')} + ${select(st.losingTrades.name, 'strategyEngine')}) >= ${t.winRateMinClosedTrades}`,
      for: '10m',
      severity: 'warning',
      summary: 'Strategy {{ $labels.strategy }} wins too few of its trades.',
      description: `Strategy {{ $labels.strategy }} won {{ $value | humanizePercentage }} of its closed trades, below ${t.winRate * 100}% for 10 minutes (judged after ${t.winRateMinClosedTrades} closed trades).`,
    }),
    alert({
      alert: 'StrategyEngineDown',
      expr: `${select(externalMetrics.up.name, 'strategyEngine')} == 0`,
      for: '1m',
      severity: 'critical',
      summary: 'The strategy engine {{ $labels.instance }} is down.',
      description:
        'Prometheus could not scrape the strategy engine {{ $labels.instance }} for 1 minute; no strategy is trading or being watched.',
    }),
    alert({
      alert: 'HighPositionSize',
      expr: `abs(${select(st.positionValue.name, 'strategyEngine')}) > ${t.positionValueUsd}`,
      for: '5m',
      severity: 'warning',
      summary: 'Strategy {{ $labels.strategy }} holds a large {{ $labels.symbol }} position.',
      description: `Strategy {{ $labels.strategy }} has held {{ $labels.symbol }} worth {{ printf "%.0f" $value }} USD (absolute value), above ${t.positionValueUsd} USD, for 5 minutes.`,
    }),
  ],
};
