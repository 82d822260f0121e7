// Environment configuration shared by the example services: every variable has a default, and a
// value that does not parse stops the process at start-up with a message naming the variable.

/** Thrown for a bad environment variable; services print it and exit 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads a string variable. */
export function envString(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : raw;
}

/** Reads a number variable within [min, max]. */
export function envNumber(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name}=${raw}: expected a number from ${min} to ${max}`);
  }
  return value;
}

/** Reads an integer variable within [min, max]. */
export function envInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = envNumber(env, name, fallback, min, max);
  if (!Number.isInteger(value)) throw new ConfigError(`${name}=${env[name]}: expected an integer`);
  return value;
}

/** Reads a TCP port (0 = any free port). */
export function envPort(env: Env, name: string, fallback: number): number {
  const port = envNumber(env, name, fallback, 0, 65_535);
  if (!Number.isInteger(port)) throw new ConfigError(`${name}=${env[name]}: expected an integer port`);
  return port;
}

/** Reads a fraction in [0, 1]. */
export function envFraction(env: Env, name: string, fallback: number): number {
  return envNumber(env, name, fallback, 0, 1);
}

/** Reads a comma-separated list restricted to `allowed`. */
export function envList<T extends string>(env: Env, name: string, fallback: readonly T[], allowed: readonly T[]): T[] {
  const raw = env[name];
  if (raw === undefined || raw === '') return [...fallback];
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new ConfigError(`${name}=${raw}: "${item}" is not one of ${allowed.join(', ')}`);
    }
  }
  return items as T[];
}
