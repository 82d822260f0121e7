import type { ReaderSource, SeriesReader } from '../storage/series-reader.js';
import type { CatalogSnapshot, FamilySnapshot, KnownSeries } from './cluster-protocol.js';

/**
 * A cluster worker's snapshot of its catalogs, after their collect hooks: the values of every series
 * copied into typed arrays in series order, with the labels of the series the primary does not know
 * yet (all of a family whose generation changed).
 *
 * @param sources - the worker's catalogs
 * @param known - per catalog, per family, what the primary has; none for an unasked snapshot
 * @internal
 */
export function takeSnapshot(
  sources: readonly ReaderSource[],
  known: readonly (readonly KnownSeries[])[] | undefined,
): CatalogSnapshot[] {
  return sources.map((source, c) => {
    source['~runCollectHooks']();
    return source['~families'].map((family, f) => familySnapshot(family['~reader'], known?.[c]?.[f]));
  });
}

function familySnapshot(reader: SeriesReader, known: KnownSeries | undefined): FamilySnapshot {
  const series = reader.series;
  const count = series.length;
  const from = known !== undefined && known.generation === reader.generation ? Math.min(known.series, count) : 0;
  const labels: (readonly string[] | null)[] = [];
  for (let i = from; i < count; i++) labels.push(reader.labelValues(series[i] as number));
  const histogram = reader.kind === 'histogram';
  const source = histogram ? reader.sums : reader.values;
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = source[series[i] as number] as number;
  const stride = reader.stride;
  const counts = new Float64Array(histogram ? count * stride : 0);
  if (histogram) {
    for (let i = 0; i < count; i++) {
      const at = (series[i] as number) * stride;
      counts.set(reader.bucketCounts.subarray(at, at + stride), i * stride);
    }
  }
  const { dropped, overflowed, exemplarsDropped } = reader.stats;
  const snapshot: FamilySnapshot = {
    name: reader.name,
    generation: reader.generation,
    count,
    from,
    labels,
    values,
    counts,
    stats: Float64Array.of(dropped, overflowed, exemplarsDropped),
  };
  const native = reader.native;
  if (native === undefined) return snapshot;
  const window = native.window;
  const schemas = new Int8Array(count);
  const lows = new Int32Array(count);
  const zeroCounts = new Float64Array(count);
  const nativeCounts = new Float64Array(count * window);
  for (let i = 0; i < count; i++) {
    const offset = series[i] as number;
    schemas[i] = native.schemas[offset] as number;
    lows[i] = native.lows[offset] as number;
    zeroCounts[i] = native.zeroCounts[offset] as number;
    nativeCounts.set(native.counts.subarray(offset * window, (offset + 1) * window), i * window);
  }
  return { ...snapshot, native: { schemas, lows, zeroCounts, counts: nativeCounts } };
}
