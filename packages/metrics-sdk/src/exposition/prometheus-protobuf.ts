import { OVERFLOW_LABEL } from '../define/naming.js';
import type { Exemplars, NativeBuckets, ReaderSource, SeriesReader } from '../storage/series-reader.js';
import { CONTENT_TYPES, type ExpositionWriter } from './formats.js';
import { exemplarSize, writeExemplar } from './protobuf-exemplar.js';
import { nativeFieldsSize, writeNativeFields } from './protobuf-native.js';
import {
  DOUBLE_FIELD_SIZE,
  encodeLenField,
  encodeVarintField,
  fieldKey,
  lenFieldSize,
  ProtoWriter,
  varintSize,
  WIRE_FIXED64,
  WIRE_LEN,
  WIRE_VARINT,
  writeTimestampField,
} from './protobuf-writer.js';
import { type ExpositionWriterOptions, type MetricSource, writerSources } from './sources.js';

// Field numbers of io.prometheus.client, from prometheus/client_model io/prometheus/client/metrics.proto
// (commit 10dc9dfb541a); Timestamp's are in protobuf-writer.ts. Every one is below 16, so every
// field key is one byte.
const FAMILY_NAME = 1;
const FAMILY_HELP = 2;
const FAMILY_TYPE = 3;
const FAMILY_METRIC = 4;
const TYPE_COUNTER = 0;
const TYPE_GAUGE = 1;
const TYPE_HISTOGRAM = 4;
const METRIC_LABEL = 1;
const METRIC_GAUGE = 2;
const METRIC_COUNTER = 3;
const METRIC_HISTOGRAM = 7;
const LABEL_NAME = 1;
const LABEL_VALUE = 2;
/** Gauge.value and Counter.value. */
const VALUE = 1;
const COUNTER_EXEMPLAR = 2;
const COUNTER_CREATED = 3;
const HISTOGRAM_COUNT = 1;
const HISTOGRAM_SUM = 2;
const HISTOGRAM_BUCKET = 3;
const HISTOGRAM_CREATED = 15;
const BUCKET_CUMULATIVE_COUNT = 1;
const BUCKET_UPPER_BOUND = 2;
const BUCKET_EXEMPLAR = 3;

const METRIC_KEY = fieldKey(FAMILY_METRIC, WIRE_LEN);
const LABEL_KEY = fieldKey(METRIC_LABEL, WIRE_LEN);
const VALUE_KEY = fieldKey(VALUE, WIRE_FIXED64);
const COUNT_KEY = fieldKey(HISTOGRAM_COUNT, WIRE_VARINT);
const SUM_KEY = fieldKey(HISTOGRAM_SUM, WIRE_FIXED64);
const BUCKET_KEY = fieldKey(HISTOGRAM_BUCKET, WIRE_LEN);
const CUMULATIVE_KEY = fieldKey(BUCKET_CUMULATIVE_COUNT, WIRE_VARINT);
const COUNTER_EXEMPLAR_KEY = fieldKey(COUNTER_EXEMPLAR, WIRE_LEN);
const BUCKET_EXEMPLAR_KEY = fieldKey(BUCKET_EXEMPLAR, WIRE_LEN);
/** Bucket.upper_bound = +Inf: written only for a `+Inf` bucket that carries an exemplar. */
const INF_BOUND = (() => {
  const field = Buffer.alloc(DOUBLE_FIELD_SIZE);
  field[0] = fieldKey(BUCKET_UPPER_BOUND, WIRE_FIXED64);
  field.writeDoubleLE(Number.POSITIVE_INFINITY, 1);
  return field;
})();

/** Content-Type of the delimited protobuf exposition. */
export const PROTOBUF_CONTENT_TYPE = CONTENT_TYPES['prometheus-protobuf'];

