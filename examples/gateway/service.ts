import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CounterHandle,
  createMetricsServer,
  GatewayMetrics,
  type GaugeHandle,
  type gatewayDefinitions,
  type HistogramHandle,
  type InferLabels,
  type MetricsServer,
  TradingLedger,
} from '@ttquant/metrics';
import { Fifo } from '../shared/fifo.js';
import { createLogger, type Logger } from '../shared/logger.js';
import type {
  CancelEvent,
  EngineOrder,
  ExecutionEvent,
  FillEvent,
  GatewayOrderResult,
  NewOrderRequest,
  Side,
  StrategyFill,
  Venue,
} from '../shared/protocol.js';
import { newSpanId, newTrace, parseTraceparent } from '../shared/trace-context.js';
import type { GatewayConfig } from './config.js';
import { ExchangeClient, type ExchangeOutcome, type RetryCause } from './exchange-client.js';
import { ExecutionStream } from './executions.js';
import { isInputError, parseEngineOrder, readBody } from './order-entry.js';
import { RiskEngine, type RiskRule } from './risk.js';
import { FillPublisher, MarkSubscriber } from './zmq.js';

// The order gateway: HTTP order entry for the strategy engine → risk rules → the exchange's order
// API with bounded retries; the exchange's executions stream → fill metrics, a TradingLedger per
// venue (position, exposure, drawdown) and fills back to the engine on ZeroMQ; marks from the
// market-data bus; open orders past their TTL cancelled. Every series whose labels are known at
// start (venue × configured symbol × side × type) is bound here once; the order path only indexes.

/** What a finished submission reports as `orders_failed_total{reason}` and in the result. */
type FailReason = InferLabels<typeof gatewayDefinitions.ordersFailed>['reason'];

/** `order_processing_latency_ms{operation}`: a new order or a cancel. */
type Operation = InferLabels<typeof gatewayDefinitions.orderLatency>['operation'];

/**
 * Last transient cause → failure reason once retries are exhausted. A 5xx has no reason of its own
 * in the catalog, so a run that ends on one reports `retries_exhausted`.
 */
const EXHAUSTED: Record<RetryCause, FailReason> = {
  rate_limited: 'rate_limited',
  timeout: 'timeout',
  network: 'network',
  server_error: 'retries_exhausted',
};

/** Test and tooling hooks of {@link startGateway}. */
export interface GatewayDeps {
  /** Default: a pino logger named `gateway` (LOG_LEVEL). */
  readonly logger?: Logger;
  /** The catalog to record in; default a new one. */
  readonly metrics?: GatewayMetrics;
  /** Monotonic clock in ms for the order-rate buckets; default `performance.now`. */
  readonly now?: () => number;
}

/** The labels of an order latency exemplar: the order's trace and the gateway's span in it. */
type OrderExemplar = { readonly trace_id: string; readonly span_id: string };

/** Counters of things that have no metric of their own but must not go unnoticed. */
export interface GatewayStats {
  /** Order-entry requests refused with 400 or 413. */
  badRequests: number;
  /** Orders whose traceparent header was invalid: each started a new trace, as the spec says. */
  invalidTraceparents: number;
  /** Order-entry requests answered 503 because the gateway was closing. */
  refusedWhileClosing: number;
  /** Executions frames that did not parse as an ExecutionEvent. */
  malformedExecutions: number;
  /** Executions for a clientOrderId this gateway never sent (or forgot). */
  unknownExecutions: number;
  /** Fills seen twice, or a second cancel event for one order. */
  duplicateExecutions: number;
  /** Cancel events booked (after a TTL cancel or from the exchange itself). */
  cancelEvents: number;
  /** Fills beyond an order's quantity (booked: the exchange is the authority). */
  overfills: number;
  /** Cancels sent for orders past their TTL. */
  ttlCancels: number;
  /** Fills published to the engine. */
  fillsPublished: number;
  /** Finished orders forgotten past GATEWAY_REMEMBERED_ORDERS (a later event for one is unknown). */
  forgottenOrders: number;
  /**
   * Of those, orders forgotten within the retry window of their finish ((retries + 1) × timeout + retries × backoff cap):
   * a late fill could still come for them. Logged at most once a minute; raise GATEWAY_REMEMBERED_ORDERS.
   */
  forgottenEarly: number;
  /** Orders refused with 503 because GATEWAY_MAX_LIVE_ORDERS were in flight or open. */
  refusedLiveLimit: number;
  /** Orders refused with 400 from a strategy past GATEWAY_MAX_STRATEGIES. */
  refusedStrategies: number;
}

