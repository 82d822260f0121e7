import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { type MetricSource, PROMETHEUS_CONTENT_TYPE, PrometheusWriter } from '../exposition/prometheus-text.js';
import { createProcessMetricsRegistry } from '../prom-client/interop.js';
import { authorizationCheck, challenge, type MetricsAuth } from './auth.js';

/**
 * Default metrics port of each TTQuant service, as existing Prometheus scrape configs expect them:
 * market data 8080, gateway 8081, strategy engine 8000.
 */
export const SERVICE_PORTS = Object.freeze({ 'market-data': 8080, gateway: 8081, 'strategy-engine': 8000 } as const);

/** Port used for a service not in {@link SERVICE_PORTS}: the OpenTelemetry Prometheus exporter's default. */
export const DEFAULT_METRICS_PORT = 9464;

/**
 * The port a service's metrics server listens on when no port is given.
 *
 * @param service - a service name
 * @returns `SERVICE_PORTS[service]`, or {@link DEFAULT_METRICS_PORT} for any other name
 */
export function defaultMetricsPort(service: string): number {
  return Object.hasOwn(SERVICE_PORTS, service)
    ? SERVICE_PORTS[service as keyof typeof SERVICE_PORTS]
    : DEFAULT_METRICS_PORT;
}

/** Options of {@link createMetricsServer}. */
export interface MetricsServerOptions {
  /** The catalogs served on `/metrics`; their metric names must not collide. */
  readonly sources: readonly MetricSource[];
  /** Service name, reported by `/health`; also picks the default port from {@link SERVICE_PORTS}. */
  readonly service: keyof typeof SERVICE_PORTS | (string & {});
  /** TCP port; default `SERVICE_PORTS[service]`, else {@link DEFAULT_METRICS_PORT}. `0` picks a free port. */
  readonly port?: number;
  /**
   * Interface to listen on; default `'127.0.0.1'`, so nothing is exposed by accident. Use `'0.0.0.0'`
   * (or `'::'`) in a container that Prometheus scrapes from outside.
   */
  readonly host?: string;
  /**
   * Serve prom-client's Node.js process metrics after the catalogs (see `createProcessMetricsRegistry`
   * and `OMITTED_PROCESS_METRICS`); default `true`.
   */
  readonly processMetrics?: boolean;
  /**
   * Require credentials on `/metrics` (a bearer token or basic auth); without them or with wrong
   * ones the answer is 401 with no metric data. `/health` stays open for liveness probes and shows
   * no metric data. Default: no auth (the server listens on 127.0.0.1 unless told otherwise).
   */
  readonly auth?: MetricsAuth;
  /** Wall clock in ms since the epoch, for `/health`'s uptime; default `Date.now`. */
  readonly now?: () => number;
  /**
   * Called when rendering `/metrics` throws (the scrape then gets a 500 and the server keeps
   * serving), or when the server errors after it listens. Default: a process warning.
   */
  readonly onError?: (error: unknown) => void;
}

/** Where a {@link MetricsServer} listens. */
export interface MetricsServerAddress {
  /** The host it was asked to listen on. */
  readonly host: string;
  /** The bound port (the real one when `port: 0` was given). */
  readonly port: number;
  /** Base URL, e.g. `http://127.0.0.1:8080`; the endpoints are `${url}/metrics` and `${url}/health`. */
  readonly url: string;
}

/** A metrics HTTP server, created stopped by {@link createMetricsServer}. */
export interface MetricsServer {
  /**
   * Starts listening. Calling it again while listening returns the same address.
   *
   * @returns the address, once the port is bound
   * @throws Error when the port cannot be bound (e.g. `EADDRINUSE`) or the server was closed
   */
  listen(): Promise<MetricsServerAddress>;
  /**
   * Stops accepting connections, closes idle keep-alive connections and waits for in-flight requests.
   * Safe to call more than once, or before `listen()`.
   *
   * @returns resolves when the port is free
   */
  close(): Promise<void>;
}

const ALLOW = 'GET, HEAD';
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';

/**
 * Creates an HTTP server (node:http) for one service: `GET /metrics` renders the catalogs in the
 * Prometheus text format 0.0.4, followed by the Node.js process metrics unless turned off;
 * `GET /health` answers `{"status":"ok","service":…,"uptime_seconds":…}`, the uptime counted from this
 * call. `HEAD` works on both. Another method on those paths gets 405 with `Allow: GET, HEAD`; any other
 * path 404. Query strings are ignored. A render that throws is a 500, and the server keeps serving.
 *
 * @param options - sources, service name, and optional port, host, process metrics and clock
 * @returns the server, not yet listening: call `listen()`
 * @throws MetricDefinitionError when two sources expose the same metric name
 * @example
 * ```ts
 * const md = new MarketDataMetrics();
 * const server = createMetricsServer({ sources: [md], service: 'market-data', host: '0.0.0.0' });
 * const { url } = await server.listen(); // http://0.0.0.0:8080
 * process.on('SIGTERM', () => void server.close());
 * ```
 */
