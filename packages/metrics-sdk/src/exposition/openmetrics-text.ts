import { type DefinitionIssue, MetricDefinitionError } from '../define/errors.js';
import type { ReaderSource, SeriesReader } from '../storage/series-reader.js';
import { ByteWriter, formatNumber } from './byte-writer.js';
import { escapeOpenMetricsHelp } from './escape.js';
import { CONTENT_TYPES, type ExpositionWriter } from './formats.js';
import { writeOpenMetricsExemplar } from './openmetrics-exemplar.js';
import { renderLabels } from './series-labels.js';
import { type ExpositionWriterOptions, type MetricSource, writerSources } from './sources.js';

// OpenMetrics 1.0.0 text (https://prometheus.io/docs/specs/om/open_metrics_spec/), written the way
// prometheus-text.ts writes 0.0.4: family metadata rendered once, each series' line prefixes
// rendered once when the series is first seen, then a scrape copies bytes and formats numbers into
// one reused buffer. What differs from 0.0.4, each per a section of the spec:
// - metadata is `# TYPE`, `# UNIT`, `# HELP`, in that order ("MetricFamily metadata"), and names the
//   MetricFamily: a counter's name without `_total`, its samples `<family>_total` ("Counter");
// - counters and histograms carry a `<family>_created` sample, the series' start time in seconds;
// - HELP escapes `"` as well as `\` and LF (it is an `escaped-string`, like a label value);
// - `le` values use the canonical number form ("Considerations: Canonical Numbers");
// - the body ends with `# EOF\n`.
//
// Findings against Debian's strict parser (python3-prometheus-client 0.16,
// prometheus_client.openmetrics.parser), which the tests run:
// - A gauge named `…_total` (`strategy_pnl_total`) parses as is: `# TYPE strategy_pnl_total gauge`
//   with samples `strategy_pnl_total{…}`. The parser applies its counter-like checks (no NaN, no
//   negative) by the sample's suffix after the family name, which is empty for a gauge, so a negative
//   or NaN P&L passes too. The spec only says exposers SHOULD avoid such names ("Suffixes"), and the
//   name is a kept wire name, so it is written unchanged. A UNIT line would be rejected ("Unit does
//   not match metric name"): the name does not end in `_usd`, so none is written.
// - NaN and ±Inf are accepted on a gauge; NaN on a `_total`, `_bucket`, `_count` or `_sum` sample is
//   rejected ("Counter-like samples cannot be NaN"), and a negative value on all of those but `_sum`.
//   Storage drops NaN and negative counter increments and histogram samples, so neither can occur.
// - `le` must spell +Inf exactly `+Inf` (`inf` is rejected); other values are accepted in any float
//   form, so the canonical form is for consumers that compare `le` as a string.
// - The parser reads an integer-looking value with int() before float(), so `-0` reads back as 0:
//   a negative zero is written `-0.0`, which reads back as -0.0 (and means the same to Go's parser).

/** Content-Type of OpenMetrics 1.0.0 text. */
export const OPENMETRICS_CONTENT_TYPE = CONTENT_TYPES['openmetrics-text'];

const NEWLINE = 0x0a;
const EOF = Buffer.from('# EOF\n');
const NEGATIVE_ZERO = Buffer.from('-0.0');

// Spellings of each declared unit (catalog units are UCUM-like: `ms`, `s`, `usd`, `1`). The spec
// requires the UNIT value to be the suffix of the family name after an underscore ("Unit"), so the
// first spelling the name ends with is written, and none when it ends with none of them. `1` (a
// dimensionless ratio) gets no UNIT line at all.
const UNIT_SPELLINGS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  ms: ['ms', 'milliseconds'],
  s: ['seconds', 's'],
  usd: ['usd'],
  '1': [],
});

/**
 * The MetricFamily name OpenMetrics uses for a metric: a counter's wire name without its `_total`
 * (the sample adds it back), any other kind's wire name unchanged.
 *
 * @param reader - the family
 * @returns the family name of its metadata lines
 * @internal
 */
export function openMetricsFamilyName(reader: Pick<SeriesReader, 'kind' | 'name'>): string {
  const { kind, name } = reader;
  return kind === 'counter' && name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
}

/**
 * The UNIT of a family, or `''` when none is written: only a known unit whose spelling ends the
 * family name (OpenMetrics 1.0, "Unit").
 *
 * @param family - the family name ({@link openMetricsFamilyName})
 * @param unit - the declared unit
 * @returns the unit as the name spells it, or `''`
 * @internal
 */
export function openMetricsUnit(family: string, unit: string): string {
  const spellings = Object.hasOwn(UNIT_SPELLINGS, unit) ? (UNIT_SPELLINGS[unit] as readonly string[]) : [];
  return spellings.find((spelling) => family.endsWith(`_${spelling}`)) ?? '';
}

