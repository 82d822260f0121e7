// Typed reads of a real Prometheus' HTTP API for tests that scrape our exposition: wait for the first
// scrape, run a PromQL query, wait until a query or an exemplar query answers. Each helper takes the
// `api` function rather than a server, so a Prometheus started by `startPrometheus` and one started by
// `startServer` with a hand-written config use the same helpers.

import { pollUntil } from './wait.js';

/**
 * GETs a Prometheus HTTP API path (e.g. `/api/v1/targets`) and returns its `data`; throws on a reply
 * whose status is not `success`. `PrometheusServer.api` is one; {@link prometheusApi} makes one.
 */
export type PrometheusApi = <T>(path: string) => Promise<T>;

/**
 * The API function of a Prometheus listening at `baseUrl`, for one started with `startServer`
 * (`startPrometheus` returns it as `api`).
 *
 * @param baseUrl - e.g. `http://127.0.0.1:9090`
 * @param timeoutMs - how long one request may take
 * @returns the API function
 * @example
 * ```ts
 * const prometheus = await startServer('prometheus', (port, dir) => [...]);
 * const [target] = await scrapedTargets(prometheusApi(prometheus.url));
 * ```
 */
export function prometheusApi(baseUrl: string, timeoutMs = 5_000): PrometheusApi {
  return async <T>(path: string): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    const json = (await response.json()) as { status: string; data: T; error?: string };
    if (json.status !== 'success') throw new Error(`${path}: ${json.error ?? response.status}`);
    return json.data;
  };
}

/** One scrape target as `/api/v1/targets` lists it under `activeTargets`. */
export interface ActiveTarget {
  /** Labels before relabelling (`__address__`, `__scheme__`, `job`…). */
  readonly discoveredLabels: Readonly<Record<string, string>>;
  /** Labels the target's series get (`instance`, `job`). */
  readonly labels: Readonly<Record<string, string>>;
  /** The job name. */
  readonly scrapePool: string;
  /** The URL it scrapes, e.g. `http://127.0.0.1:1234/metrics`. */
  readonly scrapeUrl: string;
  /** The error of the last scrape; `''` when it succeeded. */
  readonly lastError: string;
  /** RFC 3339 time of the last scrape. */
  readonly lastScrape: string;
  /** `unknown` until the first scrape has finished. */
  readonly health: 'up' | 'down' | 'unknown';
}

/** One series of an instant query's vector, as `/api/v1/query` answers it. */
export interface VectorSample {
  /** Its labels, `__name__` included (absent when a function dropped it). */
  readonly metric: Readonly<Record<string, string>>;
  /**
   * Evaluation time in seconds and the value as Prometheus spells it (`'1'`, `'NaN'`, `'-Inf'`).
   * A native histogram sample carries a `histogram` field instead, which this type leaves out.
   */
  readonly value: [number, string];
}

/** One series with its exemplars, as `/api/v1/query_exemplars` answers it. */
export interface ExemplarSeries {
  readonly seriesLabels: Readonly<Record<string, string>>;
  readonly exemplars: readonly {
    readonly labels: Readonly<Record<string, string>>;
    /** The exemplar's value as Prometheus spells it. */
    readonly value: string;
    /** Seconds since the epoch. */
    readonly timestamp: number;
  }[];
}

/** How long to poll, and for how much; see {@link scrapedTargets} and {@link pollQuery}. */
export interface PollOptions {
  /** The least number of targets or series that ends the wait; default 1. */
  readonly count?: number;
  /** Overall limit; default 20 s. */
  readonly timeoutMs?: number;
  /** Pause between tries; default 100 ms. */
  readonly intervalMs?: number;
}

/**
 * Polls `/api/v1/targets` until at least `count` active targets have been scraped (health other than
 * `unknown`), so their health and last error say how a scrape went.
 *
 * @param api - the Prometheus API function
 * @param options - the number of targets (default 1) and the time to wait for them
 * @returns the scraped targets, in the order Prometheus lists them
 * @throws Error naming the wait when fewer were scraped in time
 * @example
 * ```ts
 * const [target] = await scrapedTargets(prometheus.api, { timeoutMs: 15_000 });
 * expect(target.lastError).toBe('');
 * ```
 */
