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

/**
 * Calls `probe` until it reports no failures, pausing `intervalMs` between tries, and returns the last
 * list it reported: empty once the condition holds, else what still failed when time ran out. Unlike
 * {@link pollUntil} it never throws on a timeout, so the assertion that follows shows every failure,
 * not only that the wait ended. A probe that throws counts as one failure, its message, and is tried
 * again (a service that is still starting is "not yet", not the end of the test).
 *
 * @param probe - returns what is still wrong, one readable line each; an empty list when all holds
 * @param timeoutMs - overall limit
 * @param intervalMs - pause between tries
 * @returns `[]` once the probe passes, or the failures of its last try
 * @example
 * ```ts
 * const failing = await settle(async () => CHECKS.filter((check) => !check.ok(await scrape())).map(String), 60_000);
 * expect(failing).toEqual([]);
 * ```
 */
export async function settle(
  probe: () => readonly string[] | Promise<readonly string[]>,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failing = await tryProbe(probe);
    if (failing.length === 0 || Date.now() > deadline) return failing;
    await delay(intervalMs);
  }
}

async function tryProbe(probe: () => readonly string[] | Promise<readonly string[]>): Promise<string[]> {
  try {
    return [...(await probe())];
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
