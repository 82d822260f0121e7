import { once } from 'node:events';
import { TRADING_CATALOGS } from '@ttquant/metrics';
import { type Exposition, readExposition, settle } from '@ttquant/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VENUES } from '../shared/protocol.js';
import { type RunningService, startService } from './process-tree.js';
import {
  ALL_FAULTS,
  freePipelinePorts,
  PROCESS_NAMES,
  pipelineSpecs,
  processName,
  SERVICE_NAMES,
  type ServiceName,
} from './specs.js';

// The whole pipeline as separate processes (the exchange, a market-data service and a gateway per
// venue, the strategy engine trading both venues) with every fault knob on, on free ports. Asserts
// that each catalog metric moved for its reason, that each venue's market data and gateway carry
// that venue's traffic (the engine's orders reach both gateways), that no tick is lost silently
// across a database outage, and that SIGTERM stops every process cleanly.

const lines: string[] = [];
const services: RunningService[] = [];
const urls: Record<string, string> = {};

async function scrape(name: string): Promise<Exposition> {
  const response = await fetch(`${urls[name]}/metrics`);
  return readExposition(await response.text());
}

const mdProcesses = VENUES.map((venue) => processName('market-data', venue));
const gatewayProcesses = VENUES.map((venue) => processName('gateway', venue));

