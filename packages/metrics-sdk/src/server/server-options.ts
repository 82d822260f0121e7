import { SERVICE_PORTS } from '../catalogs/service-ports.js';
import {
  expectArray,
  expectBoolean,
  expectFunction,
  expectKeys,
  expectNonEmptyString,
  expectObject,
  expectOneOf,
  expectPort,
  expectPositiveInteger,
  expectSources,
  optionProblem,
} from '../define/option-checks.js';
import type { ExpositionFormat } from '../exposition/formats.js';
import type { MetricSource } from '../exposition/sources.js';
import { checkAuth, type MetricsAuth } from './auth.js';
import { serverOptionError } from './config-error.js';
import { servableFormats } from './format-writers.js';
import type { MetricsServerOptions } from './metrics-server.js';
import { type ResolvedTimeouts, resolveTimeouts } from './timeouts.js';
import { checkTls, type MetricsServerTls } from './tls.js';

/** Port used for a service not in {@link SERVICE_PORTS}: the OpenTelemetry Prometheus exporter's default. */
export const DEFAULT_METRICS_PORT = 9464;

/** Default of {@link MetricsServerOptions.maxConnections}. */
export const DEFAULT_MAX_CONNECTIONS = 256;

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

/** {@link MetricsServerOptions} checked, with every default filled in. @internal */
export interface ResolvedServerOptions {
  readonly sources: readonly MetricSource[];
  readonly service: string;
  readonly port: number;
  readonly host: string;
  readonly runtimeMetrics: boolean;
  readonly selfMetrics: boolean;
  /** The formats served, in the server's order of preference; never empty. */
  readonly formats: readonly ExpositionFormat[];
  readonly auth: MetricsAuth | undefined;
  readonly tls: MetricsServerTls | undefined;
  readonly timeouts: ResolvedTimeouts;
  readonly maxConnections: number;
  readonly now: () => number;
  readonly onError: (error: unknown) => void;
}

// A record over every option, so adding one to MetricsServerOptions without listing it here fails to
// compile.
const OPTION_KEYS = Object.keys({
  sources: true,
  service: true,
  port: true,
  host: true,
  runtimeMetrics: true,
  selfMetrics: true,
  formats: true,
  auth: true,
  tls: true,
  timeouts: true,
  maxConnections: true,
  now: true,
  onError: true,
} satisfies Record<keyof MetricsServerOptions, true>);

/**
 * Checks every option of `createMetricsServer` and fills in the defaults, so a wrong type or value
 * fails at the call, naming the option, instead of later in a request or a timer. TLS files are
 * read later, by `loadTls`.
 *
 * @param options - what the caller passed (untyped JavaScript may pass anything)
 * @returns the options, frozen
 * @throws MetricsServerConfigError naming the option, what it accepts and what it got
 * @internal
 */
export function resolveServerOptions(options: unknown): ResolvedServerOptions {
  const given = expectObject(options, 'options', serverOptionError);
  expectKeys(given, '', OPTION_KEYS, serverOptionError);
  const optional = <T>(key: string, check: (value: unknown, path: string) => T, fallback: T): T =>
    given[key] === undefined ? fallback : check(given[key], key);
  const boolean = (value: unknown, path: string) => expectBoolean(value, path, serverOptionError);
  const sources = Object.freeze([...expectSources(given['sources'], 'sources', serverOptionError)]);
  const service = expectNonEmptyString(given['service'], 'service', serverOptionError);
  return Object.freeze({
    sources,
    service,
    port: optional('port', (v, p) => expectPort(v, p, serverOptionError), defaultMetricsPort(service)),
    host: optional('host', (v, p) => expectNonEmptyString(v, p, serverOptionError), '127.0.0.1'),
    runtimeMetrics: optional('runtimeMetrics', boolean, true),
    selfMetrics: optional('selfMetrics', boolean, true),
    formats: optional('formats', checkFormats, Object.freeze(servableFormats())),
    auth: optional<MetricsAuth | undefined>('auth', (v) => checkAuth(v), undefined),
    tls: optional<MetricsServerTls | undefined>('tls', checkTls, undefined),
    timeouts: resolveTimeouts(given['timeouts']),
    maxConnections: optional(
      'maxConnections',
      (v, p) => expectPositiveInteger(v, p, serverOptionError),
      DEFAULT_MAX_CONNECTIONS,
    ),
    now: optional('now', (v, p) => expectFunction<() => number>(v, p, serverOptionError), Date.now),
    onError: optional('onError', (v, p) => expectFunction<(error: unknown) => void>(v, p, serverOptionError), warn),
  });
}

/**
 * Checks `formats`: a non-empty array of distinct formats the server can serve.
 *
 * @returns the formats in the server's order of preference (the order given does not matter:
 *   q-values choose, and the preference only breaks ties)
 */
function checkFormats(value: unknown, path: string): readonly ExpositionFormat[] {
  const servable = servableFormats();
  const given = expectArray(value, path, serverOptionError);
  if (given.length === 0)
    throw serverOptionError(optionProblem(path, 'a non-empty array', value, 'expected at least one format'));
  const chosen = new Set<ExpositionFormat>();
  given.forEach((format, i) => {
    const checked = expectOneOf(format, `${path}[${i}]`, servable, serverOptionError);
    if (chosen.has(checked))
      throw serverOptionError(optionProblem(`${path}[${i}]`, 'a format listed once', format, 'listed twice'));
    chosen.add(checked);
  });
  return Object.freeze(servable.filter((format) => chosen.has(format)));
}

function warn(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(`metrics server: ${message}`, 'MetricsServerWarning');
}
