/**
 * How a metric's label resolver may be built: `'auto'` compiles it with `new Function` when the
 * host allows code generation from strings and interprets it otherwise; `'never'` always
 * interprets it, without even probing (a strict-CSP page then logs and reports no violation).
 *
 * @internal
 */
export type CodeGeneration = 'auto' | 'never';

/**
 * Tries once to compile and run a trivial function. Node's `--disallow-code-generation-from-strings`,
 * a Content Security Policy without `'unsafe-eval'` and edge runtimes all make `new Function` throw
 * an `EvalError`; any other failure of so small a body means the same thing here, since the
 * interpreted resolver is always correct and only the fast path is lost.
 *
 * @param compile - the constructor to probe; tests pass a throwing stand-in
 * @returns `true` when code generated from strings runs in this realm
 * @internal
 */
export function probeCodeGeneration(compile: FunctionConstructor = Function): boolean {
  try {
    return (new compile('return 1') as () => unknown)() === 1;
  } catch {
    return false;
  }
}

// The realm's answer never changes, so it is probed once, when the first resolver with labels is
// built (not at import: importing the SDK has no side effects), and a strict-CSP page sees at most
// one violation report. A memo of the environment, not a setting: nothing writes it but the probe.
let allowed: boolean | undefined;

/**
 * Whether this realm allows code generation from strings, probed on first use and cached.
 *
 * @returns `true` when `new Function` works here
 * @internal
 */
export function codeGenerationAllowed(): boolean {
  allowed ??= probeCodeGeneration();
  return allowed;
}