/**
 * Spells a number in the canonical form OpenMetrics asks for in `le` (and `quantile`) label values:
 * Go's `%g` (shortest round-trip digits, exponent form when the exponent is < -4 or ≥ 6, at least two
 * exponent digits) with `.0` appended when there is neither a point nor an exponent; `+Inf` for
 * positive infinity. E.g. `0.0 0.001 1.0 10.0 100000.0 1e+06 1e-05 2.5e-07`.
 *
 * @param value - a bucket bound
 * @returns its canonical spelling
 * @internal
 */
export function canonicalNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest digits that round-trip, like Go's -1 precision.
  const [mantissa = '', exponent = ''] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exp = Number(exponent);
  const sign = value < 0 ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const abs = Math.abs(exp);
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${fraction}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const fraction = digits.slice(exp + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}

/** Seconds since the epoch of a start time in ms, as the `_created` sample writes it. */
function createdSeconds(ms: number): string {
  return formatNumber(ms / 1000);
}

// Bytes rendered once per family, and once per series when the series is first seen (append-only,
// parallel to reader.series), as in prometheus-text.ts: a counter or gauge line is one prefix copy,
// a number and a newline; a `_created` line is one copy of a prebuilt line.
class FamilyBytes {
  /** `# TYPE`, `# UNIT` (when known), `# HELP` lines. */
  readonly header: Buffer;
  /** Counter: `family_total{labels} `. Gauge: `name{labels} `. Histogram: `family_bucket{labels`. */
  readonly prefixes: Buffer[] = [];
  /** Histogram only: `labels} `, which closes the `_count` and `_sum` lines (a view into the prefix's memory). */
  readonly closes: Buffer[] = [];
  /**
   * Counter and histogram: the whole `family_created{labels} <seconds>\n` line, rebuilt only when the
   * series' start time differs from {@link createdMs} (a new series, or one reset and recreated).
   */
  readonly created: Buffer[] = [];
  /** The start time (ms) each {@link created} line was rendered from. */
  readonly createdMs: number[] = [];
  /** `family_created{` (or `family_created ` unlabelled): the start of every `_created` line. */
  readonly createdOpen: string;
  /** `family_sum{` / `family_count{`, or `family_sum ` / `family_count ` when unlabelled. */
  readonly sumOpen: Buffer;
  readonly countOpen: Buffer;
  /** Histogram: `,le="b"} ` per bucket (no comma when unlabelled), canonical numbers, `+Inf` last. */
  readonly le: Buffer[];
  readonly labelled: boolean;
  readonly hasCreated: boolean;
  /** Per series, the label set without braces (kept to rebuild a `_created` line). */
  readonly labels: string[] = [];
  /** The reader's generation the prefixes were built for. */
  generation = 0;

  constructor(reader: SeriesReader) {
    const family = openMetricsFamilyName(reader);
    this.labelled = reader.labelNames.length > 0;
    this.hasCreated = reader.kind !== 'gauge';
    const unit = openMetricsUnit(family, reader.unit);
    // An empty HELP is the same as none (spec, "MetricFamily metadata"); catalogs require one anyway.
    this.header = Buffer.from(
      `# TYPE ${family} ${reader.kind}\n` +
        (unit === '' ? '' : `# UNIT ${family} ${unit}\n`) +
        (reader.help === '' ? '' : `# HELP ${family} ${escapeOpenMetricsHelp(reader.help)}\n`),
    );
    const open = this.labelled ? '{' : ' ';
    this.sumOpen = Buffer.from(`${family}_sum${open}`);
    this.countOpen = Buffer.from(`${family}_count${open}`);
    this.createdOpen = `${family}_created${open}`;
    const comma = this.labelled ? ',' : '';
    this.le =
      reader.kind === 'histogram'
        ? [...Array.from(reader.bounds, canonicalNumber), '+Inf'].map((b) => Buffer.from(`${comma}le="${b}"} `))
        : [];
  }

