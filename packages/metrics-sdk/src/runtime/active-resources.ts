// Readers of what keeps the event loop busy, for `nodejs_active_handles`, `nodejs_active_requests`
// and `nodejs_active_resources`, counted per type exactly as prom-client counts them. Each fills a
// map the caller reuses and returns false when the runtime lacks the API, so the caller leaves the
// series unset; none throws.

// `_getActiveHandles` and `_getActiveRequests` are undocumented (absent from @types/node) but still
// present in Node 24; prom-client reads them too.
interface ProcessInternals {
  readonly _getActiveHandles?: () => readonly unknown[];
  readonly _getActiveRequests?: () => readonly unknown[];
  readonly getActiveResourcesInfo?: () => readonly string[];
}

const internals = process as unknown as ProcessInternals;

/**
 * Counts the libuv handles that have a JavaScript owner (sockets, servers, pipes, child processes)
 * by the owner's constructor name.
 *
 * @param into - cleared, then filled with name → count
 * @returns false when the runtime has no `process._getActiveHandles`
 * @internal
 */
export function countActiveHandles(into: Map<string, number>): boolean {
  return countByConstructor(internals._getActiveHandles, into);
}

/**
 * Counts the libuv requests in flight (file system, DNS) by their constructor name.
 *
 * @param into - cleared, then filled with name → count
 * @returns false when the runtime has no `process._getActiveRequests`
 * @internal
 */
export function countActiveRequests(into: Map<string, number>): boolean {
  return countByConstructor(internals._getActiveRequests, into);
}

/**
 * Counts the resources keeping the event loop alive (`process.getActiveResourcesInfo()`: timers,
 * immediates, handles and requests) by resource type.
 *
 * @param into - cleared, then filled with type → count
 * @returns false when the runtime has no `process.getActiveResourcesInfo`
 * @internal
 */
export function countActiveResources(into: Map<string, number>): boolean {
  into.clear();
  const read = internals.getActiveResourcesInfo;
  if (typeof read !== 'function') return false;
  try {
    for (const type of read.call(process)) into.set(type, (into.get(type) ?? 0) + 1);
    return true;
  } catch {
    return false;
  }
}

function countByConstructor(read: (() => readonly unknown[]) | undefined, into: Map<string, number>): boolean {
  into.clear();
  if (typeof read !== 'function') return false;
  try {
    for (const item of read.call(process)) {
      // prom-client skips entries without a constructor; so do we, so the sums agree.
      const name = (item as { readonly constructor?: { readonly name?: unknown } } | null | undefined)?.constructor
        ?.name;
      if (typeof name === 'string') into.set(name, (into.get(name) ?? 0) + 1);
    }
    return true;
  } catch {
    return false;
  }
}
