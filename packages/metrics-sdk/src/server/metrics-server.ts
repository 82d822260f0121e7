import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ServiceName } from '../catalogs/service-ports.js';
import type { ExpositionFormat, ExpositionWriter } from '../exposition/formats.js';
import type { MetricSource } from '../exposition/prometheus-text.js';
import { exposedSources, pullSteps } from '../exposition/sources.js';
import { RuntimeMetrics } from '../runtime/runtime-metrics.js';
import { authorizationCheck, challenge, type MetricsAuth } from './auth.js';
import { BodyPool } from './body-pool.js';
import { FORMAT_WRITERS } from './format-writers.js';
import { acceptsGzip, negotiateFormat } from './negotiate.js';
import { ResponsePacer } from './response-pacer.js';
import { ScrapeCoalescer } from './scrape-coalescer.js';
import { resolveServerOptions } from './server-options.js';
import { SharedRender } from './shared-render.js';
import { applySocketTimeouts, httpTimeoutOptions, type MetricsServerTimeouts } from './timeouts.js';
import { loadTls, type MetricsServerTls } from './tls.js';

export { SERVICE_PORTS } from '../catalogs/service-ports.js';
export { DEFAULT_MAX_CONNECTIONS, DEFAULT_METRICS_PORT, defaultMetricsPort } from './server-options.js';

/** Options of {@link createMetricsServer}. */
export interface MetricsServerOptions {
  /** The catalogs served on `/metrics`; their metric names must not collide. */
  readonly sources: readonly MetricSource[];
  /** Service name, reported by `/health`; also picks the default port from {@link SERVICE_PORTS}. */
  readonly service: ServiceName | (string & {});
  /** TCP port; default `SERVICE_PORTS[service]`, else {@link DEFAULT_METRICS_PORT}. `0` picks a free port. */
  readonly port?: number;
  /**
   * Interface to listen on; default `'127.0.0.1'`, so nothing is exposed by accident. Use `'0.0.0.0'`
   * (or `'::'`) in a container that Prometheus scrapes from outside.
   */
  readonly host?: string;
  /**
   * Serve the Node.js runtime metrics of a {@link RuntimeMetrics} (CPU, memory, file descriptors,
   * event-loop lag, GC, heap) after the catalogs; default `true`. The server creates it, and stops
   * it on `close()`. When `sources` already holds a `RuntimeMetrics`, that one is served and no
   * second is created.
   */
  readonly runtimeMetrics?: boolean;
  /**
   * Serve the SDK's self-metrics after the catalogs (`ttquant_metrics_overflow_records_total`,
   * `ttquant_metrics_dropped_values_total`, `ttquant_metrics_exemplars_dropped_total`); default `true`.
   */
  readonly selfMetrics?: boolean;
  /**
   * The exposition formats `/metrics` serves; default all of them: `'prometheus-protobuf'`,
   * `'openmetrics-text'` and `'prometheus-text'`. Each request gets the one its `Accept` header
   * prefers (highest q-value; a tie goes to protobuf, then OpenMetrics, then text), and text 0.0.4
   * when it names none of them, as client_golang answers. `['prometheus-text']` serves text only.
   */
  readonly formats?: readonly ExpositionFormat[];
  /**
   * Require credentials on `/metrics` (a bearer token or basic auth); without them or with wrong
   * ones the answer is 401 with no metric data. `/health` stays open for liveness probes and shows
   * no metric data. Default: no auth (the server listens on 127.0.0.1 unless told otherwise).
   */
  readonly auth?: MetricsAuth;
  /**
   * Serve HTTPS (node:https) with this key and certificate, and optionally require client
   * certificates signed by `caPath` (mutual TLS). The files are read when the server is created; an
   * unreadable or mismatched file throws `MetricsServerConfigError` naming the path. To take a
   * renewed certificate, create a new server. Default: plain HTTP.
   */
  readonly tls?: MetricsServerTls;
  /**
   * Time limits for slow or stalled clients (see {@link MetricsServerTimeouts}): default head 10 s,
   * whole request 30 s, idle keep-alive 5 s, socket inactivity 30 s.
   */
  readonly timeouts?: MetricsServerTimeouts;
  /**
   * Most connections open at once; further ones are closed as soon as they are accepted, so a
   * scraper that opens hundreds of connections cannot use up the process' file descriptors.
   * Default 256 (Prometheus needs one per server scraping this target).
   */
  readonly maxConnections?: number;
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
  /**
   * Base URL, e.g. `http://127.0.0.1:8080` (`https://` with `tls`); the endpoints are `${url}/metrics`
   * and `${url}/health`.
   */
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
   * Stops accepting connections, closes idle keep-alive connections and waits for in-flight requests;
   * a stalled client holds it at most until its time limit (see {@link MetricsServerTimeouts}).
   * Safe to call more than once, or before `listen()`.
   *
   * @returns resolves when the port is free
   */
  close(): Promise<void>;
  /**
   * Counters for tests and diagnostics; not a stable API.
   *
   * @returns collections run, `/metrics` requests that shared them, open connections and sockets
   *   closed by a time limit
   * @internal
   */
  '~stats'(): MetricsServerStats;
}