  /** Renders the prefixes of every series created since the last scrape. */
  catchUp(reader: SeriesReader): void {
    const { series, kind } = reader;
    // A removal reorders `series`: rebuild from scratch (removals are rare; appends are the rule).
    if (this.generation !== reader.generation) {
      this.generation = reader.generation;
      this.prefixes.length = 0;
      this.closes.length = 0;
      this.created.length = 0;
      this.createdMs.length = 0;
      this.labels.length = 0;
    }
    const family = openMetricsFamilyName(reader);
    while (this.prefixes.length < series.length) {
      const offset = series[this.prefixes.length] as number;
      const labels = renderLabels(reader, offset);
      this.labels.push(labels);
      if (this.hasCreated) {
        this.created.push(this.#createdLine(labels, reader.startTimes[offset] as number));
        this.createdMs.push(reader.startTimes[offset] as number);
      }
      if (kind !== 'histogram') {
        const name = kind === 'counter' ? `${family}_total` : family;
        this.prefixes.push(Buffer.from(this.labelled ? `${name}{${labels}} ` : `${name} `));
        continue;
      }
      const open = `${family}_bucket{`;
      const line = Buffer.from(`${open}${labels}} `);
      this.prefixes.push(line.subarray(0, line.length - 2));
      this.closes.push(line.subarray(Buffer.byteLength(open)));
    }
  }

  /**
   * The `_created` line of series `i`, re-rendered when its start time changed since it was built.
   * A warm scrape compares one number and allocates nothing.
   */
  createdLine(i: number, startMs: number): Buffer {
    if (this.createdMs[i] !== startMs) {
      this.created[i] = this.#createdLine(this.labels[i] as string, startMs);
      this.createdMs[i] = startMs;
    }
    return this.created[i] as Buffer;
  }

  #createdLine(labels: string, startMs: number): Buffer {
    const close = this.labelled ? `${labels}} ` : '';
    return Buffer.from(`${this.createdOpen}${close}${createdSeconds(startMs)}\n`);
  }
}

/**
 * The sample names of a family in OpenMetrics text, its family name first: a counter `x_total` is
 * `x`, `x_total`, `x_created`; a histogram `h` is `h`, `h_bucket`, `h_count`, `h_sum`, `h_created`.
 */
function sampleNames(reader: SeriesReader): string[] {
  const family = openMetricsFamilyName(reader);
  if (reader.kind === 'counter') return [family, `${family}_total`, `${family}_created`];
  if (reader.kind === 'histogram') return [family, ...['_bucket', '_count', '_sum', '_created'].map((s) => family + s)];
  return [family];
}

/**
 * Rejects families whose OpenMetrics names clash (OpenMetrics 1.0, "Suffixes": a family name MUST
 * NOT clash with another family's sample names), beyond the 0.0.4 collisions `exposedSources`
 * already rejects: e.g. a gauge `x_created` beside a counter `x_total`, or a counter `x` beside a
 * counter `x_total` (both the family `x`).
 */
function checkOpenMetricsNames(sources: readonly ReaderSource[]): void {
  const owner = new Map<string, string>();
  const issues: DefinitionIssue[] = [];
  for (const source of sources) {
    for (const family of source['~families']) {
      const reader = family['~reader'];
      for (const name of sampleNames(reader)) {
        const other = owner.get(name);
        if (other === undefined) owner.set(name, reader.name);
        else issues.push({ path: reader.name, message: `OpenMetrics name "${name}" is also used by "${other}"` });
      }
    }
  }
  if (issues.length > 0) throw new MetricDefinitionError(issues);
}

/** Options of an {@link OpenMetricsWriter}. */
export type OpenMetricsWriterOptions = ExpositionWriterOptions;

/**
 * Renders catalogs in OpenMetrics 1.0.0 text, synchronously, into one reused buffer: the format
 * Prometheus asks for first (`application/openmetrics-text; version=1.0.0`). Counters and histograms
 * carry their `_created` sample (the series' start time), known units a `# UNIT` line, metrics that
 * declare exemplars the latest exemplar on each `_total` and `_bucket` sample, and the body ends
 * with `# EOF`. Like `PrometheusWriter`, series names and label sets are rendered to bytes
 * once, when first seen; a render then copies bytes and formats numbers.
 *
 * @example
 * ```ts
 * const writer = new OpenMetricsWriter([md, gw]);
 * response.setHeader('content-type', writer.contentType);
 * response.end(writer.render()); // Buffer view, valid until the next render
 * ```
 */
export class OpenMetricsWriter implements ExpositionWriter {
  readonly format = 'openmetrics-text' as const;
  readonly contentType = OPENMETRICS_CONTENT_TYPE;
  readonly #sources: readonly MetricSource[];
  /** The sources plus the self-metrics: what a render writes. */
  readonly #rendered: readonly ReaderSource[];
  readonly #out = new ByteWriter();
  readonly #bytes = new WeakMap<SeriesReader, FamilyBytes>();
  #lastSize = 0;

