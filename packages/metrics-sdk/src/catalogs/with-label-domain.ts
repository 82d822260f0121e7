import type { CatalogDefs } from '../define/catalog.js';
import type { LabelDomain, LabelSpec } from '../define/labels.js';
import type { MetricDef, MetricKind } from '../define/metric.js';

/**
 * The declarations `D` with the domain of label `L` replaced by `Dom` wherever it is declared; every
 * other declaration keeps its type. Keys, kinds and the other labels are unchanged, so the catalog
 * built from the result has the same families with a different record-call type for `L`.
 *
 * @typeParam D - catalog key → declaration
 * @typeParam L - the label whose domain is replaced
 * @typeParam Dom - the new domain
 */
export type WithLabelDomain<D extends CatalogDefs, L extends string, Dom extends LabelDomain> = {
  readonly [K in keyof D]: D[K] extends MetricDef<infer Kind extends MetricKind, infer S extends LabelSpec>
    ? [L] extends [keyof S]
      ? MetricDef<Kind, { readonly [P in keyof S]: P extends L ? Dom : S[P] }>
      : D[K]
    : D[K];
};

/**
 * Replaces the domain of one label in every declaration of a catalog that has it, keeping wire
 * names, kinds, help, units, buckets, the catalog's key order and each metric's label order (the
 * exposition writes labels in declaration order, so the series read the same to a dashboard).
 * Declarations without the label are passed through as they are. Nothing is validated here:
 * `catalog()` checks the result when it is built.
 *
 * @param defs - catalog key → declaration (a ready catalog's `definitions`, or your own)
 * @param label - the label to re-domain, e.g. `'exchange'`
 * @param domain - its new domain, e.g. `closed('kraken', 'deribit')`
 * @returns new declarations; `defs` is not modified
 * @example
 * ```ts
 * const deskDefinitions = {
 *   fills: counter('desk_fills_total', 'Fills.', { venue: closed('binance'), book: open({ budget: 10 }) }),
 * } as const;
 * class DeskMetrics extends catalog(withLabelDomain(deskDefinitions, 'venue', closed('kraken', 'deribit'))) {}
 * new DeskMetrics().fills.inc({ venue: 'kraken', book: 'g10' });
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function withLabelDomain<const D extends CatalogDefs, const L extends string, const Dom extends LabelDomain>(
  defs: D,
  label: L,
  domain: Dom,
): WithLabelDomain<D, L, Dom> {
  const out: Record<string, MetricDef> = {};
  for (const key of Object.keys(defs)) {
    const def = defs[key] as MetricDef;
    // A malformed declaration (from untyped JavaScript) passes through for catalog() to report.
    if (typeof def?.labels !== 'object' || def.labels === null || !Object.hasOwn(def.labels, label)) {
      out[key] = def;
      continue;
    }
    // Rebuilt key by key, so the label keeps its place among the others.
    const labels: Record<string, LabelDomain> = {};
    for (const name of Object.keys(def.labels))
      labels[name] = name === label ? domain : (def.labels[name] as LabelDomain);
    out[key] = { ...def, labels };
  }
  return out as WithLabelDomain<D, L, Dom>;
}
