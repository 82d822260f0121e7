import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { MetricsAuth, MetricsServerTls } from '@ttquant/metrics';
import { ConfigError } from './config.js';

// Protection of a service's /metrics from the environment, shared by market-data, the gateway and
// the strategy engine. Secrets only ever come from files (as Prometheus reads its side from
// `credentials_file` / `password_file`), so they never show in `ps e`, `docker inspect` or a
// crash dump of the environment. Every file is read and checked here, at start-up, so a mistake
// exits 2 naming the variable instead of failing on the first scrape.

type Env = Readonly<Record<string, string | undefined>>;

/** Reads a whole file as text; tests inject one to reach errors a real file system cannot give. */
export type ReadFile = (path: string) => string;

/** The `auth` and `tls` options of `createMetricsServer`, both absent when nothing is configured. */
export interface MetricsSecurity {
  /** A bearer token, or basic-auth credentials, required on `/metrics` (`/health` stays open). */
  readonly auth?: MetricsAuth;
  /** Serve HTTPS with this key and certificate; with `caPath`, require client certificates too. */
  readonly tls?: MetricsServerTls;
}

/**
 * Secrets put straight into the environment by mistake: refused, so that a user who sets one does
 * not run believing the endpoint is protected. The message never repeats the value.
 */
const SECRETS_IN_ENV: Readonly<Record<string, string>> = {
  METRICS_BEARER_TOKEN: 'METRICS_BEARER_TOKEN_FILE',
  METRICS_BASIC_PASSWORD: 'METRICS_BASIC_PASSWORD_FILE',
};

/**
 * Reads the metrics endpoint's protection from the environment: a bearer token
 * (`METRICS_BEARER_TOKEN_FILE`) or basic auth (`METRICS_BASIC_USER` + `METRICS_BASIC_PASSWORD_FILE`),
 * and TLS (`METRICS_TLS_KEY_FILE` + `METRICS_TLS_CERT_FILE`, optionally `METRICS_TLS_CLIENT_CA_FILE`
 * for mutual TLS). Token and password files are trimmed, as Prometheus trims its own secret files.
 * An empty variable counts as unset.
 *
 * @param env - the environment
 * @param read - reads a file as UTF-8 text; default `readFileSync`
 * @returns the options to spread into `createMetricsServer`; `{}` when none of the variables is set
 * @throws ConfigError naming the variable: half of a pair, both kinds of auth, a file that cannot be
 *   read or is empty, a token or user name that cannot be sent, a key that does not match its
 *   certificate, or a secret put directly in the environment
 * @example
 * ```ts
 * const security = readMetricsSecurity({ METRICS_BEARER_TOKEN_FILE: '/run/secrets/metrics.token' });
 * createMetricsServer({ service: 'gateway', sources: [gw], ...security });
 * ```
 */
export function readMetricsSecurity(env: Env, read: ReadFile = readText): MetricsSecurity {
  for (const [name, instead] of Object.entries(SECRETS_IN_ENV)) {
    if (set(env, name)) {
      throw new ConfigError(`${name} is not read: put the secret in a file and set ${instead} to its path`);
    }
  }
  const auth = readAuth(env, read);
  const tls = readTls(env, read);
  return { ...(auth === undefined ? {} : { auth }), ...(tls === undefined ? {} : { tls }) };
}

/**
 * A few words for a service's start-up line: what a scraper must bring.
 *
 * @param security - from {@link readMetricsSecurity}
 * @returns e.g. `' (bearer token, mutual TLS)'`, or `''` when the endpoint is open
 */
