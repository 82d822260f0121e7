import type { Catalog } from './catalog.js';
import { MetricDefinitionError } from './errors.js';

// The checks behind every entry point's options. Untyped JavaScript (or a cast) can pass anything,
// and a wrong option must fail at the call, naming itself, rather than later inside a callback or a
// scrape. The core has no runtime dependency, so this is a small kit instead of a schema library:
// each entry point passes a factory, and so throws its own named error.

/** One option that failed its check: what every option error is built from. @internal */
export interface OptionProblem {
  /** Path of the option, e.g. `timeouts.headersMs`, `sources[2]`, `counter("x").labels`. */
  readonly option: string;
  /** What the option accepts, e.g. `a positive integer`. */
  readonly expected: string;
  /** The value given. */
  readonly value: unknown;
  /** What is wrong, without the option's name: `expected a boolean`, or `unknown option …`. */
  readonly reason: string;
  /** `<option>: <reason>; got <type and value>`. */
  readonly message: string;
}

/** Turns a problem into the error an entry point throws. @internal */
export type OptionErrorFactory = (problem: OptionProblem) => Error;

/**
 * The factory of the declaration layer (`counter()`, `closed()`, catalog options): one issue, at
 * the option's path.
 *
 * @param problem - the option that failed its check
 * @returns the error to throw
 * @internal
 */
export function toDefinitionError(problem: OptionProblem): MetricDefinitionError {
  const message = `${problem.reason}; got ${describeValue(problem.value)}`;
  return new MetricDefinitionError([{ path: problem.option, message }]);
}

const MAX_SHOWN = 40;

function shorten(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

/**
 * A short rendering of any value for an error message: its type, and the value itself when it is
 * a primitive. Never calls the value's own methods, so a hostile object cannot throw from here.
 *
 * @param value - anything
 * @returns e.g. `number 42`, `string "x"`, `null`, `array (length 2)`, `function`, `object`, `object Map`
 * @internal
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `string ${shorten(JSON.stringify(value))}`;
    case 'number':
      return `number ${Object.is(value, -0) ? '-0' : String(value)}`;
    case 'bigint':
      return `bigint ${shorten(String(value))}n`;
    case 'boolean':
      return `boolean ${String(value)}`;
    case 'symbol':
      return `symbol ${shorten(String(value))}`;
    case 'function':
      return 'function';
    case 'undefined':
      return 'undefined';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array (length ${value.length})`;
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return tag === 'Object' ? 'object' : `object ${tag}`;
}

/**
 * Describes one failed check.
 *
 * @param option - the option's path
 * @param expected - what it accepts
 * @param value - what was given
 * @param reason - what is wrong; default `expected <expected>`
 * @returns the problem, message included
 * @internal
 */
export function optionProblem(option: string, expected: string, value: unknown, reason?: string): OptionProblem {
  const why = reason ?? `expected ${expected}`;
  return { option, expected, value, reason: why, message: `${option}: ${why}; got ${describeValue(value)}` };
}

/**
 * The path of a key inside an option: `timeouts` + `headersMs` → `timeouts.headersMs`.
 *
 * @param path - the option holding the key (`''` at the top)
 * @param key - the key
 * @returns the key's path
 * @internal
 */
export function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function check<T>(ok: boolean, value: unknown, path: string, expected: string, toError: OptionErrorFactory): T {
  if (!ok) throw toError(optionProblem(path, expected, value));
  return value as T;
}

/**
 * Checks an options object: a plain object (or a class instance), not `null`, an array, a function,
 * or a built-in such as a Map or a Date, whose keys would never be read.
 *
 * Every `expect*` check takes the same three arguments and returns the value, typed, when it passes.
 *
 * @param value - what was given
 * @param path - the option's path, named by the error
 * @param toError - builds the entry point's own error, which the check throws
 * @returns the object
 * @internal
 */
export function expectObject(value: unknown, path: string, toError: OptionErrorFactory): Record<string, unknown> {
  const ok = typeof value === 'object' && value !== null && Object.prototype.toString.call(value) === '[object Object]';
  return check(ok, value, path, 'an object', toError);
}

/** Options renamed before 1.0, old name → new name: the error names the new one. */
export const RENAMED_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  processMetrics: 'runtimeMetrics',
  accounting: 'selfMetrics',
});

/**
 * Rejects a key that is not an option, so a typo (`procesMetrics`) fails instead of being ignored;
 * suggests the closest known key, or names the new name of a renamed one ({@link RENAMED_OPTIONS}).
 *
 * @param value - the options object
 * @param path - its path (`''` at the top)
 * @param allowed - every option it may hold
 * @param toError - see {@link expectObject}
 * @internal
 */
export function expectKeys(
  value: Record<string, unknown>,
  path: string,
  allowed: readonly string[],
  toError: OptionErrorFactory,
): void {
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const renamed = Object.hasOwn(RENAMED_OPTIONS, key) ? RENAMED_OPTIONS[key] : undefined;
    if (renamed !== undefined && allowed.includes(renamed)) {
      throw toError(optionProblem(childPath(path, key), 'to be left out', value[key], `was renamed ${renamed}`));
    }
    const near = closest(key, allowed);
    const hint = near === undefined ? '' : ` (did you mean "${near}"?)`;
    const expected = `one of ${allowed.join(', ')}`;
    throw toError(
      optionProblem(childPath(path, key), expected, value[key], `unknown option${hint}; expected ${expected}`),
    );
  }
}