/** The sizes of the gateway's order state (each bounded by its variable). */
export interface GatewayMemory {
  /** Orders in flight or open (≤ GATEWAY_MAX_LIVE_ORDERS). */
  readonly live: number;
  /** Finished orders remembered (≤ GATEWAY_REMEMBERED_ORDERS). */
  readonly remembered: number;
  /** Strategy names seen (≤ GATEWAY_MAX_STRATEGIES). */
  readonly strategies: number;
  /** Submissions and cancels in progress. */
  readonly inflight: number;
}

/** A running gateway. */
export interface GatewayHandle {
  /** Base URL of order entry: POST `${orderUrl}/orders`. */
  readonly orderUrl: string;
  /** Base URL of the metrics server: `${metricsUrl}/metrics`. */
  readonly metricsUrl: string;
  /** The bound fills PUB endpoint (real port when `*` was asked). */
  readonly zmqEndpoint: string;
  readonly metrics: GatewayMetrics;
  readonly stats: Readonly<GatewayStats>;
  readonly risk: RiskEngine;
  /**
   * The ledger of one venue.
   *
   * @param venue - a configured venue
   * @returns its ledger
   */
  ledger(venue: Venue): TradingLedger;
  /**
   * The last mark price the market-data bus gave for a symbol.
   *
   * @param venue - a configured venue
   * @param symbol - a symbol
   * @returns the price, or `undefined` before the first tick
   */
  mark(venue: Venue, symbol: string): number | undefined;
  /**
   * Whether a venue's executions stream is connected.
   *
   * @param venue - a configured venue
   * @returns true when open
   */
  executionsConnected(venue: Venue): boolean;
  /**
   * The sizes of the order state, to check its bounds.
   *
   * @returns the counts now
   */
  memory(): GatewayMemory;
  /**
   * Stops taking orders (503), waits for in-flight submissions up to `drainTimeoutMs`, aborts the
   * rest, then closes every socket and server. Safe to call twice.
   */
  close(): Promise<void>;
}

/** Series of one venue and symbol, bound at start. @internal */
interface SymbolSeries {
  readonly orders: Record<Side, Record<InferLabels<typeof gatewayDefinitions.orders>['type'], CounterHandle>>;
  readonly success: Record<Side, CounterHandle>;
  readonly trades: Record<Side, CounterHandle>;
  readonly volume: Record<Side, CounterHandle>;
  readonly commission: CounterHandle;
  readonly active: GaugeHandle;
}

/** One venue's state and series. @internal */
interface VenueState {
  readonly venue: Venue;
  readonly ledger: TradingLedger;
  readonly marks: Map<string, number>;
  readonly symbols: Map<string, SymbolSeries>;
  readonly riskRejected: Record<RiskRule, CounterHandle>;
  readonly failed: Record<FailReason, CounterHandle>;
  readonly latency: Record<Operation, HistogramHandle>;
  stream: ExecutionStream | undefined;
}

/** One order known to the gateway, from risk pass to done (kept a while after, for late events). @internal */
interface OrderRecord {
  readonly order: EngineOrder;
  readonly venue: VenueState;
  readonly series: SymbolSeries;
  readonly result: Promise<GatewayOrderResult>;
  state: 'pending' | 'open' | 'done';
  ackStatus: 'open' | 'filled' | 'cancelled' | undefined;
  /** A cancel event is still to come for an order our DELETE closed: it is no duplicate. */
  cancelEventDue: boolean;
  filled: number;
  /** Quantity still counted as open in the risk engine. */
  reserved: number;
  /** Counted in active_orders. */
  counted: boolean;
  ttl: NodeJS.Timeout | undefined;
  fillKeys: Set<string> | undefined;
  /** Clock (deps.now) when it finished; set by #markDone. */
  doneAt: number;
  /** The order's trace (from the engine's traceparent) and this gateway's span: its latency exemplar. */
  readonly exemplar: OrderExemplar;
}