/** What `'~stats'()` reports. @internal */
export interface MetricsServerStats {
  /** Renders of `/metrics` (catalogs and runtime metrics) since creation. */
  readonly collections: number;
  /** Authorized `/metrics` requests; `scrapes / collections` is how many shared each render. */
  readonly scrapes: number;
  /** TCP connections open now. */
  readonly connections: number;
  /** Connections destroyed for inactivity or an expired keep-alive. */
  readonly timedOut: number;
  /** Connections refused at accept because `maxConnections` were open. */
  readonly refused: number;
  /** Successful `/metrics` responses per format. */
  readonly formats: Readonly<Record<ExpositionFormat, number>>;
  /** Of those, the ones sent with `Content-Encoding: gzip`. */
  readonly gzipped: number;
  /** gzip compressions run; `gzipped / compressions` is how many shared each. */
  readonly compressions: number;
}

/**
 * The gzip level of `/metrics` bodies. client_golang uses the default, 6; level 1 costs a quarter to
 * a half of its CPU for bodies 5–50% larger. Measured here (Node 24, 2 cores, `zlib.gzip` median of
 * 15, 10k counter series): text 0.0.4 625 KB → 2.3 ms / 57 KB at level 1 against 4.0 ms / 39 KB at
 * 6; OpenMetrics 1.36 MB → 2.4 ms / 104 KB against 9.0 ms / 74 KB; protobuf 678 KB → 1.0 ms / 44 KB
 * against 5.6 ms / 41 KB. Either size is nothing to a scraper on the LAN, and the CPU is the
 * trading host's.
 */
export const GZIP_LEVEL = 1;

/** One served format: its writer and the coalescer that shares its renders. */
interface FormatChannel {
  readonly writer: ExpositionWriter;
  readonly scrapes: ScrapeCoalescer<SharedRender>;
}

const ALLOW = 'GET, HEAD';
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';

