import { type CatalogClass, type CatalogDefs, catalog } from '../define/catalog.js';
import { type DefinitionIssue, MetricDefinitionError } from '../define/errors.js';
import { type ClosedDomain, closed } from '../define/labels.js';
import { type WithLabelDomain, withLabelDomain } from './with-label-domain.js';

// The ready catalogs close `exchange` to four venues. A desk on other venues gets the same metrics
// with its own list from here, rather than redeclaring them: redeclared wire names drift from the
// dashboards, which select on metric names and never enumerate venues.

/** A list of venues: at least one name, each once. */
export type VenueList = readonly [string, ...string[]];

/**
 * The declarations `D` with their `exchange` label closed to the venues `V`; declarations without
 * an `exchange` label are unchanged.
 *
 * @typeParam D - catalog key → declaration
 * @typeParam V - the union of venue names
 */
export type WithVenues<D extends CatalogDefs, V extends string> = WithLabelDomain<D, 'exchange', ClosedDomain<V>>;

// A lone UTF-16 surrogate cannot be written as UTF-8, so no exposition could carry it.
const LONE_SURROGATE = /\p{Cs}/u;

function venueIssues(venues: unknown, where: string): DefinitionIssue[] {
  if (!Array.isArray(venues)) {
    return [{ path: where, message: `expected a list of venue names, got ${show(venues)}` }];
  }
  if (venues.length === 0) {
    return [
      {
        path: where,
        message: 'needs at least one venue; to add venues to the defaults, pass ...DEFAULT_VENUES first',
      },
    ];
  }
  const issues: DefinitionIssue[] = [];
  const first = new Map<string, number>();
  venues.forEach((venue: unknown, i) => {
    const path = `${where}[${i}]`;
    if (typeof venue !== 'string') {
      issues.push({ path, message: `venue ${show(venue)} must be a string` });
    } else if (venue === '') {
      issues.push({ path, message: 'venue "" must not be empty: Prometheus reads an empty label as no label' });
    } else if (LONE_SURROGATE.test(venue)) {
      issues.push({ path, message: `venue ${JSON.stringify(venue)} holds a lone UTF-16 surrogate, not valid UTF-8` });
    } else if (first.has(venue)) {
      issues.push({ path, message: `venue "${venue}" is listed twice (first at [${first.get(venue)}]); list it once` });
    } else {
      first.set(venue, i);
    }
  });
  return issues;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : `${String(value)} (${typeof value})`;
}

function relabel<const D extends CatalogDefs, const V extends VenueList>(
  defs: D,
  venues: V,
  where: string,
): WithVenues<D, V[number]> {
  const issues = venueIssues(venues, where);
  if (issues.length > 0) throw new MetricDefinitionError(issues);
  return withLabelDomain(defs, 'exchange', closed(...venues));
}

/**
 * Closes the `exchange` label of a set of declarations to your venue list, keeping everything else
 * (wire names, kinds, help, units, buckets, key and label order). For your own catalogs that share
 * the ready catalogs' `exchange` label; the ready catalogs have the same as a static
 * (`MarketDataMetrics.withVenues(...)`).
 *
 * @param defs - catalog key → declaration
 * @param venues - the venues, at least one, each a non-empty string, no duplicates; their order is
 *   the series order
 * @returns new declarations to pass to `catalog()`
 * @throws MetricDefinitionError naming `withVenues` and each bad entry
 * @example
 * ```ts
 * class DeskMetrics extends catalog(withVenues(deskDefinitions, ['kraken', 'deribit'])) {}
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function withVenues<const D extends CatalogDefs, const V extends VenueList>(
  defs: D,
  venues: V,
): WithVenues<D, V[number]> {
  return relabel(defs, venues, 'withVenues');
}

/**
 * Builds the catalog class a ready catalog's `withVenues` static returns; `where` names that static
 * in errors.
 *
 * @internal
 */
/* @__NO_SIDE_EFFECTS__ */
export function venueCatalog<const D extends CatalogDefs, const V extends VenueList>(
  defs: D,
  venues: V,
  where: string,
): CatalogClass<WithVenues<D, V[number]>> {
  return catalog(relabel(defs, venues, where));
}
