// Waiting in tests: the condition is what is waited for, never a fixed sleep used as an assertion.

/** What a probe may return: a value ends the wait, `undefined` or `false` tries again. */
type Probed<T> = T | undefined | false;

/**
 * Calls `probe` until it returns a value other than `undefined` or `false`, pausing `intervalMs`
 * between tries. A boolean condition (`() => gauge.value === 0`) works as is and resolves `true`.
 *
 * @param probe - returns the awaited result, or `undefined`/`false` to try again; a throw gives up at once
 * @param what - named in the timeout error
 * @param timeoutMs - overall limit
 * @param intervalMs - pause between tries; in-process conditions use a few milliseconds
 * @returns the first result that is neither `undefined` nor `false`
 * @example
 * ```ts
 * await pollUntil(() => engine.runners.every((r) => r.idle), 'orders to finish', 5_000, 5);
 * const body = await pollUntil(async () => (await scrape()).includes('up 1') || undefined, 'a scrape');
 * ```
 */
export async function pollUntil<T>(
  probe: () => Probed<T> | Promise<Probed<T>>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
