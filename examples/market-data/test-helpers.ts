// Shared by this folder's tests.

/**
 * Polls `predicate` every 5 ms until it holds.
 *
 * @param predicate - the condition
 * @param what - named in the error
 * @param timeoutMs - give up after this long
 * @returns resolves when the condition holds; rejects at the timeout
 */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
