import {
  type CounterHandle,
  createMetricsServer,
  EngineMetrics,
  type HistogramHandle,
  type MetricsServerAddress,
  StrategyMetrics,
  TradingLedger,
} from '@ttquant/metrics';
import * as zmq from 'zeromq';
import { ConfigError } from '../shared/config.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { type EngineOrder, type GatewayOrderResult, type Tick, VENUES, type Venue } from '../shared/protocol.js';
import { newTrace } from '../shared/trace-context.js';
import type { EngineConfig, StrategySpec } from './config.js';
import { createGatewayClient, type GatewayClient } from './gateway-client.js';
import { type Decision, StrategyRunner } from './runner.js';
import { createStrategy } from './strategies.js';
import { type BadMessageReason, readFill, readTick } from './wire.js';

// The strategy engine: ticks from the market-data buses drive the strategies, each strategy's orders
// go over HTTP to the gateway of its venue, fills come back on the gateways' buses and feed each
// strategy's position and the TradingLedger, which keeps the 13 strategy metrics. Served with the
// engine's own 6 metrics on one /metrics endpoint.
//
//   md bus of each venue ──tick.*──▶ readTick ──▶ runner.onPrice ──POST /orders──▶ gateway of its venue
//                                        └──▶ ledger.onMark               ▲                 │
//   fill bus of each gateway ──fill.*──▶ readFill ──▶ runner.onFill, ledger.onFill ◀────────┘
//
// One SUB socket reads every market-data bus and one every fill bus (a ZeroMQ SUB connects to many
// publishers and fair-queues them); a tick is routed by the venue it names, a fill by its strategy.

/** Optional collaborators of {@link startStrategyEngine}; tests inject these. */
export interface EngineDeps {
  /** Default: a pino logger named `strategy-engine` (LOG_LEVEL). */
  readonly logger?: Logger;
  /** Wall clock in ms: cool-downs, fill times, Sharpe sampling, uptime. Default `Date.now`. */
  readonly now?: () => number;
  /** Default: new catalogs. */
  readonly strategyMetrics?: StrategyMetrics;
  readonly engineMetrics?: EngineMetrics;
  /** Serve the Node.js runtime metrics too (default true). */
  readonly runtimeMetrics?: boolean;
}

/** Bus messages the engine refused or ignored, by reason. */
export interface BadMessageCounts {
  readonly ticks: Readonly<Partial<Record<BadMessageReason, number>>>;
  readonly fills: Readonly<Partial<Record<BadMessageReason | 'unknown_strategy', number>>>;
}

/** Counters of the engine's activity, for tests and debugging. */
export interface EngineStats {
  /** Valid ticks read from the bus. */
  readonly ticks: number;
  /** Valid fills booked. */
  readonly fills: number;
  readonly bad: BadMessageCounts;
  readonly orders: {
    readonly sent: number;
    readonly accepted: number;
    readonly riskRejected: number;
    readonly failed: number;
  };
  /** Unexpected errors caught in a message handler (a bug, never a peer's message). */
  readonly handlerErrors: number;
  /** Per strategy: position booked from fills and the order out. */
  readonly strategies: readonly { readonly name: string; readonly position: number; readonly working: boolean }[];
}

/** A running engine, as {@link startStrategyEngine} returns it. */
export interface StrategyEngine {
  /** Where `/metrics` and `/health` are served (the real port when 0 was asked). */
  readonly metrics: MetricsServerAddress;
  readonly strategyMetrics: StrategyMetrics;
  readonly engineMetrics: EngineMetrics;
  /** One ledger per venue traded. */
  readonly ledgers: ReadonlyMap<Venue, TradingLedger>;
  /** The strategy instances. */
  readonly runners: readonly StrategyRunner[];
  /**
   * Counters of what the engine has seen and done.
   *
   * @returns a fresh snapshot
   */
  stats(): EngineStats;
  /**
   * Stops deciding, waits (bounded by `shutdownTimeoutMs`) for the orders out and their fills, then
   * closes both ZeroMQ sockets, the gateway clients and the metrics server. Safe to call twice.
   *
   * @returns resolves when everything is closed
   */
  close(): Promise<void>;
}

interface Route {
  readonly ledger: TradingLedger;
  readonly runners: StrategyRunner[];
  readonly latency: HistogramHandle[];
}