/**
 * Creates an HTTP server (node:http, or node:https with `tls`) for one service: `GET /metrics` renders
 * the catalogs, followed by the Node.js runtime metrics unless turned off, in the format the request's
 * `Accept` header prefers among `formats` (protobuf, OpenMetrics 1.0.0 or text 0.0.4; text 0.0.4
 * without an `Accept`, for `*\/*` or when nothing named is served, as client_golang answers), gzipped
 * when `Accept-Encoding` offers gzip, with `Vary: Accept, Accept-Encoding`. `GET /health` answers
 * `{"status":"ok","service":…,"uptime_seconds":…}`, the uptime counted from this call. `HEAD` works
 * on both. Another method on those paths gets 405 with `Allow: GET, HEAD`; any other path 404. Query
 * strings are ignored. A render that throws is a 500, and the server keeps serving.
 *
 * Hostile scrapers: scrapes that arrive together in one format share one render (each still gets a
 * body collected after its request arrived) and, when gzipped, one compression, run on libuv's thread
 * pool rather than the event loop; slow or silent clients are cut off by {@link MetricsServerTimeouts}, and
 * connections are capped by `maxConnections`. With `auth`, a wrong or missing credential gets 401
 * before anything is rendered.
 *
 * @param options - sources, service name, and optional port, host, auth, TLS, limits, runtime metrics and clock
 * @returns the server, not yet listening: call `listen()`
 * @throws MetricDefinitionError when two sources expose the same metric name
 * @throws MetricsServerConfigError naming the option: a wrong type or value (a port out of range, an
 *   empty credential, a timeout that is not a positive integer, an empty or unknown format), an
 *   unknown option, or a TLS file
 *   that cannot be read or used
 * @example
 * ```ts
 * const md = new MarketDataMetrics();
 * const server = createMetricsServer({
 *   sources: [md],
 *   service: 'market-data',
 *   host: '0.0.0.0',
 *   auth: { bearerToken: readFileSync('/run/secrets/metrics_token', 'utf8').trim() },
 *   tls: { keyPath: '/run/secrets/metrics.key', certPath: '/run/secrets/metrics.pem' },
 * });
 * const { url } = await server.listen(); // https://0.0.0.0:8080
 * process.on('SIGTERM', () => void server.close());
 * ```
 */
