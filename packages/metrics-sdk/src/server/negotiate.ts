import type { ExpositionFormat } from '../exposition/formats.js';

// Content negotiation of `/metrics`, as client_golang's promhttp does it (expfmt.Negotiate over the
// `Accept` header, gzip from `Accept-Encoding`), per RFC 9110 §12.5.1 and §12.5.3:
// - each media range carries a q-value (default 1); a range with q=0 excludes what it matches;
// - a format takes the q of the most specific range that matches it (type/subtype with parameters
//   before type/subtype, before type/*, before */*), so `application/openmetrics-text;q=0` beats
//   `application/*`;
// - the highest q wins; a tie goes to the server's preference, protobuf > OpenMetrics > text;
// - a malformed range (no `/`, an empty type, a q that is not a qvalue) is ignored, not fatal;
// - with no `Accept`, or nothing acceptable, the answer is text 0.0.4, as client_golang's.
// Wildcards never pick protobuf: like client_golang, it needs `proto=io.prometheus.client.MetricFamily`
// and `encoding=delimited`. And `*/*` stands for the default, text 0.0.4 (client_golang answers it so,
// and `fetch`, curl and browsers send it): a binary body for `curl /metrics` would help no one.

/** The server's order of preference, best first: what breaks a tie of q-values. */
export const FORMAT_PREFERENCE: readonly ExpositionFormat[] = Object.freeze([
  'prometheus-protobuf',
  'openmetrics-text',
  'prometheus-text',
]);

/** The format of a request that asks for nothing the server serves. */
export const DEFAULT_FORMAT: ExpositionFormat = 'prometheus-text';

/** One media range of an `Accept` header. @internal */
export interface MediaRange {
  /** Lower case, `*` for a wildcard. */
  readonly type: string;
  readonly subtype: string;
  /** Parameters before `q`, names lower case, values unquoted (case kept). */
  readonly params: Readonly<Record<string, string>>;
  /** The q-value, from 0 to 1. */
  readonly q: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Splits a header on `separator`, outside quoted strings.
 *
 * @returns the trimmed pieces, empty ones included
 */
function splitOutsideQuotes(value: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted) i++;
    else if (c === separator && !quoted) {
      parts.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(value.slice(start).trim());
  return parts;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  return value;
}

/**
 * Parses the parameters of one element (`;name=value` pairs) and its q-value.
 *
 * @returns the parameters before `q` and the q-value, or `undefined` when the element is malformed
 */
function parseParams(parts: readonly string[]): { params: Record<string, string>; q: number } | undefined {
  const params: Record<string, string> = {};
  let q = 1;
  for (const part of parts) {
    if (part === '') continue; // `text/plain;` or `;;`: nothing there
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = unquote(part.slice(eq + 1).trim());
    if (!TOKEN.test(name)) return undefined;
    if (name === 'q') {
      if (!QVALUE.test(value)) return undefined;
      q = Number(value);
      break; // what follows q are accept-extensions, not media type parameters
    }
    params[name] = value;
  }
  return { params, q };
}

/**
 * Parses an `Accept` header into its media ranges, in order, skipping malformed ones.
 *
 * @param header - the header's value (several headers joined with `,`), or `undefined`
 * @returns the well-formed media ranges
 * @internal
 */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (header === undefined) return [];
  const ranges: MediaRange[] = [];
  for (const element of splitOutsideQuotes(header, ',')) {
    if (element === '') continue;
    const [mediaType = '', ...rest] = splitOutsideQuotes(element, ';');
    const slash = mediaType.indexOf('/');
    if (slash <= 0) continue;
    const type = mediaType.slice(0, slash).trim().toLowerCase();
    const subtype = mediaType
      .slice(slash + 1)
      .trim()
      .toLowerCase();
    if (!TOKEN.test(type) || !TOKEN.test(subtype) || (type === '*' && subtype !== '*')) continue;
    const parsed = parseParams(rest);
    if (parsed === undefined) continue;
    ranges.push({ type, subtype, params: parsed.params, q: parsed.q });
  }
  return ranges;
}

const isUtf8 = (charset: string | undefined): boolean => charset === undefined || /^utf-?8$/i.test(charset);