/**
 * Starts the strategy engine: subscribes to both buses, serves metrics, and trades.
 *
 * @param config - from {@link readEngineConfig}
 * @param deps - optional logger, clock and catalogs
 * @returns the running engine, once the metrics server listens
 * @throws ConfigError for a ZeroMQ endpoint that does not parse or a strategy whose venue has no endpoints;
 *   the listen error when the metrics port is taken
 * @example
 * ```ts
 * const engine = await startStrategyEngine(readEngineConfig());
 * process.on('SIGTERM', () => void engine.close().then(() => process.exit(0)));
 * ```
 */
export async function startStrategyEngine(config: EngineConfig, deps: EngineDeps = {}): Promise<StrategyEngine> {
  const log = deps.logger ?? createLogger('strategy-engine');
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const sm = deps.strategyMetrics ?? new StrategyMetrics();
  const em = deps.engineMetrics ?? new EngineMetrics();

  // Handles bound once: the tick path only indexes arrays and maps.
  const received = {} as Record<Venue, Record<Tick['type'], CounterHandle>>;
  for (const exchange of VENUES) {
    received[exchange] = em.marketDataReceived.bindEach('type', { exchange });
  }
  const uptime = em.uptime.bind();
  em.beforeCollect(() => uptime.set((now() - startedAt) / 1000));
  const active = em.activeStrategies.bind();

  const sharpe = {
    periodMs: config.sharpePeriodMs,
    ...(config.sharpePeriodsPerYear === undefined ? {} : { periodsPerYear: config.sharpePeriodsPerYear }),
  };
  const ledgers = new Map<Venue, TradingLedger>();
  // readEngineConfig gives every traded venue its endpoints; a config built by hand might not.
  for (const spec of config.strategies) {
    if (!config.venues.has(spec.exchange)) {
      throw new ConfigError(`strategy "${spec.name}": no endpoints configured for ${spec.exchange}`);
    }
  }
  // One client per distinct gateway URL: venues served by one gateway share its connections.
  const gateways = new Map<string, GatewayClient>();
  const gatewayOf = new Map<Venue, GatewayClient>();
  for (const [venue, endpoints] of config.venues) {
    let client = gateways.get(endpoints.gatewayUrl);
    if (client === undefined) {
      client = createGatewayClient({ url: endpoints.gatewayUrl, timeoutMs: config.orderTimeoutMs });
      gateways.set(endpoints.gatewayUrl, client);
    }
    gatewayOf.set(venue, client);
  }
  const closeGateways = () => {
    for (const client of gateways.values()) client.close();
  };
  const orderCounts = { sent: 0, accepted: 0, riskRejected: 0, failed: 0 };
  const idPrefix = `${process.pid}-${startedAt.toString(36)}`;

  const routes = new Map<Venue, Map<string, Route>>();
  const byName = new Map<string, { runner: StrategyRunner; ledger: TradingLedger; trades: CounterHandle }>();
  const runners: StrategyRunner[] = [];
  for (const spec of config.strategies) {
    let ledger = ledgers.get(spec.exchange);
    if (ledger === undefined) {
      // One ledger per venue: a mark is per symbol, and BTCUSDT on two venues is two prices.
      ledger = new TradingLedger({ metrics: sm, sharpe });
      ledgers.set(spec.exchange, ledger);
    }
    ledger.register(spec.name, { capitalBase: config.capitalUsd });
    const runner = createRunner(spec);
    runners.push(runner);
    byName.set(spec.name, {
      runner,
      ledger,
      trades: em.tradesReceived.bind({ strategy: spec.name, exchange: spec.exchange }),
    });
    let bySymbol = routes.get(spec.exchange);
    if (bySymbol === undefined) {
      bySymbol = new Map();
      routes.set(spec.exchange, bySymbol);
    }
    let route = bySymbol.get(spec.symbol);
    if (route === undefined) {
      route = { ledger, runners: [], latency: [] };
      bySymbol.set(spec.symbol, route);
    }
    route.runners.push(runner);
    route.latency.push(em.strategyLatency.bind({ strategy: spec.name }));
  }

  function createRunner(spec: StrategySpec): StrategyRunner {
    const sent = em.ordersSent.bindEach('side', { strategy: spec.name, exchange: spec.exchange });
    const gateway = gatewayOf.get(spec.exchange) as GatewayClient; // checked at the start
    let seq = 0;
    return new StrategyRunner(
      spec,
      createStrategy(spec.kind, config.params, config.maxPositionLots),
      {
        maxLots: config.maxPositionLots,
        cooldownMs: config.orderCooldownMs,
        rejectCooldownMs: config.rejectCooldownMs,
        fillTimeoutMs: config.fillTimeoutMs,
      },
      {
        send: (order) => {
          // Each order is a trace of its own: the gateway continues it, and its latency exemplar
          // carries this id, so the id from a slow exemplar finds the order in both logs.
          const trace = newTrace();
          log.debug({ order, traceId: trace.traceId }, 'order sent');
          return gateway.send(order, trace);
        },
        now,
        // Unique across restarts too (the start time is in it): the exchange is idempotent on this id,
        // so a reused id would get an old order's ack.
        nextClientOrderId: () => `${spec.name}-${idPrefix}-${++seq}`,
        onSent: (order) => {
          sent[order.side].inc();
          orderCounts.sent++;
        },
        onResult: (order, result) => onOrderResult(order, result),
        onFillTimeout: (order, remaining) =>
          log.warn(
            { clientOrderId: order.clientOrderId, strategy: order.strategy, remaining },
            'no fill within timeout',
          ),
      },
    );
  }

  function onOrderResult(order: EngineOrder, result: GatewayOrderResult): void {
    if (result.status === 'accepted') {
      orderCounts.accepted++;
      log.debug({ clientOrderId: order.clientOrderId }, 'order accepted');
    } else if (result.status === 'risk_rejected') {
      orderCounts.riskRejected++;
      log.info(
        { clientOrderId: order.clientOrderId, strategy: order.strategy, side: order.side, reason: result.reason },
        'order rejected by gateway risk rule',
      );
    } else {
      orderCounts.failed++;
      log.warn(
        { clientOrderId: order.clientOrderId, strategy: order.strategy, side: order.side, reason: result.reason },
        'order failed',
      );
    }
  }

  // Bad bus messages: counted by reason, logged at most once per interval with what was suppressed.
  const badTicks: Partial<Record<BadMessageReason, number>> = {};
  const badFills: Partial<Record<BadMessageReason | 'unknown_strategy', number>> = {};
  let lastWarnAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  function badMessage(stream: 'tick' | 'fill', reason: BadMessageReason | 'unknown_strategy'): void {
    if (stream === 'tick') badTicks[reason as BadMessageReason] = (badTicks[reason as BadMessageReason] ?? 0) + 1;
    else badFills[reason] = (badFills[reason] ?? 0) + 1;
    const t = now();
    if (t - lastWarnAt < config.warnIntervalMs) {
      suppressed++;
      return;
    }
    log.warn({ stream, reason, suppressed, badTicks, badFills }, 'bad bus message ignored');
    lastWarnAt = t;
    suppressed = 0;
  }

  let ticks = 0;
  let fills = 0;
  let handlerErrors = 0;

  function onTickMessage(frames: Buffer[], t0: number): void {
    const read = readTick(frames);
    if (!read.ok) {
      badMessage('tick', read.reason);
      return;
    }
    const tick = read.value;
    ticks++;
    received[tick.exchange][tick.type].inc();
    const route = routes.get(tick.exchange)?.get(tick.symbol);
    if (route === undefined) return;
    route.ledger.onMark(tick.symbol, tick.price);
    const { runners: here, latency } = route;
    for (let i = 0; i < here.length; i++) {
      const decision: Decision = (here[i] as StrategyRunner).onPrice(tick.price);
      // Tick read → decision out (the order written, or the no-op decided); a stopped engine decides nothing.
      if (decision !== 'stopped') (latency[i] as HistogramHandle).observeSince(t0);
    }
  }

  function onFillMessage(frames: Buffer[]): void {
    const read = readFill(frames);
    if (!read.ok) {
      badMessage('fill', read.reason);
      return;
    }
    const fill = read.value;
    const target = byName.get(fill.strategy);
    if (target === undefined) {
      // Another engine's strategy on the same gateway bus: not ours to book.
      badMessage('fill', 'unknown_strategy');
      return;
    }
    const spec = target.runner.spec;
    if (fill.exchange !== spec.exchange) {
      badMessage('fill', 'exchange');
      return;
    }
    if (fill.symbol !== spec.symbol) {
      badMessage('fill', 'symbol');
      return;
    }
    fills++;
    target.trades.inc();
    target.ledger.onFill({
      strategy: fill.strategy,
      symbol: fill.symbol,
      side: fill.side,
      quantity: fill.quantity,
      price: fill.price,
      fee: fill.fee,
      time: fill.time,
    });
    target.runner.onFill(fill);
    log.debug({ fill }, 'fill booked');
  }

  const mdSub = new zmq.Subscriber({ linger: 0 });
  const fillSub = new zmq.Subscriber({ linger: 0 });
  const mdEndpoints = distinct([...config.venues.values()].map((v) => v.mdZmqEndpoint));
  const fillEndpoints = distinct([...config.venues.values()].map((v) => v.gatewayZmqEndpoint));
  try {
    for (const endpoint of mdEndpoints) connect(mdSub, endpoint, 'MD_ZMQ_ENDPOINT(S)');
    for (const endpoint of fillEndpoints) connect(fillSub, endpoint, 'GATEWAY_ZMQ_ENDPOINT(S)');
    mdSub.subscribe('tick.');
    fillSub.subscribe('fill.');
  } catch (error) {
    mdSub.close();
    fillSub.close();
    closeGateways();
    throw error;
  }

  const server = createMetricsServer({
    service: 'strategy-engine',
    sources: [sm, em],
    host: config.metricsHost,
    port: config.metricsPort,
    ...config.metricsSecurity,
    ...(deps.runtimeMetrics === undefined ? {} : { runtimeMetrics: deps.runtimeMetrics }),
    now,
    onError: (error) => log.error({ err: error }, 'metrics server error'),
  });
  let address: MetricsServerAddress;
  try {
    address = await server.listen();
  } catch (error) {
    mdSub.close();
    fillSub.close();
    closeGateways();
    await server.close();
    throw error;
  }

  let closing = false;
  async function consume(sub: zmq.Subscriber, stream: 'tick' | 'fill'): Promise<void> {
    try {
      for await (const frames of sub) {
        const t0 = performance.now();
        try {
          if (stream === 'tick') onTickMessage(frames, t0);
          else onFillMessage(frames);
        } catch (error) {
          // A bug in a handler, not a peer's message (those are refused above): log it and read on.
          handlerErrors++;
          log.error({ err: error, stream }, 'message handler failed');
        }
      }
    } catch (error) {
      if (!closing) log.error({ err: error, stream }, 'bus receive failed');
    }
  }
  const loops = [consume(mdSub, 'tick'), consume(fillSub, 'fill')];

  // Sharpe sampling: the ledger wants calls more often than the period; a tenth of it costs one
  // comparison per call.
  const sampleEveryMs = Math.max(10, Math.min(1_000, config.sharpePeriodMs / 10));
  const sampleAll = () => {
    const t = now();
    for (const ledger of ledgers.values()) ledger.sample(t);
  };
  sampleAll();
  const sampler = setInterval(sampleAll, sampleEveryMs);
  active.set(runners.length);

  log.info(
    {
      metrics: `${address.url}/metrics`,
      venues: Object.fromEntries(config.venues),
      strategies: config.strategies.map((s) => `${s.name}=${s.kind}:${s.exchange}:${s.symbol}`),
    },
    'strategy engine started',
  );

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing = true;
    for (const runner of runners) runner.stop();
    active.set(0);
    mdSub.close();
    // Orders out finish (their results and fills still arrive on the open fill socket), bounded.
    const waiting = runners.filter((r) => !r.idle).length;
    if (waiting > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        Promise.all(runners.map((r) => r.whenIdle())).then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), config.shutdownTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        log.warn({ waiting: runners.filter((r) => !r.idle).map((r) => r.spec.name) }, 'orders still out at shutdown');
      }
    }
    closeGateways();
    fillSub.close();
    clearInterval(sampler);
    await Promise.all(loops);
    if (suppressed > 0) log.warn({ suppressed, badTicks, badFills }, 'bad bus messages ignored since last warning');
    await server.close();
    log.info({ ticks, fills, orders: orderCounts }, 'strategy engine stopped');
  }

  return {
    metrics: address,
    strategyMetrics: sm,
    engineMetrics: em,
    ledgers,
    runners,
    stats: () => ({
      ticks,
      fills,
      bad: { ticks: { ...badTicks }, fills: { ...badFills } },
      orders: { ...orderCounts },
      handlerErrors,
      strategies: runners.map((r) => ({ name: r.spec.name, position: r.position, working: !r.idle })),
    }),
    close: () => {
      closed ??= close();
      return closed;
    },
  };
}

function connect(sub: zmq.Subscriber, endpoint: string, variable: string): void {
  try {
    sub.connect(endpoint);
  } catch (error) {
    throw new ConfigError(`${variable}: ${endpoint}: ${(error as Error).message}`);
  }
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}
