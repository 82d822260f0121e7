import type { Catalog } from '../define/catalog.js';
import { MetricDefinitionError } from '../define/errors.js';
import type { SeriesStore } from '../storage/families.js';
import { decodeOffset } from '../storage/layout.js';
import { ByteWriter, formatNumber } from './byte-writer.js';
import { escapeHelp, escapeLabelValue } from './escape.js';

/** Content-Type of the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Anything whose metrics can be exposed: a catalog instance. */
export type MetricSource = Catalog;

// Per-family bytes rendered once: the header, and each series' label part the first time the
// series is seen (append-only, parallel to store.series).
interface FamilyBytes {
  readonly header: Buffer;
  /** `name{` or `name ` for a counter/gauge; `name_bucket{` for a histogram. */
  readonly open: Buffer;
  /** Histogram: `name_sum{`, `name_count{` (or without `{` when unlabelled). */
  readonly sumOpen: Buffer;
  readonly countOpen: Buffer;
  /** Histogram: `le="b"} ` per bucket, `+Inf` last; prefixed by `,` when labelled. */
  readonly le: Buffer[];
  /** Per series (index in store.series): `a="x",b="y"`. */
  readonly labels: Buffer[];
}

const CLOSE = Buffer.from('} ');
const NEWLINE = 0x0a;

function familyBytes(store: SeriesStore): FamilyBytes {
  const { def } = store;
  const help = `# HELP ${def.name} ${escapeHelp(def.help)}\n# TYPE ${def.name} ${def.kind}\n`;
  const labelled = store.layout.axes.length > 0;
  const isHistogram = def.kind === 'histogram';
  const le = isHistogram
    ? [...Array.from(store.bounds, formatNumber), '+Inf'].map((b) => Buffer.from(`${labelled ? ',' : ''}le="${b}"} `))
    : [];
  return {
    header: Buffer.from(help),
    open: Buffer.from(isHistogram ? `${def.name}_bucket{` : `${def.name}${labelled ? '{' : ' '}`),
    sumOpen: Buffer.from(`${def.name}_sum${labelled ? '{' : ' '}`),
    countOpen: Buffer.from(`${def.name}_count${labelled ? '{' : ' '}`),
    le,
    labels: [],
  };
}

function renderLabels(store: SeriesStore, offset: number): Buffer {
  const values = decodeOffset(store.layout, offset);
  const parts = store.layout.axes.map((axis, i) => `${axis.name}="${escapeLabelValue(values[i] as string)}"`);
  return Buffer.from(parts.join(','));
}

/**
 * Renders catalogs in the Prometheus text format 0.0.4, synchronously, into one reused buffer.
 * Series names and label sets are rendered to bytes once, when first seen; a render then copies
 * bytes and formats numbers. Histograms are cumulated here, not when recorded.
 *
 * @example
 * ```ts
 * const writer = new PrometheusWriter([md, gw]);
 * const body = writer.render(); // Buffer view, valid until the next render
 * ```
 */
export class PrometheusWriter {
  readonly #sources: readonly MetricSource[];
  readonly #out = new ByteWriter();
  readonly #bytes = new WeakMap<SeriesStore, FamilyBytes>();

  /**
   * @param sources - the catalogs to expose; their metric names must not collide
   * @throws MetricDefinitionError when two sources expose the same metric name
   */
  constructor(sources: readonly MetricSource[]) {
    const seen = new Set<string>();
    const issues = [];
    for (const source of sources) {
      for (const family of source['~families']) {
        // A histogram also exposes `_bucket`, `_sum` and `_count` series, which may collide too.
        const names =
          family['~store'].kind === 'histogram'
            ? [family.name, `${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`]
            : [family.name];
        for (const name of names) {
          if (seen.has(name)) issues.push({ path: name, message: 'exposed by two catalogs' });
          seen.add(name);
        }
      }
    }
    if (issues.length > 0) throw new MetricDefinitionError(issues);
    this.#sources = sources;
  }

  /** The catalogs this writer exposes. */
  get sources(): readonly MetricSource[] {
    return this.#sources;
  }

  /**
   * Runs each catalog's collect hooks, then renders every family. Families with no series still get
   * their HELP and TYPE lines, so every declared name is discoverable from the first scrape.
   *
   * @returns a view into the writer's reused buffer: copy it before the next render if it must live on
   */
  render(): Buffer {
    const out = this.#out;
    out.reset();
    for (const source of this.#sources) {
      source['~runCollectHooks']();
      for (const family of source['~families']) this.#renderFamily(family['~store']);
    }
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

  #renderFamily(store: SeriesStore): void {
    let bytes = this.#bytes.get(store);
    if (bytes === undefined) {
      bytes = familyBytes(store);
      this.#bytes.set(store, bytes);
    }
    const out = this.#out;
    const { series, values } = store;
    const labelled = store.layout.axes.length > 0;
    const cache = bytes.labels;
    while (cache.length < series.length) cache.push(renderLabels(store, series[cache.length] as number));
    out.bytes(bytes.header);
    if (store.kind !== 'histogram') {
      for (let i = 0; i < series.length; i++) {
        out.bytes(bytes.open);
        if (labelled) {
          out.bytes(cache[i] as Buffer);
          out.bytes(CLOSE);
        }
        out.number(values[series[i] as number] as number);
        out.byte(NEWLINE);
      }
      return;
    }
    const { counts, stride } = store;
    for (let i = 0; i < series.length; i++) {
      const offset = series[i] as number;
      const labels = cache[i] as Buffer;
      let cumulative = 0;
      const base = offset * stride;
      for (let b = 0; b < stride; b++) {
        cumulative += counts[base + b] as number;
        out.bytes(bytes.open);
        if (labelled) out.bytes(labels);
        out.bytes(bytes.le[b] as Buffer);
        out.number(cumulative);
        out.byte(NEWLINE);
      }
      out.bytes(bytes.sumOpen);
      if (labelled) {
        out.bytes(labels);
        out.bytes(CLOSE);
      }
      out.number(values[offset] as number);
      out.byte(NEWLINE);
      out.bytes(bytes.countOpen);
      if (labelled) {
        out.bytes(labels);
        out.bytes(CLOSE);
      }
      out.number(cumulative);
      out.byte(NEWLINE);
    }
  }
}
