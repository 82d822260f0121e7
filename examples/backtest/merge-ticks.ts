import type { ReplayTick } from './tick-source.js';

// Several stores read as one: market data keeps a PGlite folder per process (a venue each in the
// demo), each read in exchange-time order; the replay needs one stream in that order. A k-way merge
// of the sources' pages, by the same key each source sorts by.

/** Whether `a` comes before `b`: exchange time, then venue, symbol, type and price (tick-source.ts). */
function before(a: ReplayTick, b: ReplayTick): boolean {
  if (a.time !== b.time) return a.time < b.time;
  if (a.exchange !== b.exchange) return a.exchange < b.exchange;
  if (a.symbol !== b.symbol) return a.symbol < b.symbol;
  if (a.type !== b.type) return a.type < b.type;
  return a.price < b.price;
}

interface Cursor {
  readonly source: AsyncIterator<ReplayTick[]>;
  page: ReplayTick[];
  at: number;
}

/**
 * Merges sources of ordered pages into one stream of ordered pages.
 *
 * @param sources - each yields non-empty pages in key order
 * @param pageSize - ticks per merged page, ≥ 1
 * @returns the merged pages, in key order
 * @example
 * ```ts
 * for await (const page of mergeTicks([readTicks(a, 5_000), readTicks(b, 5_000)], 5_000)) replay(page);
 * ```
 */
export async function* mergeTicks(
  sources: readonly AsyncIterable<ReplayTick[]>[],
  pageSize: number,
): AsyncGenerator<ReplayTick[]> {
  if (sources.length === 1) {
    yield* sources[0] as AsyncIterable<ReplayTick[]>;
    return;
  }
  const cursors: Cursor[] = [];
  for (const s of sources) {
    const source = s[Symbol.asyncIterator]();
    const first = await source.next();
    if (first.done !== true) cursors.push({ source, page: first.value, at: 0 });
  }
  let out: ReplayTick[] = [];
  while (cursors.length > 0) {
    let next = cursors[0] as Cursor;
    for (const c of cursors) if (before(c.page[c.at] as ReplayTick, next.page[next.at] as ReplayTick)) next = c;
    out.push(next.page[next.at++] as ReplayTick);
    if (next.at === next.page.length) {
      const more = await next.source.next();
      if (more.done === true) cursors.splice(cursors.indexOf(next), 1);
      else {
        next.page = more.value;
        next.at = 0;
      }
    }
    if (out.length >= pageSize) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}
