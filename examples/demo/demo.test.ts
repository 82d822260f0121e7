import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The README's first command ends in `npm run demo`: this starts the same entry point on free
// ports and checks that every one of the 43 metrics has samples, then that SIGTERM stops it cleanly.

const CATALOG_NAMES = {
  marketData: [
    'market_data_received_total',
    'market_data_latency_ms',
    'ws_connection_status',
    'ws_reconnect_total',
    'message_parse_errors_total',
    'db_writes_total',
    'db_write_errors_total',
    'zmq_published_total',
    'market_last_price',
    'market_volume_24h',
  ],
  gateway: [
    'orders_total',
    'orders_success_total',
    'orders_failed_total',
    'orders_risk_rejected_total',
    'order_processing_latency_ms',
    'trades_total',
    'trade_volume_total',
    'commission_paid_total',
    'current_position',
    'api_rate_limit_hit_total',
    'order_retries_total',
    'active_orders',
    'risk_exposure_usd',
    'max_drawdown_usd',
  ],
  strategyEngine: [
    'strategy_pnl_total',
    'strategy_realized_pnl',
    'strategy_unrealized_pnl',
    'strategy_position_size',
    'strategy_position_value_usd',
    'strategy_trades_total',
    'strategy_win_rate',
    'strategy_winning_trades_total',
    'strategy_losing_trades_total',
    'strategy_avg_profit_usd',
    'strategy_avg_loss_usd',
    'strategy_max_drawdown_usd',
    'strategy_sharpe_ratio',
    'engine_market_data_received_total',
    'engine_orders_sent_total',
    'engine_trades_received_total',
    'engine_strategy_latency_ms',
    'engine_active_strategies',
    'engine_uptime_seconds',
  ],
} as const;

/** Metric names (histograms folded back from `_bucket/_sum/_count`) that have at least one sample. */
function namesWithSamples(body: string): Set<string> {
  const names = new Set<string>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? '';
    names.add(name.replace(/_(bucket|sum|count)$/, ''));
  }
  return names;
}

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
let demo: ChildProcess;
let output = '';
const urls: string[] = [];

beforeAll(async () => {
  demo = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...process.env, MD_METRICS_PORT: '0', GATEWAY_METRICS_PORT: '0', ENGINE_METRICS_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  demo.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  while (!output.includes('press Ctrl-C') && Date.now() < deadline && demo.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const match of output.matchAll(/metrics at (http:\/\/[^\s]+)\/metrics/g)) urls.push(match[1] as string);
  if (urls.length !== 3) throw new Error(`demo did not start:\n${output}`);
}, 40_000);

afterAll(() => {
  if (demo.exitCode === null && demo.pid !== undefined) process.kill(demo.pid, 'SIGKILL');
});

describe('npm run demo', () => {
  it('serves all 43 metrics with samples on the three services', async () => {
    const [md, gw, engine] = urls as [string, string, string];
    const expected = [...CATALOG_NAMES.marketData, ...CATALOG_NAMES.gateway, ...CATALOG_NAMES.strategyEngine];
    expect(expected).toHaveLength(43);
    let missing: string[] = expected;
    const deadline = Date.now() + 30_000;
    while (missing.length > 0 && Date.now() < deadline) {
      const bodies = await Promise.all([md, gw, engine].map(async (u) => (await fetch(`${u}/metrics`)).text()));
      const seen = [
        { names: namesWithSamples(bodies[0] as string), expected: CATALOG_NAMES.marketData },
        { names: namesWithSamples(bodies[1] as string), expected: CATALOG_NAMES.gateway },
        { names: namesWithSamples(bodies[2] as string), expected: CATALOG_NAMES.strategyEngine },
      ];
      missing = seen.flatMap(({ names, expected }) => expected.filter((n) => !names.has(n)));
      if (missing.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(missing).toEqual([]);
    const health = (await (await fetch(`${gw}/health`)).json()) as { status: string; service: string };
    expect(health).toMatchObject({ status: 'ok', service: 'gateway' });
  }, 40_000);

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const exited = once(demo, 'exit');
    demo.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(output).toContain('demo: stopped on SIGTERM');
  }, 15_000);
});