export function scrapedTargets(api: PrometheusApi, options: PollOptions = {}): Promise<ActiveTarget[]> {
  const count = options.count ?? 1;
  return pollUntil(
    async () => {
      const { activeTargets } = await api<{ activeTargets: ActiveTarget[] }>('/api/v1/targets?state=active');
      const scraped = activeTargets.filter((target) => target.health !== 'unknown');
      return scraped.length >= count ? scraped : undefined;
    },
    count === 1 ? 'the first scrape' : `the first scrape of ${count} targets`,
    options.timeoutMs,
    options.intervalMs,
  );
}

/**
 * Runs one instant query, now.
 *
 * @param api - the Prometheus API function
 * @param expr - PromQL (encoded here)
 * @returns its vector, empty when nothing matched
 * @throws Error when the expression is not a vector (a scalar or a string)
 */
export async function instantQuery(api: PrometheusApi, expr: string): Promise<VectorSample[]> {
  const data = await api<{ resultType: string; result: VectorSample[] }>(
    `/api/v1/query?query=${encodeURIComponent(expr)}`,
  );
  if (data.resultType !== 'vector') throw new Error(`${expr}: a ${data.resultType}, not a vector`);
  return data.result;
}

/**
 * Runs an instant query until its vector holds at least `count` series: the samples of a scrape are
 * queryable a moment after the target reports it.
 *
 * @param api - the Prometheus API function
 * @param expr - PromQL (encoded here)
 * @param options - the number of series (default 1) and the time to wait for them
 * @returns the first vector with enough series
 * @throws Error naming the expression when none came in time
 * @example
 * ```ts
 * const [sample] = await pollQuery(prometheus.api, 'engine_active_strategies', { timeoutMs: 5_000 });
 * ```
 */
export function pollQuery(api: PrometheusApi, expr: string, options: PollOptions = {}): Promise<VectorSample[]> {
  const count = options.count ?? 1;
  return pollUntil(
    async () => {
      const vector = await instantQuery(api, expr);
      return vector.length >= count ? vector : undefined;
    },
    expr,
    options.timeoutMs,
    options.intervalMs,
  );
}

/**
 * {@link pollQuery} for one number: the value of the vector's first series.
 *
 * @param api - the Prometheus API function
 * @param expr - PromQL (encoded here), usually one series, e.g. `histogram_count(x)`
 * @param options - the time to wait
 * @returns the value as a number (`NaN`, `±Infinity` included)
 * @example
 * ```ts
 * expect(await pollValue(prometheus.api, 'histogram_count(latency_ms)')).toBe(2_000);
 * ```
 */
export async function pollValue(
  api: PrometheusApi,
  expr: string,
  options: Omit<PollOptions, 'count'> = {},
): Promise<number> {
  const [first] = await pollQuery(api, expr, options);
  return sampleNumber(first?.value[1] ?? 'NaN');
}

// Prometheus spells infinities `+Inf` and `-Inf`, which Number() reads as NaN.
function sampleNumber(value: string): number {
  if (value === '+Inf') return Number.POSITIVE_INFINITY;
  if (value === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(value);
}

/**
 * Queries `/api/v1/query_exemplars` over the last hour (and a minute ahead, for clock skew) until some
 * series has exemplars.
 *
 * @param api - the Prometheus API function
 * @param expr - PromQL selecting the series (encoded here)
 * @param options - the time to wait
 * @returns the series with their exemplars
 * @throws Error naming the expression when none came in time
 */
export function pollExemplars(
  api: PrometheusApi,
  expr: string,
  options: Omit<PollOptions, 'count'> = {},
): Promise<ExemplarSeries[]> {
  return pollUntil(
    async () => {
      const end = Date.now() / 1000 + 60;
      const series = await api<ExemplarSeries[]>(
        `/api/v1/query_exemplars?query=${encodeURIComponent(expr)}&start=${end - 3600}&end=${end}`,
      );
      return series.length > 0 ? series : undefined;
    },
    `exemplars of ${expr}`,
    options.timeoutMs,
    options.intervalMs,
  );
}