/** Every process of a role read as one body: each catalog series carries its venue in `exchange`. */
async function scrapeAll(processes: readonly string[]): Promise<Exposition> {
  const bodies = await Promise.all(processes.map(async (p) => (await fetch(`${urls[p]}/metrics`)).text()));
  return readExposition(bodies.join('\n'));
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
  expect(services.map((s) => s.spec.name)).toEqual(PROCESS_NAMES);
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

/** Per role (every venue's process read as one), and each process alone. */
type Scrapes = Readonly<Record<'market-data' | 'gateway' | 'strategy-engine', Exposition>> & {
  readonly process: Readonly<Record<string, Exposition>>;
};
type Check = readonly [metric: string, reason: string, (s: Scrapes) => boolean];
const md = (s: Scrapes) => s['market-data'];
const gw = (s: Scrapes) => s.gateway;
const en = (s: Scrapes) => s['strategy-engine'];
// A counter with no series yet has counted nothing: 0 is what it means here.
const positive = (e: Exposition, name: string, where = {}) => (e.sum(name, where) ?? 0) > 0;
const nonZero = (e: Exposition, name: string) => e.select(name).some((x) => x.value !== 0);
const exists = (e: Exposition, name: string) => e.select(name).length > 0;

// Each metric with the reason it must have moved for, as an operator would read it.
const CHECKS: readonly Check[] = [
  ['market_data_received_total', 'ticks arrive', (s) => positive(md(s), 'market_data_received_total')],
  [
    'market_data_latency_ms',
    'latency observed, spikes past 250 ms',
    (s) =>
      (md(s).sum('market_data_latency_ms_count') ?? 0) >
      (md(s).sum('market_data_latency_ms_bucket', { le: '250' }) ?? 0),
  ],
  ['ws_connection_status', 'feeds connected', (s) => md(s).select('ws_connection_status').length === 2],
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
  [
    'market_last_price',
    'prices',
    (s) =>
      md(s)
        .select('market_last_price')
        .some((x) => x.value > 0),
  ],
  [
    'market_volume_24h',
    '24h volumes from tickers',
    (s) =>
      md(s)
        .select('market_volume_24h')
        .some((x) => x.value > 0),
  ],
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
  ['active_orders', 'open orders tracked', (s) => exists(gw(s), 'active_orders')],
  ['risk_exposure_usd', 'exposure of positions', (s) => nonZero(gw(s), 'risk_exposure_usd')],
  ['max_drawdown_usd', 'account drawdown', (s) => nonZero(gw(s), 'max_drawdown_usd')],
  ['strategy_pnl_total', 'PnL', (s) => nonZero(en(s), 'strategy_pnl_total')],
  ['strategy_realized_pnl', 'realized PnL (fees at least)', (s) => nonZero(en(s), 'strategy_realized_pnl')],
  ['strategy_unrealized_pnl', 'marks move open positions', (s) => exists(en(s), 'strategy_unrealized_pnl')],
  ['strategy_position_size', 'positions', (s) => exists(en(s), 'strategy_position_size')],
  ['strategy_position_value_usd', 'position values', (s) => exists(en(s), 'strategy_position_value_usd')],
  ['strategy_trades_total', 'fills reach the strategies', (s) => positive(en(s), 'strategy_trades_total')],
  ['strategy_win_rate', 'closed trades', (s) => exists(en(s), 'strategy_win_rate')],
  [
    'strategy_winning_trades_total',
    'winners or losers',
    (s) => positive(en(s), 'strategy_winning_trades_total') || positive(en(s), 'strategy_losing_trades_total'),
  ],
  ['strategy_losing_trades_total', 'losers', (s) => positive(en(s), 'strategy_losing_trades_total')],
  [
    'strategy_avg_profit_usd',
    'average win or loss',
    (s) => exists(en(s), 'strategy_avg_profit_usd') || exists(en(s), 'strategy_avg_loss_usd'),
  ],
  ['strategy_avg_loss_usd', 'average loss', (s) => exists(en(s), 'strategy_avg_loss_usd')],
  ['strategy_max_drawdown_usd', 'drawdown', (s) => nonZero(en(s), 'strategy_max_drawdown_usd')],
  [
    'strategy_sharpe_ratio',
    'Sharpe defined after two periods',
    (s) =>
      en(s)
        .select('strategy_sharpe_ratio')
        .some((x) => Number.isFinite(x.value)),
  ],
  [
    'engine_market_data_received_total',
    'ticks from the bus',
    (s) => positive(en(s), 'engine_market_data_received_total'),
  ],
  ['engine_orders_sent_total', 'orders sent', (s) => positive(en(s), 'engine_orders_sent_total')],
  ['engine_trades_received_total', 'fills received', (s) => positive(en(s), 'engine_trades_received_total')],
  ['engine_strategy_latency_ms', 'decisions timed', (s) => positive(en(s), 'engine_strategy_latency_ms_count')],
  ['engine_active_strategies', 'two strategies', (s) => en(s).value('engine_active_strategies') === 2],
  ['engine_uptime_seconds', 'uptime', (s) => positive(en(s), 'engine_uptime_seconds')],
  // Each venue's own processes carry that venue's traffic: its ticks, and the engine's orders to its gateway.
  ...VENUES.flatMap((venue): Check[] => {
    const md = processName('market-data', venue);
    const gateway = processName('gateway', venue);
    const of = (s: Scrapes, p: string) => s.process[p] as Exposition;
    return [
      [
        'market_data_received_total',
        `${md} receives ${venue} ticks only`,
        (s) =>
          positive(of(s, md), 'market_data_received_total', { exchange: venue }) &&
          of(s, md)
            .select('market_data_received_total')
            .every((x) => x.labels.exchange === venue),
      ],
      [
        'orders_total',
        `the engine's orders reach ${gateway}`,
        (s) => positive(of(s, gateway), 'orders_total', { exchange: venue }),
      ],
      ['trades_total', `${gateway} fills`, (s) => positive(of(s, gateway), 'trades_total', { exchange: venue })],
      [
        'engine_trades_received_total',
        `fills from ${gateway} reach the engine`,
        (s) => positive(en(s), 'engine_trades_received_total', { exchange: venue }),
      ],
    ];
  }),
];

describe('the example pipeline under faults', () => {
  it('moves each catalog metric for its reason', async () => {
    const declared = TRADING_CATALOGS.flatMap((c) => Object.values(c.definitions).map((d) => d.name));
    // Every declared metric has at least one check (message_parse_errors_total has one per reason).
    expect([...new Set(CHECKS.map(([metric]) => metric))].sort()).toEqual([...declared].sort());
    const failing = await settle(
      async () => {
        const perProcess: Record<string, Exposition> = {};
        for (const name of [...mdProcesses, ...gatewayProcesses]) perProcess[name] = await scrape(name);
        const scraped: Scrapes = {
          'market-data': await scrapeAll(mdProcesses),
          gateway: await scrapeAll(gatewayProcesses),
          'strategy-engine': await scrape('strategy-engine'),
          process: perProcess,
        };
        return CHECKS.filter(([, , ok]) => !ok(scraped)).map(([metric, reason]) => `${metric}: ${reason}`);
      },
      75_000,
      1_000,
    );
    expect(failing, lines.slice(-30).join('\n')).toEqual([]);
  }, 90_000);

  it('loses no tick silently across the DB outage: written + dropped = received once the feed stops', async () => {
    const exchange = services[0] as RunningService;
    const exited = once(exchange.child, 'exit');
    exchange.child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
    const unaccounted = await settle(
      async () => {
        const out: string[] = [];
        for (const md of mdProcesses) {
          const s = await scrape(md);
          const received = s.sum('market_data_received_total');
          const accounted =
            (s.sum('db_writes_total') ?? 0) + (s.sum('db_write_errors_total', { reason: 'dropped' }) ?? 0);
          if (!(received !== undefined && received > 0 && received === accounted)) {
            out.push(`${md}: received ${received}, written + dropped ${accounted}`);
          }
        }
        return out;
      },
      15_000,
      250,
    );
    expect(unaccounted).toEqual([]);
  }, 30_000);

  it('stops every service on SIGTERM with exit code 0, buffers flushed and no process left', async () => {
    for (const { spec, child } of services.slice(1).reverse()) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code, `${spec.name} exit code`).toBe(0);
    }
    for (const { child } of services) expect(alive(child.pid)).toBe(false);
    for (const md of mdProcesses) {
      const stopLine = lines.find((l) => l.startsWith(`[${md}] `) && /market-data: stopped on SIGTERM/.test(l)) ?? '';
      const counts = /received (\d+), written (\d+), dropped (\d+), buffered (\d+)/.exec(stopLine);
      expect(counts, `${md}: ${stopLine}`).not.toBeNull();
      const [, received, written, dropped, buffered] = (counts as RegExpExecArray).map(Number);
      expect(buffered).toBe(0);
      expect(received, md).toBeGreaterThan(0);
      expect((written as number) + (dropped as number)).toBe(received);
    }
  }, 40_000);
});