export function createMetricsServer(options: MetricsServerOptions): MetricsServer {
  const resolved = resolveServerOptions(options);
  const { service, now, host, port, onError, auth, timeouts, maxConnections } = resolved;
  const startedAt = now();
  const authorized = auth === undefined ? undefined : authorizationCheck(auth);
  const tls = resolved.tls === undefined ? undefined : loadTls(resolved.tls);
  const runtime =
    resolved.runtimeMetrics && !resolved.sources.some((source) => source instanceof RuntimeMetrics)
      ? new RuntimeMetrics()
      : undefined;
  const exposed = runtime === undefined ? resolved.sources : [...resolved.sources, runtime];
  const writerOptions = Object.freeze({ selfMetrics: resolved.selfMetrics });
  // Colliding names throw here, at the call, whichever format is asked for first.
  exposedSources(exposed, writerOptions);
  const pulls = pullSteps(exposed);
  // The formats still offered: one whose writer cannot be built (e.g. OpenMetrics rejecting two
  // families whose OpenMetrics sample names clash) is dropped after reporting it once.
  const available: ExpositionFormat[] = [...resolved.formats];
  const bodies = new BodyPool();
  const channels = new Map<ExpositionFormat, FormatChannel>();
  const served: Record<ExpositionFormat, number> = {
    'prometheus-text': 0,
    'openmetrics-text': 0,
    'prometheus-protobuf': 0,
  };
  let gzipped = 0;
  let compressions = 0;
  const countCompression = (): void => {
    compressions++;
  };

  // A format's writer is built on its first request, so a format no scraper asks for costs nothing.
  function channelFor(format: ExpositionFormat): FormatChannel | undefined {
    const existing = channels.get(format);
    if (existing !== undefined) return existing;
    const factory = FORMAT_WRITERS[format];
    let writer: ExpositionWriter;
    try {
      if (factory === undefined) throw new Error(`no writer for the format "${format}"`);
      writer = factory(exposed, writerOptions);
    } catch (error) {
      const at = available.indexOf(format);
      if (at >= 0) available.splice(at, 1);
      onError(new Error(`metrics server: cannot serve ${format}; dropped from negotiation`, { cause: error }));
      return undefined;
    }
    // One render per burst of scrapes in this format; a failed render is reported once, however
    // many requests shared it.
    const scrapes = new ScrapeCoalescer<SharedRender>(async () => {
      try {
        // Aggregates of a cluster's workers fetch their snapshots first (nothing for other sources).
        if (pulls.length > 0) await Promise.all(pulls.map((pull) => pull()));
        // Render and copy in one synchronous step: the writer reuses its buffer (one copy per
        // collection, into a pooled buffer that every scrape sharing it then sends as is).
        const body = bodies.fill([writer.render()]);
        // Held by the render itself until the check phase: every request sharing it resumes in a
        // microtask before then and takes its own hold, so none can hand the buffer back early.
        setImmediate(body.hold());
        return new SharedRender(body, GZIP_LEVEL, countCompression);
      } catch (error) {
        onError(error);
        throw error;
      }
    });
    const channel = { writer, scrapes };
    channels.set(format, channel);
    return channel;
  }

  const pacer = new ResponsePacer();

  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    handle(request, response).catch(() => response.destroy());
  };
  const httpOptions: ServerOptions = httpTimeoutOptions(timeouts);
  const server: Server =
    tls === undefined
      ? createServer(httpOptions, listener)
      : // A silent TLS client never reaches HTTP, so the handshake gets the head's deadline.
        createHttpsServer({ ...httpOptions, ...tls, handshakeTimeout: timeouts.headersMs }, listener);
  server.maxConnections = maxConnections;
  let connections = 0;
  let timedOut = 0;
  let refused = 0;
  // node:http closes a connection over maxConnections itself; count it rather than lose it silently.
  server.on('drop', () => refused++);
  server.on('connection', (socket) => {
    connections++;
    socket.once('close', () => connections--);
  });
  applySocketTimeouts(server, timeouts, () => timedOut++);

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
    let channel: FormatChannel | undefined;
    do channel = channelFor(negotiateFormat(request.headers.accept, available));
    while (channel === undefined && available.length > 0);
    if (channel === undefined) return send(response, 500, TEXT_CONTENT_TYPE, 'metrics render failed\n');
    const { writer } = channel;
    const gzip = acceptsGzip(request.headers['accept-encoding']);
    let render: SharedRender;
    try {
      render = await channel.scrapes.get();
    } catch {
      return send(response, 500, TEXT_CONTENT_TYPE, 'metrics render failed\n');
    }
    let bytes: Buffer;
    let release: () => void;
    if (gzip) {
      // The compression holds the pooled body while it reads it; the gzip bytes are this render's own.
      try {
        bytes = await render.gzipped();
      } catch (error) {
        onError(error);
        return send(response, 500, TEXT_CONTENT_TYPE, 'metrics compression failed\n');
      }
      release = () => {};
    } else {
      // Held until the socket can no longer read the bytes: then the pool may reuse the buffer.
      release = render.body.hold();
      bytes = render.body.bytes;
    }
    response.once('close', () => {
      const socket = request.socket;
      if (response.writableFinished || socket.closed) release();
      else socket.once('close', release);
    });
    // One body per event-loop turn (see ResponsePacer); the client may have gone (or timed out)
    // while the render ran or while it waited its turn: nothing to write then.
    pacer.run(() => {
      if (response.destroyed || request.socket.destroyed) return release();
      try {
        // The body depends on both headers: a cache must not hand one scraper's format to another.
        response.setHeader('Vary', 'Accept, Accept-Encoding');
        if (gzip) response.setHeader('Content-Encoding', 'gzip');
        send(response, 200, writer.contentType, bytes, head);
        served[writer.format]++;
        if (gzip) gzipped++;
      } catch {
        response.destroy();
      }
    });
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
          const scheme = tls === undefined ? 'http' : 'https';
          resolve(Object.freeze({ host, port: bound, url: `${scheme}://${urlHost}:${bound}` }));
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
      if (closing === undefined) {
        runtime?.stop();
        closing = closeServer(server, listening);
      }
      return closing;
    },
    '~stats'(): MetricsServerStats {
      let collections = 0;
      let requests = 0;
      for (const { scrapes } of channels.values()) {
        collections += scrapes.stats.collections;
        requests += scrapes.stats.requests;
      }
      return {
        collections,
        scrapes: requests,
        connections,
        timedOut,
        refused,
        formats: { ...served },
        gzipped,
        compressions,
      };
    },
  };
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