export function describeMetricsSecurity(security: MetricsSecurity): string {
  const parts: string[] = [];
  if (security.auth !== undefined) parts.push('bearerToken' in security.auth ? 'bearer token' : 'basic auth');
  if (security.tls?.caPath !== undefined) parts.push('mutual TLS');
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function readAuth(env: Env, read: ReadFile): MetricsAuth | undefined {
  const tokenFile = value(env, 'METRICS_BEARER_TOKEN_FILE');
  const user = value(env, 'METRICS_BASIC_USER');
  const passwordFile = value(env, 'METRICS_BASIC_PASSWORD_FILE');
  if (tokenFile !== undefined && (user !== undefined || passwordFile !== undefined)) {
    const basic = user !== undefined ? 'METRICS_BASIC_USER' : 'METRICS_BASIC_PASSWORD_FILE';
    throw new ConfigError(`METRICS_BEARER_TOKEN_FILE and ${basic} are both set: choose a bearer token or basic auth`);
  }
  if (tokenFile !== undefined) {
    const token = readSecret(read, 'METRICS_BEARER_TOKEN_FILE', tokenFile);
    // Sent as `Authorization: Bearer <token>`: whitespace inside (a second line, say) cannot match.
    if (/[\s\p{Cc}]/u.test(token)) {
      throw new ConfigError(
        `METRICS_BEARER_TOKEN_FILE=${tokenFile}: the token must be one word (no spaces, line breaks or control characters)`,
      );
    }
    return { bearerToken: token };
  }
  if (user === undefined && passwordFile === undefined) return undefined;
  if (passwordFile === undefined) {
    throw new ConfigError('METRICS_BASIC_USER is set without METRICS_BASIC_PASSWORD_FILE: set both for basic auth');
  }
  if (user === undefined) {
    throw new ConfigError('METRICS_BASIC_PASSWORD_FILE is set without METRICS_BASIC_USER: set both for basic auth');
  }
  // RFC 7617: the user-id ends at the first colon, so a user name with one can never match.
  if (user.includes(':') || /\p{Cc}/u.test(user)) {
    throw new ConfigError(`METRICS_BASIC_USER=${user}: a basic-auth user name has no colon or control characters`);
  }
  return { basic: { username: user, password: readSecret(read, 'METRICS_BASIC_PASSWORD_FILE', passwordFile) } };
}

function readTls(env: Env, read: ReadFile): MetricsServerTls | undefined {
  const keyPath = value(env, 'METRICS_TLS_KEY_FILE');
  const certPath = value(env, 'METRICS_TLS_CERT_FILE');
  const caPath = value(env, 'METRICS_TLS_CLIENT_CA_FILE');
  if (keyPath === undefined && certPath === undefined) {
    if (caPath !== undefined) {
      throw new ConfigError(
        'METRICS_TLS_CLIENT_CA_FILE is set without METRICS_TLS_KEY_FILE and METRICS_TLS_CERT_FILE: client certificates need TLS',
      );
    }
    return undefined;
  }
  if (certPath === undefined) {
    throw new ConfigError('METRICS_TLS_KEY_FILE is set without METRICS_TLS_CERT_FILE: set both for TLS');
  }
  if (keyPath === undefined) {
    throw new ConfigError('METRICS_TLS_CERT_FILE is set without METRICS_TLS_KEY_FILE: set both for TLS');
  }
  const key = readFile(read, 'METRICS_TLS_KEY_FILE', keyPath);
  const cert = readFile(read, 'METRICS_TLS_CERT_FILE', certPath);
  // createMetricsServer checks this too, but names its option; here the error names the variable
  // and the service exits 2 like for any other configuration error.
  try {
    createSecureContext({ key, cert });
  } catch (error) {
    throw new ConfigError(
      `METRICS_TLS_KEY_FILE=${keyPath} and METRICS_TLS_CERT_FILE=${certPath}: not a matching PEM key and certificate (${message(error)})`,
    );
  }
  if (caPath === undefined) return { keyPath, certPath };
  checkCaBundle(caPath, readFile(read, 'METRICS_TLS_CLIENT_CA_FILE', caPath));
  return { keyPath, certPath, caPath };
}

/** Every certificate of the bundle must parse: createSecureContext({ ca }) silently ignores garbage. */
function checkCaBundle(path: string, pem: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new ConfigError(`METRICS_TLS_CLIENT_CA_FILE=${path}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new ConfigError(
        `METRICS_TLS_CLIENT_CA_FILE=${path}: certificate ${i + 1} of ${blocks.length} does not parse (${message(error)})`,
      );
    }
  }
}

/** A token or password file: trimmed; empty is an error. The message names the file, never its content. */
function readSecret(read: ReadFile, name: string, path: string): string {
  const secret = readFile(read, name, path).trim();
  if (secret === '') throw new ConfigError(`${name}=${path}: the file holds only whitespace`);
  return secret;
}

function readFile(read: ReadFile, name: string, path: string): string {
  let text: string;
  try {
    text = read(path);
  } catch (error) {
    throw new ConfigError(`${name}=${path}: cannot be read (${message(error)})`);
  }
  if (text === '') throw new ConfigError(`${name}=${path}: the file is empty`);
  return text;
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

function value(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

function set(env: Env, name: string): boolean {
  return value(env, name) !== undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
