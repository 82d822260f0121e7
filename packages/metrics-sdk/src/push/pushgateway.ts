import { gzipSync } from 'node:zlib';
import { MetricsError, MetricsOptionError } from '../define/errors.js';
import {
  expectBoolean,
  expectKeys,
  expectNonEmptyString,
  expectObject,
  expectOneOf,
  expectPositiveInteger,
  expectSources,
  type OptionProblem,
  optionProblem,
} from '../define/option-checks.js';
import type { ExpositionWriter } from '../exposition/formats.js';
import { ProtobufWriter } from '../exposition/prometheus-protobuf.js';
import { PrometheusWriter } from '../exposition/prometheus-text.js';
import type { MetricSource } from '../exposition/sources.js';
import { authorizationHeader, checkAuth, type MetricsAuth } from '../server/auth.js';
import { groupingPath, groupingProblem } from './grouping-path.js';

// A client of the Prometheus Pushgateway, for batch jobs a scraper never catches alive (a backtest,
// a nightly reconciliation): their metrics are pushed to the gateway, which Prometheus scrapes.

/** Default of {@link PushgatewayOptions.timeoutMs}. */
export const DEFAULT_PUSH_TIMEOUT_MS = 10_000;

/** The formats a push may use. */
export type PushFormat = 'prometheus-text' | 'prometheus-protobuf';

/** Options of {@link PushgatewayClient}. */
export interface PushgatewayOptions {
  /** The Pushgateway's base URL, `http://` or `https://` (a path prefix is kept): `http://127.0.0.1:9091`. */
  readonly url: string;
  /** The `job` label of the group. */
  readonly job: string;
  /**
   * The other labels of the group, e.g. `{ run_id: '2026-12-04T10:00:00Z' }`: a push replaces or
   * adds to this group only, and the gateway adds these labels to every series it holds for it.
   * Values with a `/` or empty ones are sent in the gateway's base64 form.
   */
  readonly grouping?: Readonly<Record<string, string>>;
  /** Credentials for a gateway (or the proxy before it) that requires them: a bearer token or basic auth. */
  readonly auth?: MetricsAuth;
  /** How long one request may take, in ms. Default {@link DEFAULT_PUSH_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Gzip the body (`Content-Encoding: gzip`). Default `true`. */
  readonly gzip?: boolean;
  /**
   * The body's format: text 0.0.4 (default), or protobuf, which also carries native histograms, for
   * a gateway that stores them.
   */
  readonly format?: PushFormat;
  /** Push the SDK's self-metrics with the catalogs (folded records, dropped values). Default `true`. */
  readonly selfMetrics?: boolean;
}

/** A push the Pushgateway refused, or that did not reach it. */
export class PushgatewayError extends MetricsError {
  override name = 'PushgatewayError';
  /** The HTTP status, or `undefined` when no answer came (a network error, a timeout). */
  readonly status: number | undefined;

  /**
   * @param message - what failed, with the gateway's own answer when there was one
   * @param status - the HTTP status, when there was an answer
   * @param options - the underlying error, if any
   */
  constructor(message: string, status: number | undefined, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }
}

/**
 * Pushes catalogs to one group of a Prometheus Pushgateway, with the Pushgateway's semantics:
 * {@link push} (`PUT`) replaces every metric of the group, {@link pushAdd} (`POST`) replaces only
 * the metrics of the same names, {@link delete} (`DELETE`) removes the group. Scrape the gateway
 * with `honor_labels: true`, so the group's `job` and grouping labels are kept.
 *
 * Each push renders the catalogs then (running their collect hooks), gzips the body unless turned
 * off, and fails with a {@link PushgatewayError} that carries the status and the gateway's answer
 * (a 400 names the series it refused), or says that no answer came within `timeoutMs`.
 *
 * @example
 * ```ts
 * const gateway = new PushgatewayClient({
 *   url: process.env.PUSHGATEWAY_URL ?? 'http://127.0.0.1:9091',
 *   job: 'backtest',
 *   grouping: { run_id: runId },
 * });
 * await gateway.push([strategyMetrics]); // at each checkpoint, and at the end
 * ```
 */
export class PushgatewayClient {
  /** The group's URL. */
  readonly url: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #timeoutMs: number;
  readonly #gzip: boolean;
  readonly #format: PushFormat;
  readonly #selfMetrics: boolean;