// Bytes encoded once per family, and once per series when the series is first seen (append-only,
// parallel to reader.series), as the text writer does: a scrape then copies them and encodes the
// numbers only.
class FamilyBytes {
  /** MetricFamily's name, help and type fields. */
  readonly header: Buffer;
  /** Per series: its Metric.label fields (LabelPair messages), one Buffer. */
  readonly labels: Buffer[] = [];
  /** Histogram: per finite bound, Bucket.upper_bound's field (key and 8 bytes). */
  readonly bounds: Buffer[];
  /** Metric's field holding the value: gauge, counter or histogram. */
  readonly valueKey: number;
  /** Counter and histogram: per series, its created_timestamp field. */
  readonly created: CreatedFields;
  generation = 0;

  constructor(reader: SeriesReader) {
    const type = reader.kind === 'counter' ? TYPE_COUNTER : reader.kind === 'gauge' ? TYPE_GAUGE : TYPE_HISTOGRAM;
    this.header = Buffer.concat([
      encodeLenField(FAMILY_NAME, reader.name),
      encodeLenField(FAMILY_HELP, reader.help),
      encodeVarintField(FAMILY_TYPE, type),
    ]);
    this.bounds = Array.from(reader.kind === 'histogram' ? reader.bounds : [], (bound) => {
      const field = Buffer.alloc(DOUBLE_FIELD_SIZE);
      field[0] = fieldKey(BUCKET_UPPER_BOUND, WIRE_FIXED64);
      field.writeDoubleLE(bound, 1);
      return field;
    });
    const field =
      reader.kind === 'counter' ? METRIC_COUNTER : reader.kind === 'gauge' ? METRIC_GAUGE : METRIC_HISTOGRAM;
    this.valueKey = fieldKey(field, WIRE_LEN);
    this.created = new CreatedFields(reader.kind === 'counter' ? COUNTER_CREATED : HISTOGRAM_CREATED);
  }

  /** Encodes the labels of every series created since the last scrape, through `scratch`. */
  catchUp(reader: SeriesReader, scratch: ProtoWriter): void {
    const { series } = reader;
    // A removal reorders `series`: rebuild from scratch (removals are rare; appends are the rule).
    if (this.generation !== reader.generation) {
      this.generation = reader.generation;
      this.labels.length = 0;
    }
    while (this.labels.length < series.length) {
      this.labels.push(encodeLabels(reader, series[this.labels.length] as number, scratch));
    }
  }
}

/**
 * The Metric.label fields of the series at `offset`: one LabelPair per label, or the overflow label.
 * Encoded into `scratch` and copied out, so each series keeps one compact Buffer and no
 * intermediate pieces (per-field Buffers left 6.8 MB of half-used pool slabs for 10k series).
 */
function encodeLabels(reader: SeriesReader, offset: number, scratch: ProtoWriter): Buffer {
  const values = reader.labelValues(offset);
  scratch.reset();
  if (values === null) writeLabel(scratch, OVERFLOW_LABEL, 'true');
  else for (let i = 0; i < values.length; i++) writeLabel(scratch, reader.labelNames[i] as string, values[i] as string);
  return Buffer.from(scratch.view());
}

function writeLabel(out: ProtoWriter, name: string, value: string): void {
  out.byte(LABEL_KEY);
  out.varint(stringFieldSize(name) + stringFieldSize(value));
  out.string(LABEL_NAME, name);
  out.string(LABEL_VALUE, value);
}

function stringFieldSize(text: string): number {
  return lenFieldSize(Buffer.byteLength(text, 'utf8'));
}

/**
 * Per series: its created_timestamp field (google.protobuf.Timestamp), encoded when the series is
 * first seen, in a slab of 16 bytes a series. Encoding it per scrape boxed the Unix seconds (too
 * large for V8's small integers) into a heap number per series: 248 KB of garbage per warm
 * 10k-series render, against about 10 KB whatever the series count with this cache (heapUsed across
 * 20 warm renders, Node 24). The start time it was encoded for is kept, and a series whose start
 * time changed is re-encoded. Empty until a series needs it, so a gauge family pays nothing.
 */