/**
 * How specifically `range` names `format`: 0 when it does not match it, else higher for a more
 * specific range (RFC 9110 §12.5.1: the most specific matching range gives the q-value).
 */
function specificity(range: MediaRange, format: ExpositionFormat): number {
  const { type, subtype, params } = range;
  const named = Object.keys(params).length;
  switch (format) {
    case 'prometheus-protobuf':
      // Only by name, with both parameters, as client_golang requires (expfmt.Negotiate).
      if (type !== 'application' || subtype !== 'vnd.google.protobuf') return 0;
      return params['proto'] === 'io.prometheus.client.MetricFamily' && params['encoding'] === 'delimited'
        ? 3 + named
        : 0;
    case 'openmetrics-text':
      if (type === 'application' && subtype === 'openmetrics-text') {
        const version = params['version'];
        // 1.0.0 is the only version written; 0.0.1 (Prometheus' second choice) is not served.
        return (version === undefined || version === '1.0.0') && isUtf8(params['charset']) ? 3 + named : 0;
      }
      return type === 'application' && subtype === '*' ? 2 : 0;
    case 'prometheus-text':
      if (type === 'text' && subtype === 'plain') {
        const version = params['version'];
        return (version === undefined || version === '0.0.4') && isUtf8(params['charset']) ? 3 + named : 0;
      }
      if (type === 'text' && subtype === '*') return 2;
      return type === '*' ? 1 : 0;
  }
}

/**
 * Picks the format of a `/metrics` response from the request's `Accept` header.
 *
 * @param accept - the `Accept` header, or `undefined` when the request has none
 * @param served - the formats the server serves
 * @returns the served format with the highest q-value, ties broken by the server's preference
 *   (protobuf, OpenMetrics, text); text 0.0.4 when nothing served is acceptable (or, when text is not
 *   served, the most preferred format served)
 * @example
 * ```ts
 * negotiateFormat(request.headers.accept, ['openmetrics-text', 'prometheus-text']); // 'openmetrics-text' for Prometheus
 * ```
 */
export function negotiateFormat(accept: string | undefined, served: readonly ExpositionFormat[]): ExpositionFormat {
  const ranges = parseAccept(accept);
  let best: ExpositionFormat | undefined;
  let bestQ = 0;
  for (const format of FORMAT_PREFERENCE) {
    if (!served.includes(format)) continue;
    let q = 0;
    let most = 0;
    for (const range of ranges) {
      const s = specificity(range, format);
      if (s > most || (s === most && s > 0 && range.q > q)) {
        most = s;
        q = range.q;
      }
    }
    // Strictly greater: an equal q keeps the earlier (preferred) format.
    if (q > bestQ) {
      best = format;
      bestQ = q;
    }
  }
  return best ?? (served.includes(DEFAULT_FORMAT) ? DEFAULT_FORMAT : (served[0] ?? DEFAULT_FORMAT));
}

/**
 * Whether a response may be gzipped: the `Accept-Encoding` header offers `gzip` (or `x-gzip`) with
 * q > 0, or names neither and offers `*` with q > 0. Like client_golang, gzip is used whenever it is
 * acceptable, whatever q `identity` gets: it is what scrapers ask for, and it costs the thread pool,
 * not the event loop.
 *
 * @param acceptEncoding - the `Accept-Encoding` header, or `undefined`
 * @returns `true` to send `Content-Encoding: gzip`
 */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  let gzip: number | undefined;
  let any: number | undefined;
  for (const element of splitOutsideQuotes(acceptEncoding, ',')) {
    if (element === '') continue;
    const [coding = '', ...rest] = splitOutsideQuotes(element, ';');
    const name = coding.toLowerCase();
    if (!TOKEN.test(name)) continue;
    const parsed = parseParams(rest);
    if (parsed === undefined) continue;
    if (name === 'gzip' || name === 'x-gzip') gzip = Math.max(gzip ?? 0, parsed.q);
    else if (name === '*') any = Math.max(any ?? 0, parsed.q);
  }
  if (gzip !== undefined) return gzip > 0;
  return any !== undefined && any > 0;
}
