/**
 * Wraps a hook so it runs for the first event of each metric only (the default hooks warn once,
 * the counts keep counting).
 *
 * @param hook - the hook to run once per metric
 * @returns a fresh wrapper with its own "already seen" memory
 * @internal
 */
export function firstPerMetric<E extends { readonly metric: string }>(hook: (event: E) => void): (event: E) => void {
  const seen = new Set<string>();
  return (event) => {
    if (seen.has(event.metric)) return;
    seen.add(event.metric);
    hook(event);
  };
}