const FILL_EPSILON = 1e-9;
/** At most one "forgotten early" warning per this many ms. */
const WARN_EVERY_MS = 60_000;

/**
 * Starts the order gateway: order entry, metrics server, fills publisher, marks subscriber and one
 * executions stream per venue.
 *
 * @param config - see {@link readGatewayConfig}
 * @param deps - logger, metrics catalog and clock overrides
 * @returns a handle; `close()` stops everything
 * @example
 * ```ts
 * const gw = await startGateway(readGatewayConfig({ GATEWAY_ORDER_PORT: '0', GATEWAY_METRICS_PORT: '0' }));
 * await fetch(`${gw.orderUrl}/orders`, { method: 'POST', body: JSON.stringify(order) });
 * await gw.close();
 * ```
 */
export async function startGateway(config: GatewayConfig, deps: GatewayDeps = {}): Promise<GatewayHandle> {
  const gateway = new Gateway(config, deps);
  try {
    await gateway.start();
  } catch (error) {
    await gateway.close();
    throw error;
  }
  return gateway;
}

class Gateway implements GatewayHandle {
  readonly metrics: GatewayMetrics;
  readonly stats: GatewayStats = {
    badRequests: 0,
    invalidTraceparents: 0,
    refusedWhileClosing: 0,
    malformedExecutions: 0,
    unknownExecutions: 0,
    duplicateExecutions: 0,
    cancelEvents: 0,
    overfills: 0,
    ttlCancels: 0,
    fillsPublished: 0,
    forgottenOrders: 0,
    forgottenEarly: 0,
    refusedLiveLimit: 0,
    refusedStrategies: 0,
  };
  readonly risk: RiskEngine;
  orderUrl = '';
  metricsUrl = '';
  readonly #config: GatewayConfig;
  readonly #log: Logger;
  readonly #venues = new Map<Venue, VenueState>();
  readonly #venueNames: ReadonlySet<string>;
  readonly #symbolNames: ReadonlySet<string>;
  readonly #client: ExchangeClient;
  readonly #orders = new Map<string, OrderRecord>();
  /** Finished orders, in the order they finished: the oldest is forgotten first. */
  readonly #done = new Fifo<OrderRecord>();
  readonly #strategies = new Set<string>();
  readonly #now: () => number;
  /** How long after an order finished a late fill may still come: the exchange retry window. */
  readonly #lateWindowMs: number;
  #lastForgetWarn = Number.NEGATIVE_INFINITY;
  #forgottenEarlySinceWarn = 0;
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #abort = new AbortController();
  readonly #metricsServer: MetricsServer;
  #orderServer: Server | undefined;
  #publisher: FillPublisher | undefined;
  #marks: MarkSubscriber | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;

