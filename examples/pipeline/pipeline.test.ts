import { once } from 'node:events';
import { TRADING_CATALOGS } from '@ttquant/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningService, startService } from './process-tree.js';
import { parseSamples, type Sample, series, total } from './scrape.js';
import { ALL_FAULTS, freePipelinePorts, pipelineSpecs, SERVICE_NAMES, type ServiceName } from './specs.js';

// The whole pipeline as separate processes (exchange, market data, gateway, strategy engine) with
// every fault knob on, on free ports. Asserts that each catalog metric moved for its reason, that
// no tick is lost silently across a database outage, and that SIGTERM stops every process cleanly.

const lines: string[] = [];
const services: RunningService[] = [];
const urls: Record<string, string> = {};

async function scrape(service: string): Promise<Sample[]> {
  const response = await fetch(`${urls[service]}/metrics`);
  return parseSamples(await response.text());
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  const specs = pipelineSpecs(await freePipelinePorts(), withLogLevel(ALL_FAULTS));
  for (const spec of specs) {
    const service = await startService(spec, { onLine: (name, line) => lines.push(`[${name}] ${line}`) });
    services.push(service);
    urls[spec.name] = service.url;
  }
}, 60_000);

/** The fault settings with warn-level logs, so the test output stays readable. */
function withLogLevel(env: typeof ALL_FAULTS): Record<ServiceName, Record<string, string>> {
  const out = {} as Record<ServiceName, Record<string, string>>;
  for (const name of SERVICE_NAMES) out[name] = { ...env[name], LOG_LEVEL: 'warn' };
  return out;
}

afterAll(() => {
  for (const { child } of services) if (alive(child.pid) && child.exitCode === null) child.kill('SIGKILL');
});

type Check = readonly [metric: string, reason: string, (s: Record<string, Sample[]>) => boolean];
const md = (s: Record<string, Sample[]>) => s['market-data'] ?? [];
const gw = (s: Record<string, Sample[]>) => s.gateway ?? [];
const en = (s: Record<string, Sample[]>) => s['strategy-engine'] ?? [];
const positive = (samples: Sample[], name: string, where = {}) => total(samples, name, where) > 0;
const nonZero = (samples: Sample[], name: string) => series(samples, name).some((x) => x.value !== 0);

// Each metric with the reason it must have moved for, as an operator would read it.
const CHECKS: readonly Check[] = [
  ['market_data_received_total', 'ticks arrive', (s) => positive(md(s), 'market_data_received_total')],
  [
    'market_data_latency_ms',
    'latency observed, spikes past 250 ms',
    (s) => total(md(s), 'market_data_latency_ms_count') > total(md(s), 'market_data_latency_ms_bucket', { le: '250' }),
  ],
  ['ws_connection_status', 'feeds connected', (s) => series(md(s), 'ws_connection_status').length === 2],
  ['ws_reconnect_total', 'reconnects after forced drops', (s) => positive(md(s), 'ws_reconnect_total')],
  ...(['invalid_json', 'unknown_type', 'missing_field', 'invalid_value'] as const).map(
    (reason): Check => [
      'message_parse_errors_total',
      `malformed (${reason})`,
      (s) => positive(md(s), 'message_parse_errors_total', { reason }),
    ],
  ),
  ['db_writes_total', 'ticks written', (s) => positive(md(s), 'db_writes_total')],
  [
    'db_write_errors_total',
    'writes failed during the DB fault',
    (s) => positive(md(s), 'db_write_errors_total', { reason: 'connection' }),
  ],
  ['zmq_published_total', 'ticks published', (s) => positive(md(s), 'zmq_published_total')],
  ['market_last_price', 'prices', (s) => series(md(s), 'market_last_price').some((x) => x.value > 0)],
  ['market_volume_24h', '24h volumes from tickers', (s) => series(md(s), 'market_volume_24h').some((x) => x.value > 0)],
  ['orders_total', 'orders from the engine', (s) => positive(gw(s), 'orders_total')],
  ['orders_success_total', 'orders acknowledged', (s) => positive(gw(s), 'orders_success_total')],
  ['orders_failed_total', 'orders failing after retries', (s) => positive(gw(s), 'orders_failed_total')],
  ['orders_risk_rejected_total', 'risk rejects', (s) => positive(gw(s), 'orders_risk_rejected_total')],
  ['order_processing_latency_ms', 'ack latency', (s) => positive(gw(s), 'order_processing_latency_ms_count')],
  ['trades_total', 'fills', (s) => positive(gw(s), 'trades_total')],
  ['trade_volume_total', 'fill notional', (s) => positive(gw(s), 'trade_volume_total')],
  ['commission_paid_total', 'fees', (s) => positive(gw(s), 'commission_paid_total')],
  ['current_position', 'positions from fills', (s) => nonZero(gw(s), 'current_position')],
  ['api_rate_limit_hit_total', '429s', (s) => positive(gw(s), 'api_rate_limit_hit_total')],
  ['order_retries_total', 'retries', (s) => positive(gw(s), 'order_retries_total')],
  ['active_orders', 'open orders tracked', (s) => series(gw(s), 'active_orders').length > 0],
  ['risk_exposure_usd', 'exposure of positions', (s) => nonZero(gw(s), 'risk_exposure_usd')],
  ['max_drawdown_usd', 'account drawdown', (s) => nonZero(gw(s), 'max_drawdown_usd')],
  ['strategy_pnl_total', 'PnL', (s) => nonZero(en(s), 'strategy_pnl_total')],
  ['strategy_realized_pnl', 'realized PnL (fees at least)', (s) => nonZero(en(s), 'strategy_realized_pnl')],
  ['strategy_unrealized_pnl', 'marks move open positions', (s) => series(en(s), 'strategy_unrealized_pnl').length > 0],
  ['strategy_position_size', 'positions', (s) => series(en(s), 'strategy_position_size').length > 0],
  ['strategy_position_value_usd', 'position values', (s) => series(en(s), 'strategy_position_value_usd').length > 0],
  ['strategy_trades_total', 'fills reach the strategies', (s) => positive(en(s), 'strategy_trades_total')],
  ['strategy_win_rate', 'closed trades', (s) => series(en(s), 'strategy_win_rate').length > 0],
  [
    'strategy_winning_trades_total',
    'winners or losers',
    (s) => positive(en(s), 'strategy_winning_trades_total') || positive(en(s), 'strategy_losing_trades_total'),
  ],
  ['strategy_losing_trades_total', 'losers', (s) => positive(en(s), 'strategy_losing_trades_total')],
  [
    'strategy_avg_profit_usd',
    'average win or loss',
    (s) => series(en(s), 'strategy_avg_profit_usd').length > 0 || series(en(s), 'strategy_avg_loss_usd').length > 0,
  ],
  ['strategy_avg_loss_usd', 'average loss', (s) => series(en(s), 'strategy_avg_loss_usd').length > 0],
  ['strategy_max_drawdown_usd', 'drawdown', (s) => nonZero(en(s), 'strategy_max_drawdown_usd')],
  [
    'strategy_sharpe_ratio',
    'Sharpe defined after two periods',
    (s) => series(en(s), 'strategy_sharpe_ratio').some((x) => Number.isFinite(x.value)),
  ],
  [
    'engine_market_data_received_total',
    'ticks from the bus',
    (s) => positive(en(s), 'engine_market_data_received_total'),
  ],
  ['engine_orders_sent_total', 'orders sent', (s) => positive(en(s), 'engine_orders_sent_total')],
  ['engine_trades_received_total', 'fills received', (s) => positive(en(s), 'engine_trades_received_total')],
  ['engine_strategy_latency_ms', 'decisions timed', (s) => positive(en(s), 'engine_strategy_latency_ms_count')],
  ['engine_active_strategies', 'two strategies', (s) => total(en(s), 'engine_active_strategies') === 2],
  ['engine_uptime_seconds', 'uptime', (s) => positive(en(s), 'engine_uptime_seconds')],
];