/**
 * Checks a string (the empty one included).
 *
 * @returns the string (arguments: see {@link expectObject})
 * @internal
 */
export function expectString(value: unknown, path: string, toError: OptionErrorFactory): string {
  return check(typeof value === 'string', value, path, 'a string', toError);
}

/**
 * Checks a string of at least one character.
 *
 * @returns the string (arguments: see {@link expectObject})
 * @internal
 */
export function expectNonEmptyString(value: unknown, path: string, toError: OptionErrorFactory): string {
  return check(typeof value === 'string' && value !== '', value, path, 'a non-empty string', toError);
}

/**
 * Checks a boolean; `0`, `'false'` or a boxed `Boolean` are not one.
 *
 * @returns the boolean (arguments: see {@link expectObject})
 * @internal
 */
export function expectBoolean(value: unknown, path: string, toError: OptionErrorFactory): boolean {
  return check(typeof value === 'boolean', value, path, 'a boolean', toError);
}

/**
 * Checks a function (a hook or a clock), so a wrong one fails here rather than when first called.
 *
 * @returns the function (arguments: see {@link expectObject})
 * @internal
 */
export function expectFunction<F>(value: unknown, path: string, toError: OptionErrorFactory): F {
  return check(typeof value === 'function', value, path, 'a function', toError);
}

/**
 * Checks an array; its elements are the caller's to check, by index.
 *
 * @returns the array (arguments: see {@link expectObject})
 * @internal
 */
export function expectArray(value: unknown, path: string, toError: OptionErrorFactory): readonly unknown[] {
  return check(Array.isArray(value), value, path, 'an array', toError);
}

/**
 * Checks one of a few fixed strings.
 *
 * @param allowed - the strings accepted
 * @returns the string (other arguments: see {@link expectObject})
 * @internal
 */
export function expectOneOf<const T extends string>(
  value: unknown,
  path: string,
  allowed: readonly T[],
  toError: OptionErrorFactory,
): T {
  const ok = typeof value === 'string' && (allowed as readonly string[]).includes(value);
  return check(ok, value, path, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, toError);
}

/**
 * Checks a safe integer in `[min, max]`: no float, NaN, infinity or numeric string.
 *
 * @param min - the smallest accepted
 * @param max - the largest accepted
 * @param expected - how the error words it; default `an integer from <min> to <max>`
 * @returns the integer (other arguments: see {@link expectObject})
 * @internal
 */
export function expectInteger(
  value: unknown,
  path: string,
  min: number,
  max: number,
  toError: OptionErrorFactory,
  expected = `an integer from ${min} to ${max}`,
): number {
  const ok = Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
  return check(ok, value, path, expected, toError);
}

/**
 * Checks a safe integer ≥ 1 (a count, a limit in ms).
 *
 * @param expected - how the error words it; default `a positive integer`
 * @returns the integer (other arguments: see {@link expectObject})
 * @internal
 */
export function expectPositiveInteger(
  value: unknown,
  path: string,
  toError: OptionErrorFactory,
  expected = 'a positive integer',
): number {
  return expectInteger(value, path, 1, Number.MAX_SAFE_INTEGER, toError, expected);
}

/**
 * Checks a TCP port, `0` included (the system picks a free one).
 *
 * @returns the port (arguments: see {@link expectObject})
 * @internal
 */
export function expectPort(value: unknown, path: string, toError: OptionErrorFactory): number {
  return expectInteger(value, path, 0, 65_535, toError, 'a port (an integer from 0 to 65535)');
}

/**
 * Checks a finite number.
 *
 * @returns the number (arguments: see {@link expectObject})
 * @internal
 */
export function expectFiniteNumber(value: unknown, path: string, toError: OptionErrorFactory): number {
  return check(Number.isFinite(value), value, path, 'a finite number', toError);
}

/**
 * Checks a finite number > 0.
 *
 * @returns the number (arguments: see {@link expectObject})
 * @internal
 */
export function expectPositiveNumber(value: unknown, path: string, toError: OptionErrorFactory): number {
  const ok = Number.isFinite(value) && (value as number) > 0;
  return check(ok, value, path, 'a finite number > 0', toError);
}

/**
 * Checks the catalogs an exposition path reads: an array of catalog instances, each with the
 * `~families` array every reader iterates, so a wrong element is named by its index (`sources[2]`).
 *
 * @returns the catalogs (arguments: see {@link expectObject})
 * @internal
 */
export function expectSources(value: unknown, path: string, toError: OptionErrorFactory): readonly Catalog[] {
  const sources = check<readonly unknown[]>(
    Array.isArray(value),
    value,
    path,
    'an array of catalog instances',
    toError,
  );
  sources.forEach((source, i) => {
    const families = typeof source === 'object' && source !== null && (source as Partial<Catalog>)['~families'];
    check(Array.isArray(families), source, `${path}[${i}]`, 'a catalog instance (new MyCatalog())', toError);
  });
  return sources as readonly Catalog[];
}

// A suggestion only within a few edits (a third of the key), so an unrelated key gets none.
function closest(key: string, allowed: readonly string[]): string | undefined {
  if (key.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of allowed) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, substitute));
    }
    previous = row;
  }
  return previous[b.length] as number;
}