  /**
   * @param sources - the catalogs to expose; their metric names must not collide
   * @param options - whether to append the self-metrics
   * @throws MetricsOptionError naming the argument: `sources` not an array of catalogs (`sources[1]`),
   *   or `options` not an object, with an unknown key or a non-boolean `options.selfMetrics`
   * @throws MetricDefinitionError when two sources expose the same metric name, or two families the
   *   same OpenMetrics sample name (e.g. a gauge `x_created` beside a counter `x_total`)
   */
  constructor(sources: readonly MetricSource[], options: OpenMetricsWriterOptions = {}) {
    this.#rendered = writerSources('OpenMetricsWriter', sources, options);
    checkOpenMetricsNames(this.#rendered);
    this.#sources = sources;
  }

  /** The catalogs this writer exposes. */
  get sources(): readonly MetricSource[] {
    return this.#sources;
  }

  /**
   * Runs each catalog's collect hooks, then renders every family and `# EOF`. Families with no series
   * still get their metadata lines, so every declared name is discoverable from the first scrape.
   *
   * @returns a view into the writer's reused buffer: copy it before the next render if it must live on
   */
  render(): Buffer {
    const out = this.#out;
    // Sized once for a body like the last one, as PrometheusWriter does (see there for the numbers).
    if (this.#lastSize > 0) out.fit(this.#lastSize);
    else out.fit(this.#estimate(), 0);
    for (const source of this.#rendered) {
      source['~runCollectHooks']();
      for (const family of source['~families']) this.#renderFamily(family['~reader']);
    }
    out.bytes(EOF);
    this.#lastSize = out.pos;
    return out.view();
  }

  /**
   * Renders to a string (convenience for tests and small tools).
   *
   * @returns the exposition text
   */
  renderText(): string {
    return this.render().toString('utf8');
  }

  // Estimate of the first body's size from the series' prefixes, as PrometheusWriter's: 4 bytes per
  // bucket count, 21 per other value, plus the prebuilt `_created` lines.
  #estimate(): number {
    let size = EOF.length;
    for (const source of this.#rendered) {
      for (const family of source['~families']) {
        const reader = family['~reader'];
        const bytes = this.#familyBytes(reader);
        size += bytes.header.length;
        let perSeries = 21;
        if (reader.kind === 'histogram') {
          perSeries = bytes.sumOpen.length + bytes.countOpen.length + 42;
          for (const le of bytes.le) perSeries += le.length + 4;
        }
        for (let i = 0; i < bytes.prefixes.length; i++) {
          const prefix = (bytes.prefixes[i] as Buffer).length;
          size += perSeries + (reader.kind === 'histogram' ? (reader.stride + 2) * prefix : prefix);
          size += bytes.hasCreated ? (bytes.created[i] as Buffer).length : 0;
        }
      }
    }
    return size;
  }

  #familyBytes(reader: SeriesReader): FamilyBytes {
    let bytes = this.#bytes.get(reader);
    if (bytes === undefined) {
      bytes = new FamilyBytes(reader);
      this.#bytes.set(reader, bytes);
    }
    bytes.catchUp(reader);
    return bytes;
  }

  /** A sample value; `-0` as `-0.0`, which a parser reading integers first keeps negative. */
  #value(value: number): void {
    if (value === 0 && 1 / value < 0) this.#out.bytes(NEGATIVE_ZERO);
    else this.#out.number(value);
  }

  #renderFamily(reader: SeriesReader): void {
    const bytes = this.#familyBytes(reader);
    const out = this.#out;
    const { series, startTimes } = reader;
    const { prefixes } = bytes;
    const n = series.length;
    out.bytes(bytes.header);
    const { exemplars } = reader;
    if (reader.kind !== 'histogram') {
      const { values } = reader;
      const created = bytes.hasCreated;
      for (let i = 0; i < n; i++) {
        const offset = series[i] as number;
        out.bytes(prefixes[i] as Buffer);
        this.#value(values[offset] as number);
        if (exemplars !== undefined) writeOpenMetricsExemplar(out, exemplars, offset);
        out.byte(NEWLINE);
        if (created) out.bytes(bytes.createdLine(i, startTimes[offset] as number));
      }
      return;
    }
    const { bucketCounts, sums, stride } = reader;
    const { le, closes, labelled } = bytes;
    for (let i = 0; i < n; i++) {
      const offset = series[i] as number;
      const prefix = prefixes[i] as Buffer;
      let cumulative = 0;
      const base = offset * stride;
      for (let b = 0; b < stride; b++) {
        cumulative += bucketCounts[base + b] as number;
        out.bytes(prefix);
        out.bytes(le[b] as Buffer);
        out.number(cumulative);
        if (exemplars !== undefined) writeOpenMetricsExemplar(out, exemplars, base + b);
        out.byte(NEWLINE);
      }
      out.bytes(bytes.countOpen);
      if (labelled) out.bytes(closes[i] as Buffer);
      out.number(cumulative);
      out.byte(NEWLINE);
      out.bytes(bytes.sumOpen);
      if (labelled) out.bytes(closes[i] as Buffer);
      this.#value(sums[offset] as number);
      out.byte(NEWLINE);
      out.bytes(bytes.createdLine(i, startTimes[offset] as number));
    }
  }
}