class CreatedFields {
  readonly #key: number;
  #bytes = new Uint8Array(0);
  #lengths = new Uint8Array(0);
  #ms = new Float64Array(0);
  readonly #scratch = new ProtoWriter(32);

  /** @param field - the field holding the Timestamp: Counter's 3 or Histogram's 15 */
  constructor(field: number) {
    this.#key = fieldKey(field, WIRE_LEN);
  }

  /**
   * The size of series `i`'s field, re-encoding it when its start time is not the one encoded.
   * Takes the array and index of the start time, not the number, so that it is never boxed.
   */
  size(i: number, startTimes: Float64Array, offset: number): number {
    if (i >= this.#lengths.length || this.#ms[i] !== startTimes[offset]) this.#encode(i, startTimes, offset);
    return this.#lengths[i] as number;
  }

  /** Appends series `i`'s field, as {@link size} last saw it. */
  write(out: ProtoWriter, i: number): void {
    const n = this.#lengths[i] as number;
    out.ensure(n);
    const bytes = this.#bytes;
    const buf = out.buf;
    let pos = out.pos;
    for (let b = i * 16, end = b + n; b < end; b++) buf[pos++] = bytes[b] as number;
    out.pos = pos;
  }

  // A time at or before the epoch, or not finite, is not written: storage never sets one, and
  // negative seconds would take a 10-byte varint. proto3 leaves zero fields out, as Go's timestamppb.
  #encode(i: number, startTimes: Float64Array, offset: number): void {
    if (i >= this.#lengths.length) {
      const capacity = Math.max(i + 1, 16, this.#lengths.length * 2);
      const bytes = new Uint8Array(capacity * 16);
      bytes.set(this.#bytes);
      this.#bytes = bytes;
      const lengths = new Uint8Array(capacity);
      lengths.set(this.#lengths);
      this.#lengths = lengths;
      const ms = new Float64Array(capacity);
      ms.set(this.#ms);
      this.#ms = ms;
    }
    const at = startTimes[offset] as number;
    this.#ms[i] = at;
    const out = this.#scratch;
    out.reset();
    if (at > 0 && at < Number.POSITIVE_INFINITY) writeTimestampField(out, this.#key, at);
    this.#bytes.set(out.view(), i * 16);
    this.#lengths[i] = out.pos;
  }
}

/** Options of a {@link ProtobufWriter}. */
export type ProtobufWriterOptions = ExpositionWriterOptions;

/**
 * Renders catalogs in the Prometheus protobuf exposition: a sequence of `io.prometheus.client.MetricFamily`
 * messages, each prefixed with its length as a varint (`encoding=delimited`), as client_golang writes it.
 * Counters and histograms carry their created timestamp (when the series was first resolved).
 * Histograms carry their classic buckets with cumulative counts and finite upper bounds only: like
 * client_golang, the `+Inf` bucket is left out, and Prometheus derives it from `sample_count`.
 * Families without series are left out too (client_golang never writes one; Prometheus skips them).
 * Labels keep their declared order, as in the text format (client_golang sorts them by name;
 * Prometheus sorts them on ingestion either way). `MetricFamily.unit` is not written: the catalogs'
 * units are OTel's (`ms`, `1`, `usd`), not the name suffix OpenMetrics means by a unit. A
 * histogram declared with `native` also carries its native buckets (schema, zero bucket, one span
 * of positive buckets with count deltas), besides its classic buckets when it has any. Metrics that
 * declare exemplars carry the latest one on the counter, and on each bucket of a classic histogram
 * (the `+Inf` bucket is then written when it holds one); a native histogram carries only its newest
 * exemplar, on its bucket, because Prometheus stores only one per native histogram and scrape.
 *
 * Prometheus spells a bucket's bound from the double, as OpenMetrics does (`le="1.0"`), where the
 * text format writes `le="1"`; Prometheus 2.x therefore stores the buckets of the two formats as
 * different series, and 3.0 normalizes `le` for every format (prometheus/prometheus#15164).
 *
 * Labels are encoded once per series, when first seen, and every message's length is computed
 * before it is written, into one reused buffer sized for the whole body: a warm scrape allocates
 * nothing per series.
 *
 * @example
 * ```ts
 * const writer = new ProtobufWriter([md, gw]);
 * response.setHeader('Content-Type', writer.contentType);
 * response.end(writer.render()); // Buffer view, valid until the next render
 * ```
 */
export class ProtobufWriter implements ExpositionWriter {
  readonly format = 'prometheus-protobuf' as const;
  readonly contentType = PROTOBUF_CONTENT_TYPE;
  readonly #sources: readonly MetricSource[];
  /** The sources plus the self-metrics: what a render writes. */
  readonly #rendered: readonly ReaderSource[];
  readonly #out = new ProtoWriter();
  readonly #bytes = new WeakMap<SeriesReader, FamilyBytes>();
  /** A native histogram's zero threshold, where `doubleAt` can read it. */
  readonly #threshold = new Float64Array(1);
  /** Where a new series' labels are encoded before they are copied out. */
  readonly #scratch = new ProtoWriter(256);
  /** Per family in render order, this render: the MetricFamily's size, 0 when it has no series. */
  #familySizes = new Float64Array(16);
  /** Per series in render order, this render: the size of its gauge, counter or histogram message. */
  #valueSizes = new Float64Array(1024);

  /**
   * @param sources - the catalogs to expose; their metric names must not collide
   * @param options - whether to append the self-metrics
   * @throws MetricsOptionError naming the argument: `sources` not an array of catalogs (`sources[1]`),
   *   or `options` not an object, with an unknown key or a non-boolean `options.selfMetrics`
   * @throws MetricDefinitionError when two sources expose the same metric name
   */
  constructor(sources: readonly MetricSource[], options: ProtobufWriterOptions = {}) {
    this.#rendered = writerSources('ProtobufWriter', sources, options);
    this.#sources = sources;
  }

  /** The catalogs this writer exposes. */
  get sources(): readonly MetricSource[] {
    return this.#sources;
  }

  /**
   * Runs each catalog's collect hooks, then renders every family that has series.
   *
   * @returns a view into the writer's reused buffer: copy it before the next render if it must live on
   */
  render(): Buffer {
    for (const source of this.#rendered) source['~runCollectHooks']();
    // Pass 1: every message's size, so each length prefix is written before its message and the
    // buffer is sized once for the exact body (no growth steps, no back-patching).
    let total = 0;
    let family = 0;
    let at = 0;
    for (const source of this.#rendered) {
      for (const { '~reader': reader } of source['~families']) {
        const size = this.#measureFamily(reader, at);
        if (family === this.#familySizes.length) this.#familySizes = grow(this.#familySizes, family + 1);
        this.#familySizes[family++] = size;
        if (size > 0) total += varintSize(size) + size;
        at += reader.series.length;
      }
    }
    // Pass 2: write.
    const out = this.#out;
    out.fit(total);
    family = 0;
    at = 0;
    for (const source of this.#rendered) {
      for (const { '~reader': reader } of source['~families']) {
        const size = this.#familySizes[family++] as number;
        if (size > 0) this.#writeFamily(reader, size, at);
        at += reader.series.length;
      }
    }
    return out.view();
  }

  #familyBytes(reader: SeriesReader): FamilyBytes {
    let bytes = this.#bytes.get(reader);
    if (bytes === undefined) {
      bytes = new FamilyBytes(reader);
      this.#bytes.set(reader, bytes);
    }
    bytes.catchUp(reader, this.#scratch);
    return bytes;
  }

  /** Size of the family's MetricFamily message (0 without series); records each series' value size from `at`. */
  #measureFamily(reader: SeriesReader, at: number): number {
    const { series, startTimes } = reader;
    const n = series.length;
    if (n === 0) return 0;
    const { labels, header, created } = this.#familyBytes(reader);
    if (at + n > this.#valueSizes.length) this.#valueSizes = grow(this.#valueSizes, at + n);
    const sizes = this.#valueSizes;
    let size = header.length;
    if (reader.kind === 'gauge') {
      const metric = lenFieldSize(DOUBLE_FIELD_SIZE);
      for (let i = 0; i < n; i++) {
        sizes[at + i] = DOUBLE_FIELD_SIZE;
        size += lenFieldSize((labels[i] as Buffer).length + metric);
      }
      return size;
    }
    const { exemplars } = reader;
    if (reader.kind === 'counter') {
      for (let i = 0; i < n; i++) {
        const offset = series[i] as number;
        let value = DOUBLE_FIELD_SIZE + created.size(i, startTimes, offset);
        if (exemplars !== undefined) value += exemplarFieldSize(exemplars, offset);
        sizes[at + i] = value;
        size += lenFieldSize((labels[i] as Buffer).length + lenFieldSize(value));
      }
      return size;
    }
    const { bucketCounts, stride, native } = reader;
    const finite = stride - 1;
    for (let i = 0; i < n; i++) {
      const offset = series[i] as number;
      const base = offset * stride;
      let value = DOUBLE_FIELD_SIZE + created.size(i, startTimes, offset);
      let cumulative = 0;
      const only = exemplars === undefined ? -1 : exemplarSlots(exemplars, native, base, stride);
      for (let b = 0; b < finite; b++) {
        cumulative += bucketCounts[base + b] as number;
        const exemplar = bucketExemplarSize(exemplars, only, base + b);
        value += lenFieldSize(1 + varintSize(cumulative) + DOUBLE_FIELD_SIZE + exemplar);
      }
      cumulative += bucketCounts[base + finite] as number;
      value += 1 + varintSize(cumulative);
      const infExemplar = bucketExemplarSize(exemplars, only, base + finite);
      if (infExemplar > 0) value += lenFieldSize(1 + varintSize(cumulative) + DOUBLE_FIELD_SIZE + infExemplar);
      if (native !== undefined) value += nativeFieldsSize(native, offset);
      sizes[at + i] = value;
      size += lenFieldSize((labels[i] as Buffer).length + lenFieldSize(value));
    }
    return size;
  }

  #writeFamily(reader: SeriesReader, size: number, at: number): void {
    const bytes = this.#familyBytes(reader);
    const out = this.#out;
    const sizes = this.#valueSizes;
    const { labels, valueKey, created } = bytes;
    const { series } = reader;
    const n = series.length;
    out.varint(size);
    out.bytes(bytes.header);
    const { exemplars } = reader;
    if (reader.kind !== 'histogram') {
      const { values } = reader;
      const counter = reader.kind === 'counter';
      for (let i = 0; i < n; i++) {
        const offset = series[i] as number;
        const label = labels[i] as Buffer;
        const value = sizes[at + i] as number;
        out.byte(METRIC_KEY);
        out.varint(label.length + lenFieldSize(value));
        out.bytes(label);
        out.byte(valueKey);
        out.varint(value);
        out.byte(VALUE_KEY);
        out.doubleAt(values, offset);
        if (counter && exemplars !== undefined) writeExemplarField(out, COUNTER_EXEMPLAR_KEY, exemplars, offset);
        if (counter) created.write(out, i);
      }
      return;
    }
    const { bucketCounts, sums, stride, native } = reader;
    const { bounds } = bytes;
    const finite = stride - 1;
    const threshold = this.#threshold;
    if (native !== undefined) threshold[0] = native.zeroThreshold;
    for (let i = 0; i < n; i++) {
      const offset = series[i] as number;
      const label = labels[i] as Buffer;
      const value = sizes[at + i] as number;
      const base = offset * stride;
      let count = 0;
      for (let b = 0; b < stride; b++) count += bucketCounts[base + b] as number;
      out.byte(METRIC_KEY);
      out.varint(label.length + lenFieldSize(value));
      out.bytes(label);
      out.byte(valueKey);
      out.varint(value);
      out.byte(COUNT_KEY);
      out.varint(count);
      out.byte(SUM_KEY);
      out.doubleAt(sums, offset);
      let cumulative = 0;
      const only = exemplars === undefined ? -1 : exemplarSlots(exemplars, native, base, stride);
      for (let b = 0; b < finite; b++) {
        cumulative += bucketCounts[base + b] as number;
        const exemplar = bucketExemplarSize(exemplars, only, base + b);
        out.byte(BUCKET_KEY);
        out.varint(1 + varintSize(cumulative) + DOUBLE_FIELD_SIZE + exemplar);
        out.byte(CUMULATIVE_KEY);
        out.varint(cumulative);
        out.bytes(bounds[b] as Buffer);
        if (exemplar > 0) writeExemplarField(out, BUCKET_EXEMPLAR_KEY, exemplars as Exemplars, base + b);
      }
      // client_golang's rule: the +Inf bucket, otherwise implied by sample_count, is written when it
      // holds an exemplar, so a slow sample past the last bound still links to its trace.
      const infExemplar = bucketExemplarSize(exemplars, only, base + finite);
      if (infExemplar > 0) {
        out.byte(BUCKET_KEY);
        out.varint(1 + varintSize(count) + DOUBLE_FIELD_SIZE + infExemplar);
        out.byte(CUMULATIVE_KEY);
        out.varint(count);
        out.bytes(INF_BOUND);
        writeExemplarField(out, BUCKET_EXEMPLAR_KEY, exemplars as Exemplars, base + finite);
      }
      if (native !== undefined) writeNativeFields(out, native, threshold, offset);
      created.write(out, i);
    }
  }
}

/** {@link exemplarSlots}' answer when every bucket's exemplar is written. */
const EVERY_SLOT = -2;

/**
 * Which bucket exemplars a histogram series writes: all of them ({@link EVERY_SLOT}) for a classic
 * histogram; for a native one only the newest, as a slot (−1 when it has none). Prometheus 2.42
 * ingesting a native histogram stores one exemplar per series and scrape, the first one it finds in
 * the classic buckets, so with all of them written the lowest bucket's would win every scrape and a
 * slow order's exemplar would never be stored; with the newest alone, each scrape stores the latest.
 */
function exemplarSlots(exemplars: Exemplars, native: NativeBuckets | undefined, base: number, stride: number): number {
  if (native === undefined) return EVERY_SLOT;
  const { times } = exemplars;
  let newest = -1;
  let newestTime = 0;
  for (let slot = base; slot < base + stride; slot++) {
    if ((times[slot] as number) > newestTime) {
      newestTime = times[slot] as number;
      newest = slot;
    }
  }
  return newest;
}

/** Size of a bucket's exemplar field, 0 when it has none or it is not among the written ones. */
function bucketExemplarSize(exemplars: Exemplars | undefined, only: number, slot: number): number {
  if (exemplars === undefined || (only !== EVERY_SLOT && only !== slot)) return 0;
  return exemplarFieldSize(exemplars, slot);
}

/** Size of a slot's exemplar as a field (key, length, message), 0 when it has none. */
function exemplarFieldSize(exemplars: Exemplars, slot: number): number {
  const size = exemplarSize(exemplars, slot);
  return size === 0 ? 0 : lenFieldSize(size);
}

function writeExemplarField(out: ProtoWriter, key: number, exemplars: Exemplars, slot: number): void {
  const size = exemplarSize(exemplars, slot);
  if (size > 0) writeExemplar(out, key, exemplars, slot, size);
}

/** A copy of `array` with room for at least `length` numbers, doubling. */
function grow(array: Float64Array, length: number): Float64Array<ArrayBuffer> {
  const next = new Float64Array(Math.max(length, array.length * 2));
  next.set(array);
  return next;
}