describe('the example pipeline under faults', () => {
  it('moves each catalog metric for its reason', async () => {
    const declared = TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions).map((d) => d.name));
    expect(CHECKS.map(([metric]) => metric).sort()).toEqual([...declared].sort());
    let failing: string[] = [];
    const deadline = Date.now() + 75_000;
    do {
      const scraped: Record<string, Sample[]> = {};
      for (const name of ['market-data', 'gateway', 'strategy-engine']) scraped[name] = await scrape(name);
      failing = CHECKS.filter(([, , ok]) => !ok(scraped)).map(([metric, reason]) => `${metric}: ${reason}`);
      if (failing.length > 0) await new Promise((resolve) => setTimeout(resolve, 1_000));
    } while (failing.length > 0 && Date.now() < deadline);
    expect(failing, lines.slice(-30).join('\n')).toEqual([]);
  }, 90_000);

  it('loses no tick silently across the DB outage: written + dropped = received once the feed stops', async () => {
    const exchange = services[0] as RunningService;
    const exited = once(exchange.child, 'exit');
    exchange.child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
    let received = 0;
    let accounted = -1;
    const deadline = Date.now() + 15_000;
    while (received !== accounted && Date.now() < deadline) {
      const s = await scrape('market-data');
      received = total(s, 'market_data_received_total');
      accounted = total(s, 'db_writes_total') + total(s, 'db_write_errors_total', { reason: 'dropped' });
      if (received !== accounted) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(received).toBeGreaterThan(0);
    expect(accounted).toBe(received);
  }, 30_000);

  it('stops every service on SIGTERM with exit code 0, buffers flushed and no process left', async () => {
    for (const { spec, child } of services.slice(1).reverse()) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code, `${spec.name} exit code`).toBe(0);
    }
    for (const { child } of services) expect(alive(child.pid)).toBe(false);
    const stopLine = lines.find((l) => /market-data: stopped on SIGTERM/.test(l)) ?? '';
    const counts = /received (\d+), written (\d+), dropped (\d+), buffered (\d+)/.exec(stopLine);
    expect(counts, stopLine).not.toBeNull();
    const [, received, written, dropped, buffered] = (counts as RegExpExecArray).map(Number);
    expect(buffered).toBe(0);
    expect((written as number) + (dropped as number)).toBe(received);
  }, 40_000);
});