  constructor(config: GatewayConfig, deps: GatewayDeps) {
    this.#config = config;
    this.#log = deps.logger ?? createLogger('gateway');
    this.metrics = deps.metrics ?? new GatewayMetrics();
    this.risk = new RiskEngine(config.risk, deps.now);
    this.#now = deps.now ?? (() => performance.now());
    // The worst case: every attempt times out and every wait is capped (a 429's Retry-After may ask for the cap).
    this.#lateWindowMs = (config.maxRetries + 1) * config.exchangeTimeoutMs + config.maxRetries * config.retryMaxMs;
    this.#venueNames = new Set(config.venues);
    this.#symbolNames = new Set(config.symbols);
    const gw = this.metrics;
    for (const exchange of config.venues) {
      const symbols = new Map<string, SymbolSeries>();
      for (const symbol of config.symbols) symbols.set(symbol, bindSymbol(gw, exchange, symbol));
      this.#venues.set(exchange, {
        venue: exchange,
        // Only the gateway gauges: the engine serves the strategy metrics from its own ledger.
        ledger: new TradingLedger({ gateway: { metrics: gw, exchange }, autoRegister: true }),
        marks: new Map(),
        symbols,
        riskRejected: gw.ordersRiskRejected.bindEach('rule', { exchange }),
        failed: gw.ordersFailed.bindEach('reason', { exchange }),
        latency: gw.orderLatency.bindEach('operation', { exchange }),
        stream: undefined,
      });
    }
    this.#client = new ExchangeClient({
      baseUrl: config.exchangeUrl,
      venues: config.venues,
      metrics: gw,
      timeoutMs: config.exchangeTimeoutMs,
      maxRetries: config.maxRetries,
      retryBaseMs: config.retryBaseMs,
      retryMaxMs: config.retryMaxMs,
    });
    this.#metricsServer = createMetricsServer({
      service: 'gateway',
      sources: [gw],
      host: config.metricsHost,
      port: config.metricsPort,
      ...config.metricsSecurity,
      onError: (error) => this.#log.error({ err: error }, 'metrics server error'),
    });
  }

  get zmqEndpoint(): string {
    return this.#publisher?.endpoint ?? '';
  }

  ledger(venue: Venue): TradingLedger {
    return this.#venue(venue).ledger;
  }

  mark(venue: Venue, symbol: string): number | undefined {
    return this.#venue(venue).marks.get(symbol);
  }

  executionsConnected(venue: Venue): boolean {
    return this.#venue(venue).stream?.connected === true;
  }

  memory(): GatewayMemory {
    return {
      live: this.#orders.size - this.#done.size,
      remembered: this.#done.size,
      strategies: this.#strategies.size,
      inflight: this.#inflight.size,
    };
  }

  async start(): Promise<void> {
    const config = this.#config;
    this.#publisher = await FillPublisher.bind(config.zmqEndpoint, this.#log);
    if (config.mdZmqEndpoint !== '') {
      this.#marks = new MarkSubscriber(
        config.mdZmqEndpoint,
        config.venues,
        (v, s, p) => this.#onMark(v, s, p),
        this.#log,
      );
    }
    const wsBase = config.exchangeUrl.replace(/^http/, 'ws');
    for (const state of this.#venues.values()) {
      state.stream = new ExecutionStream({
        url: `${wsBase}/ws/${state.venue}/executions`,
        reconnectMs: config.wsReconnectMs,
        maxReconnectMs: config.wsReconnectMs * 30,
        logger: this.#log,
        onEvent: (event) => this.#onExecution(state, event),
        onMalformed: (reason) => {
          this.stats.malformedExecutions++;
          this.#log.warn({ venue: state.venue, reason }, 'malformed execution skipped');
        },
      });
      state.stream.start();
    }
    const server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        this.#log.error({ err: error }, 'order entry failed');
        if (!response.headersSent) send(response, 500, { error: 'internal' });
        else response.destroy();
      });
    });
    // Bounds the time a client may take to send its request (not the time we take to answer).
    server.requestTimeout = 10_000;
    server.headersTimeout = 10_000;
    server.on('clientError', (_error, socket) => socket.destroy());
    this.#orderServer = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.orderPort, config.orderHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.#log.error({ err: error }, 'order server error'));
    const port = (server.address() as AddressInfo).port;
    this.orderUrl = `http://${urlHost(config.orderHost)}:${port}`;
    this.metricsUrl = (await this.#metricsServer.listen()).url;
    this.#log.info(
      { orderUrl: this.orderUrl, metricsUrl: this.metricsUrl, zmq: this.zmqEndpoint, venues: config.venues },
      'gateway listening',
    );
  }

  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    this.#closing = true;
    if (this.#inflight.size > 0) {
      this.#log.info({ inflight: this.#inflight.size }, 'draining in-flight orders');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#config.drainTimeoutMs)));
      await Promise.race([Promise.allSettled([...this.#inflight]), deadline]);
      clearTimeout(timer);
    }
    this.#abort.abort();
    await Promise.allSettled([...this.#inflight]);
    for (const record of this.#orders.values()) clearTimeout(record.ttl);
    const server = this.#orderServer;
    if (server !== undefined) {
      // close() lets the answers of the requests just aborted go out; a connection still busy after
      // 250 ms (a client still sending a body) is cut.
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), 250);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    }
    await Promise.allSettled([...this.#venues.values()].map((v) => v.stream?.close()));
    await this.#marks?.close();
    await this.#publisher?.close();
    this.#client.close();
    await this.#metricsServer.close();
    this.#log.info(this.stats, 'gateway closed');
  }

  #venue(venue: Venue): VenueState {
    const state = this.#venues.get(venue);
    if (state === undefined) throw new Error(`gateway: venue ${venue} is not configured`);
    return state;
  }

  // ---- order entry --------------------------------------------------------------------------

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const received = performance.now();
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path === '/health') {
      send(response, this.#closing ? 503 : 200, { status: this.#closing ? 'closing' : 'ok', service: 'gateway' });
      return;
    }
    if (path !== '/orders') {
      send(response, 404, { error: 'not_found' });
      return;
    }
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      send(response, 405, { error: 'method_not_allowed' });
      return;
    }
    if (this.#closing) {
      this.stats.refusedWhileClosing++;
      send(response, 503, { error: 'shutting_down' }, true);
      return;
    }
    const body = await readBody(request);
    if (isInputError(body)) {
      this.stats.badRequests++;
      send(response, body.status, body);
      return;
    }
    const order = parseEngineOrder(body, this.#venueNames, this.#symbolNames);
    if (isInputError(order)) {
      this.stats.badRequests++;
      send(response, order.status, order);
      return;
    }
    if (this.#closing) {
      this.stats.refusedWhileClosing++;
      send(response, 503, { error: 'shutting_down' }, true);
      return;
    }
    const refusal = this.#admit(order);
    if (refusal !== undefined) {
      send(response, refusal.status, refusal.body);
      return;
    }
    const result = await this.#submit(order, received, this.#exemplar(request.headers.traceparent));
    send(response, 200, result);
  }

  /**
   * The bounds of order entry: a strategy name past GATEWAY_MAX_STRATEGIES (400), a new order while
   * GATEWAY_MAX_LIVE_ORDERS are in flight or open (503, retryable). A repeat of a known order passes.
   */
  #admit(order: EngineOrder): { status: 400 | 503; body: object } | undefined {
    if (this.#orders.has(order.clientOrderId)) return undefined;
    if (!this.#strategies.has(order.strategy)) {
      if (this.#strategies.size >= this.#config.maxStrategies) {
        this.stats.refusedStrategies++;
        this.stats.badRequests++;
        return {
          status: 400,
          body: {
            error: 'invalid_order',
            field: 'strategy',
            reason: `more than ${this.#config.maxStrategies} strategies (GATEWAY_MAX_STRATEGIES)`,
          },
        };
      }
      this.#strategies.add(order.strategy);
    }
    if (this.#orders.size - this.#done.size >= this.#config.maxLiveOrders) {
      this.stats.refusedLiveLimit++;
      return { status: 503, body: { error: 'too_many_live_orders', limit: this.#config.maxLiveOrders } };
    }
    return undefined;
  }

  /** Continues the engine's trace (or starts one) with a span of this gateway's own. */
  #exemplar(header: string | string[] | undefined): OrderExemplar {
    const parent = parseTraceparent(header);
    if (parent === 'invalid') {
      this.stats.invalidTraceparents++;
      this.#log.debug({ traceparent: header }, 'invalid traceparent: the order starts a new trace');
    }
    const traceId = parent === undefined || parent === 'invalid' ? newTrace().traceId : parent.traceId;
    return { trace_id: traceId, span_id: newSpanId() };
  }

  /** Runs one order through risk and the exchange; a repeated clientOrderId gets the first result. */
  #submit(order: EngineOrder, received: number, exemplar: OrderExemplar): Promise<GatewayOrderResult> {
    const existing = this.#orders.get(order.clientOrderId);
    if (existing !== undefined) return existing.result;
    const venue = this.#venue(order.exchange);
    const series = venue.symbols.get(order.symbol) as SymbolSeries;
    series.orders[order.side][order.type].inc();

    const refPrice = order.price ?? venue.marks.get(order.symbol) ?? Number.NaN;
    const rule = this.risk.check(order.exchange, order.symbol, order.side, order.quantity, refPrice);
    if (rule !== undefined) {
      venue.riskRejected[rule].inc();
      // debug: a flood of orders would otherwise flood the log too (the counter tells the story).
      this.#log.debug({ clientOrderId: order.clientOrderId, rule, refPrice }, 'order risk-rejected');
      const result: GatewayOrderResult = { clientOrderId: order.clientOrderId, status: 'risk_rejected', reason: rule };
      this.#remember(order, venue, series, Promise.resolve(result), 'done', exemplar);
      return Promise.resolve(result);
    }

    let resolveResult!: (result: GatewayOrderResult) => void;
    const result = new Promise<GatewayOrderResult>((resolve) => (resolveResult = resolve));
    const record = this.#remember(order, venue, series, result, 'pending', exemplar);
    record.reserved = order.quantity;
    const request: NewOrderRequest = {
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      quantity: order.quantity,
      // A market order's price was only the reference for the risk check.
      ...(order.type === 'limit' ? { price: order.price } : {}),
    };
    const work = this.#client
      .submit(order.exchange, request, this.#abort.signal)
      .then((outcome) => this.#onOutcome(record, outcome, received))
      .catch((error: unknown) => {
        this.#log.error({ err: error, clientOrderId: order.clientOrderId }, 'submission failed unexpectedly');
        return this.#failed(record, 'network');
      })
      .then(resolveResult);
    this.#track(work);
    return result;
  }

  #onOutcome(record: OrderRecord, outcome: ExchangeOutcome, received: number): GatewayOrderResult {
    const { order, venue, series } = record;
    const id = order.clientOrderId;
    switch (outcome.kind) {
      case 'ack': {
        series.success[order.side].inc();
        // The exemplar links this latency to the order's trace (its id is in the engine's and this log).
        venue.latency.new.observeWithExemplar(performance.now() - received, record.exemplar);
        record.ackStatus = outcome.ack.status;
        if (record.state !== 'done') {
          if (outcome.ack.status === 'cancelled') {
            this.#finish(record);
          } else {
            record.state = 'open';
            if (outcome.ack.status === 'open') {
              series.active.inc();
              record.counted = true;
            }
            this.#armTtl(record, this.#config.orderTtlMs);
          }
        }
        this.#log.debug(
          {
            clientOrderId: id,
            status: outcome.ack.status,
            retries: outcome.retries,
            traceId: record.exemplar.trace_id,
          },
          'order acknowledged',
        );
        return { clientOrderId: id, status: 'accepted' };
      }
      case 'rejected':
        this.#log.info(
          { clientOrderId: id, status: outcome.status, reason: outcome.reason },
          'order rejected by exchange',
        );
        return this.#failed(record, 'exchange_rejected');
      case 'failed':
        this.#log.warn(
          { clientOrderId: id, cause: outcome.cause, retries: outcome.retries },
          'order failed: retries exhausted',
        );
        return this.#failed(record, EXHAUSTED[outcome.cause]);
      case 'aborted':
        // Shutdown: no verdict from the exchange, so no failure reason is counted.
        this.#finish(record);
        return { clientOrderId: id, status: 'failed', reason: 'shutdown' };
    }
  }

  #failed(record: OrderRecord, reason: FailReason): GatewayOrderResult {
    record.venue.failed[reason].inc();
    this.#finish(record);
    return { clientOrderId: record.order.clientOrderId, status: 'failed', reason };
  }

  #remember(
    order: EngineOrder,
    venue: VenueState,
    series: SymbolSeries,
    result: Promise<GatewayOrderResult>,
    state: OrderRecord['state'],
    exemplar: OrderExemplar,
  ): OrderRecord {
    const record: OrderRecord = {
      order,
      venue,
      series,
      result,
      state,
      ackStatus: undefined,
      cancelEventDue: false,
      filled: 0,
      reserved: 0,
      counted: false,
      ttl: undefined,
      fillKeys: undefined,
      doneAt: Number.NaN,
      exemplar,
    };
    this.#orders.set(order.clientOrderId, record);
    if (state === 'done') this.#markDone(record);
    return record;
  }

  /** The order will not change any more: active_orders down, risk reserve released, TTL cleared. */
  #finish(record: OrderRecord): void {
    if (record.state === 'done') return;
    record.state = 'done';
    if (record.counted) {
      record.series.active.dec();
      record.counted = false;
    }
    clearTimeout(record.ttl);
    record.ttl = undefined;
    if (record.reserved > 0) {
      const { order } = record;
      this.risk.release(order.exchange, order.symbol, order.side, record.reserved);
      record.reserved = 0;
    }
    this.#markDone(record);
  }

  // Finished orders are remembered (GATEWAY_REMEMBERED_ORDERS, oldest forgotten first) so a late or
  // repeated event is recognised rather than reported as unknown, and a repeated request gets its
  // first result. Orders in flight or open are never forgotten: the gateway's own retries always
  // find their record (GATEWAY_MAX_LIVE_ORDERS bounds those).
  #markDone(record: OrderRecord): void {
    const now = this.#now();
    record.doneAt = now;
    this.#done.push(record);
    if (this.#done.size <= this.#config.rememberedOrders) return;
    const forgotten = this.#done.shift() as OrderRecord;
    const id = forgotten.order.clientOrderId;
    if (this.#orders.get(id) === forgotten) this.#orders.delete(id);
    this.stats.forgottenOrders++;
    if (now - forgotten.doneAt < this.#lateWindowMs) {
      this.stats.forgottenEarly++;
      this.#forgottenEarlySinceWarn++;
      if (now - this.#lastForgetWarn >= WARN_EVERY_MS) {
        this.#log.warn(
          {
            forgotten: this.#forgottenEarlySinceWarn,
            rememberedOrders: this.#config.rememberedOrders,
            lateWindowMs: this.#lateWindowMs,
          },
          'finished orders forgotten within the retry window; raise GATEWAY_REMEMBERED_ORDERS',
        );
        this.#lastForgetWarn = now;
        this.#forgottenEarlySinceWarn = 0;
      }
    }
  }

  #track(work: Promise<unknown>): void {
    this.#inflight.add(work);
    void work.finally(() => this.#inflight.delete(work));
  }

  // ---- TTL cancels ---------------------------------------------------------------------------

  #armTtl(record: OrderRecord, ms: number): void {
    clearTimeout(record.ttl);
    record.ttl = setTimeout(() => {
      record.ttl = undefined;
      if (record.state === 'done' || this.#closing) return;
      if (record.ackStatus !== 'open') {
        // Acknowledged as filled, but the fills never came (missed while the stream was down):
        // stop counting the order as open.
        this.#log.warn(
          { clientOrderId: record.order.clientOrderId, filled: record.filled },
          'fills missing for a filled order',
        );
        this.#finish(record);
        return;
      }
      this.#track(this.#cancel(record));
    }, ms);
  }

  async #cancel(record: OrderRecord): Promise<void> {
    const { order, venue } = record;
    this.stats.ttlCancels++;
    const started = performance.now();
    const outcome = await this.#client.cancel(order.exchange, order.clientOrderId, this.#abort.signal);
    if (outcome.kind === 'ack') {
      venue.latency.cancel.observeWithExemplar(performance.now() - started, record.exemplar);
      this.#log.info({ clientOrderId: order.clientOrderId, status: outcome.ack.status }, 'order cancelled after TTL');
      // The executions stream reports it too, before or after this answer; #finish runs once.
      if (outcome.ack.status === 'cancelled' && record.state !== 'done') record.cancelEventDue = true;
      if (outcome.ack.status !== 'open') this.#finish(record);
      return;
    }
    if (outcome.kind === 'rejected') {
      // 404: the exchange no longer knows it (filled or cancelled while we were not listening).
      this.#log.warn(
        { clientOrderId: order.clientOrderId, status: outcome.status },
        'TTL cancel refused; order closed',
      );
      this.#finish(record);
      return;
    }
    if (outcome.kind === 'failed' && !this.#closing && record.state !== 'done') {
      this.#log.warn(
        { clientOrderId: order.clientOrderId, cause: outcome.cause },
        'TTL cancel failed; trying again later',
      );
      this.#armTtl(record, this.#config.orderTtlMs);
    }
  }

  // ---- executions, marks ---------------------------------------------------------------------

  #onExecution(venue: VenueState, event: ExecutionEvent): void {
    const record = this.#orders.get(event.clientOrderId);
    if (record === undefined || record.venue !== venue) {
      this.stats.unknownExecutions++;
      this.#log.warn(
        { venue: venue.venue, clientOrderId: event.clientOrderId, e: event.e },
        'execution for an unknown order',
      );
      return;
    }
    if (event.e === 'cancelled') this.#onCancelled(record, event);
    else this.#onFill(record, event);
  }

  #onCancelled(record: OrderRecord, event: CancelEvent): void {
    if (record.state === 'done') {
      if (record.cancelEventDue) {
        record.cancelEventDue = false;
        this.stats.cancelEvents++;
      } else {
        this.stats.duplicateExecutions++;
        this.#log.warn({ clientOrderId: event.clientOrderId }, 'duplicate cancel event skipped');
      }
      return;
    }
    this.stats.cancelEvents++;
    this.#log.debug({ clientOrderId: event.clientOrderId }, 'order cancelled');
    this.#finish(record);
  }

  #onFill(record: OrderRecord, fill: FillEvent): void {
    const { order, venue, series } = record;
    if (fill.symbol !== order.symbol || fill.side !== order.side) {
      this.stats.malformedExecutions++;
      this.#log.warn({ clientOrderId: order.clientOrderId, fill }, 'fill does not match its order; skipped');
      return;
    }
    // A fill has no id of its own in the protocol: (time, price, quantity) within an order is its key.
    const key = `${fill.time}|${fill.price}|${fill.quantity}`;
    record.fillKeys ??= new Set();
    if (record.fillKeys.has(key) || record.filled >= order.quantity * (1 - FILL_EPSILON)) {
      this.stats.duplicateExecutions++;
      this.#log.warn({ clientOrderId: order.clientOrderId, key }, 'duplicate fill skipped');
      return;
    }
    record.fillKeys.add(key);
    const remaining = order.quantity - record.filled;
    if (fill.quantity > remaining * (1 + FILL_EPSILON)) {
      this.stats.overfills++;
      this.#log.warn({ clientOrderId: order.clientOrderId, remaining, quantity: fill.quantity }, 'overfill booked');
    }
    if (record.state === 'done' && record.ackStatus === undefined) {
      // Reported failed (e.g. timed out) but it did reach the exchange: the position is real.
      this.#log.warn({ clientOrderId: order.clientOrderId }, 'fill for an order reported failed; booked');
    }
    record.filled += fill.quantity;

    series.trades[fill.side].inc();
    series.volume[fill.side].add(fill.price * fill.quantity);
    series.commission.add(fill.fee);
    const released = Math.min(fill.quantity, record.reserved);
    record.reserved -= released;
    this.risk.onFill(order.exchange, order.symbol, fill.side, fill.quantity, released);
    try {
      venue.ledger.onFill({
        strategy: order.strategy,
        symbol: order.symbol,
        side: fill.side,
        quantity: fill.quantity,
        price: fill.price,
        fee: fill.fee,
        time: fill.time,
      });
    } catch (error) {
      this.#log.error({ err: error, clientOrderId: order.clientOrderId }, 'ledger refused a fill');
    }
    const out: StrategyFill = {
      strategy: order.strategy,
      exchange: order.exchange,
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: fill.side,
      price: fill.price,
      quantity: fill.quantity,
      fee: fill.fee,
      time: fill.time,
    };
    this.#publisher?.publish(out);
    this.stats.fillsPublished++;
    if (record.filled >= order.quantity * (1 - FILL_EPSILON)) this.#finish(record);
  }

  #onMark(venue: Venue, symbol: string, price: number): void {
    const state = this.#venues.get(venue);
    if (state === undefined || !this.#symbolNames.has(symbol)) return;
    state.marks.set(symbol, price);
    state.ledger.onMark(symbol, price);
  }
}

function bindSymbol(gw: GatewayMetrics, exchange: Venue, symbol: string): SymbolSeries {
  return {
    orders: {
      buy: gw.orders.bindEach('type', { exchange, symbol, side: 'buy' }),
      sell: gw.orders.bindEach('type', { exchange, symbol, side: 'sell' }),
    },
    success: gw.ordersSuccess.bindEach('side', { exchange, symbol }),
    trades: gw.trades.bindEach('side', { exchange, symbol }),
    volume: gw.tradeVolume.bindEach('side', { exchange, symbol }),
    commission: gw.commission.bind({ exchange, symbol }),
    active: gw.activeOrders.bind({ exchange, symbol }),
  };
}

function send(response: ServerResponse, status: number, body: unknown, close = false): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(close ? { connection: 'close' } : {}),
  });
  response.end(text);
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