  /**
   * @param options - the gateway, the group, and how to send
   * @throws MetricsOptionError naming the option: a URL that is not http(s), an empty job, a grouping
   *   label Prometheus would refuse (or `job`), wrong credentials' shape, a timeout that is not a
   *   positive integer, an unknown format or option
   */
  constructor(options: PushgatewayOptions) {
    const given = expectObject(options, 'options', optionError);
    expectKeys(
      given,
      '',
      ['url', 'job', 'grouping', 'auth', 'timeoutMs', 'gzip', 'format', 'selfMetrics'],
      optionError,
    );
    const base = gatewayUrl(given['url']);
    const job = expectNonEmptyString(given['job'], 'job', optionError);
    const grouping =
      given['grouping'] === undefined
        ? {}
        : (expectObject(given['grouping'], 'grouping', optionError) as Record<string, string>);
    const problem = groupingProblem(grouping);
    if (problem !== undefined) {
      const { label, reason } = problem;
      throw optionError(optionProblem(`grouping.${label}`, 'a label name and a string value', grouping[label], reason));
    }
    this.url = `${base}${groupingPath(job, grouping)}`;
    const headers: Record<string, string> = {};
    if (given['auth'] !== undefined)
      headers['authorization'] = authorizationHeader(checkAuth(given['auth'], optionError));
    this.#headers = headers;
    this.#timeoutMs =
      given['timeoutMs'] === undefined
        ? DEFAULT_PUSH_TIMEOUT_MS
        : expectPositiveInteger(given['timeoutMs'], 'timeoutMs', optionError);
    this.#gzip = given['gzip'] === undefined ? true : expectBoolean(given['gzip'], 'gzip', optionError);
    this.#format =
      given['format'] === undefined
        ? 'prometheus-text'
        : expectOneOf(given['format'], 'format', ['prometheus-text', 'prometheus-protobuf'], optionError);
    this.#selfMetrics =
      given['selfMetrics'] === undefined ? true : expectBoolean(given['selfMetrics'], 'selfMetrics', optionError);
  }

  /**
   * Replaces every metric of the group with these catalogs' (`PUT`).
   *
   * @param sources - the catalogs to push
   * @throws PushgatewayError when the gateway refuses the push or does not answer in time
   * @throws MetricsOptionError when `sources` is not an array of catalogs
   */
  push(sources: readonly MetricSource[]): Promise<void> {
    return this.#send('PUT', sources);
  }

  /**
   * Replaces the group's metrics that have the names of these catalogs' metrics, and keeps the
   * others (`POST`): for jobs that push parts of their metrics from several places.
   *
   * @param sources - the catalogs to push
   * @throws PushgatewayError when the gateway refuses the push or does not answer in time
   */
  pushAdd(sources: readonly MetricSource[]): Promise<void> {
    return this.#send('POST', sources);
  }

  /**
   * Removes the group from the gateway (`DELETE`), e.g. once a run's results are stored elsewhere.
   *
   * @throws PushgatewayError when the gateway refuses or does not answer in time
   */
  delete(): Promise<void> {
    return this.#send('DELETE', undefined);
  }

  async #send(method: 'PUT' | 'POST' | 'DELETE', sources: readonly MetricSource[] | undefined): Promise<void> {
    const headers: Record<string, string> = { ...this.#headers };
    let body: Uint8Array | undefined;
    if (sources !== undefined) {
      expectSources(sources, 'sources', optionError);
      const writer: ExpositionWriter =
        this.#format === 'prometheus-text'
          ? new PrometheusWriter(sources, { selfMetrics: this.#selfMetrics })
          : new ProtobufWriter(sources, { selfMetrics: this.#selfMetrics });
      // The writer reuses its buffer: compress or copy it before anything else renders.
      const rendered = writer.render();
      body = this.#gzip ? gzipSync(rendered, { level: 1 }) : Uint8Array.from(rendered);
      headers['content-type'] = writer.contentType;
      if (this.#gzip) headers['content-encoding'] = 'gzip';
    }
    let response: Response;
    try {
      response = await fetch(this.url, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const why = timedOut ? `no answer within ${this.#timeoutMs} ms` : describe(error);
      throw new PushgatewayError(`Pushgateway ${method} ${this.url}: ${why}`, undefined, { cause: error });
    }
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    const answer = (await response.text().catch(() => '')).trim().slice(0, 500);
    throw new PushgatewayError(
      `Pushgateway ${method} ${this.url}: ${response.status} ${response.statusText}${answer === '' ? '' : `: ${answer}`}`,
      response.status,
    );
  }
}

// The base URL, checked: http(s), no query or fragment, no trailing slash.
function gatewayUrl(value: unknown): string {
  const text = expectNonEmptyString(value, 'url', optionError);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw optionError(optionProblem('url', 'an http:// or https:// URL', value, 'not a URL'));
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw optionError(optionProblem('url', 'an http:// or https:// URL without a query', value));
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function optionError(problem: OptionProblem): MetricsOptionError {
  return new MetricsOptionError(problem.option, problem.expected, `PushgatewayClient: ${problem.message}`);
}