export function createMetricsServer(options: MetricsServerOptions): MetricsServer {
  const { service } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? defaultMetricsPort(service);
  const onError = options.onError ?? warnServerError;
  const writer = new PrometheusWriter(options.sources);
  const processRegistry = options.processMetrics === false ? undefined : createProcessMetricsRegistry();
  const auth = options.auth;
  const authorized = auth === undefined ? undefined : authorizationCheck(auth);

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    if (path !== '/metrics' && path !== '/health') return send(response, 404, TEXT_CONTENT_TYPE, 'Not Found\n');
    const method = request.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      response.setHeader('Allow', ALLOW);
      return send(response, 405, TEXT_CONTENT_TYPE, 'Method Not Allowed\n');
    }
    const head = method === 'HEAD';
    if (path === '/health') {
      const body = JSON.stringify({ status: 'ok', service, uptime_seconds: (now() - startedAt) / 1000 });
      return send(response, 200, JSON_CONTENT_TYPE, body, head);
    }
    if (auth !== undefined && authorized !== undefined && !authorized(request.headers.authorization)) {
      response.setHeader('WWW-Authenticate', challenge(auth));
      return send(response, 401, TEXT_CONTENT_TYPE, 'Unauthorized\n', head);
    }
    let body: Buffer;
    try {
      body = await renderMetrics(writer, processRegistry);
    } catch (error) {
      onError(error);
      return send(response, 500, TEXT_CONTENT_TYPE, 'metrics render failed\n');
    }
    send(response, 200, PROMETHEUS_CONTENT_TYPE, body, head);
  }

  let listening: Promise<MetricsServerAddress> | undefined;
  let closing: Promise<void> | undefined;
  let rejectListen: ((error: Error) => void) | undefined;
  // Always listening for 'error': a bind error rejects listen(); a later one (an accept failure such
  // as EMFILE) goes to onError instead of crashing the process as an unhandled 'error' event.
  server.on('error', (error) => {
    if (rejectListen !== undefined) rejectListen(error);
    else onError(error);
  });

  return {
    listen(): Promise<MetricsServerAddress> {
      if (closing !== undefined) return Promise.reject(new Error('metrics server: closed; create a new one'));
      if (listening !== undefined) return listening;
      const attempt = new Promise<MetricsServerAddress>((resolve, reject) => {
        rejectListen = reject;
        server.listen(port, host, () => {
          rejectListen = undefined;
          const bound = (server.address() as AddressInfo).port;
          const urlHost = host.includes(':') ? `[${host}]` : host;
          resolve(Object.freeze({ host, port: bound, url: `http://${urlHost}:${bound}` }));
        });
      });
      // A failed bind (EADDRINUSE, or ERR_SOCKET_BAD_PORT thrown by listen() itself) may be retried.
      listening = attempt;
      attempt.catch(() => {
        rejectListen = undefined;
        if (listening === attempt) listening = undefined;
      });
      return listening;
    },
    close(): Promise<void> {
      closing ??= closeServer(server, listening);
      return closing;
    },
  };
}

async function renderMetrics(writer: PrometheusWriter, processRegistry: Registry | undefined): Promise<Buffer> {
  // Await prom-client first, then render and copy in one synchronous step: the writer reuses its
  // buffer, so nothing may await between render() and the copy (one copy per scrape, not two).
  const processText = processRegistry === undefined ? '' : await processRegistry.metrics();
  const catalogs = writer.render();
  if (processText === '') return Buffer.from(catalogs);
  return Buffer.concat([catalogs, Buffer.from(processText, 'utf8')]);
}

function send(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  headOnly = false,
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  response.statusCode = status;
  response.setHeader('Content-Type', contentType);
  response.setHeader('Content-Length', bytes.length);
  response.end(headOnly ? undefined : bytes);
}

async function closeServer(server: Server, listening: Promise<MetricsServerAddress> | undefined): Promise<void> {
  if (listening === undefined) return;
  // Let a listen() in progress finish first, so close() never races the bind.
  await listening.catch(() => undefined);
  if (!server.listening) return;
  await new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Idle keep-alive sockets would otherwise hold close() open until their timeout.
    server.closeIdleConnections();
  });
}

function warnServerError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(`metrics server: ${message}`, 'MetricsServerWarning');
}
