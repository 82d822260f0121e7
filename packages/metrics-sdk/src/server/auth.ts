import { createHash, timingSafeEqual } from 'node:crypto';
import {
  expectKeys,
  expectNonEmptyString,
  expectObject,
  type OptionErrorFactory,
  optionProblem,
} from '../define/option-checks.js';
import { serverOptionError } from './config-error.js';

/**
 * Credentials a metrics server requires on `/metrics`: a bearer token (what Prometheus sends with
 * `authorization: { credentials_file: … }`) or HTTP basic auth (`basic_auth:`).
 */
export type MetricsAuth =
  | { readonly bearerToken: string }
  | { readonly basic: { readonly username: string; readonly password: string } };

/**
 * Checks the `auth` option: exactly one of `bearerToken` (a non-empty string) or `basic` (an object
 * with a non-empty `username` and `password`), and no other key.
 *
 * @param value - what the caller passed as `auth`
 * @param toError - the entry point's error factory (the server's by default)
 * @returns a frozen copy
 * @throws MetricsServerConfigError naming the option, e.g. `auth.basic.username`
 * @internal
 */
export function checkAuth(value: unknown, toError: OptionErrorFactory = serverOptionError): MetricsAuth {
  const auth = expectObject(value, 'auth', toError);
  expectKeys(auth, 'auth', ['bearerToken', 'basic'], toError);
  const hasToken = auth['bearerToken'] !== undefined;
  if (hasToken === (auth['basic'] !== undefined)) {
    throw toError(optionProblem('auth', 'exactly one of auth.bearerToken or auth.basic', value));
  }
  if (hasToken) {
    return Object.freeze({ bearerToken: expectNonEmptyString(auth['bearerToken'], 'auth.bearerToken', toError) });
  }
  const basic = expectObject(auth['basic'], 'auth.basic', toError);
  expectKeys(basic, 'auth.basic', ['username', 'password'], toError);
  const username = expectNonEmptyString(basic['username'], 'auth.basic.username', toError);
  const password = expectNonEmptyString(basic['password'], 'auth.basic.password', toError);
  return Object.freeze({ basic: Object.freeze({ username, password }) });
}

/**
 * The `Authorization` header that carries these credentials.
 *
 * @internal
 */
export function authorizationHeader(auth: MetricsAuth): string {
  return 'bearerToken' in auth
    ? `Bearer ${auth.bearerToken}`
    : `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`, 'utf8').toString('base64')}`;
}

/**
 * Builds the check for one configuration: `(authorizationHeader) => boolean`. The expected header is
 * hashed once; each request's header is hashed and compared with `timingSafeEqual`, so neither the
 * comparison time nor a length difference tells how much of a guess was right.
 *
 * @param auth - the credentials to require, already checked by {@link checkAuth}
 * @returns the check
 * @internal
 */
export function authorizationCheck(auth: MetricsAuth): (header: string | undefined) => boolean {
  const want = digest(authorizationHeader(auth));
  return (header) => header !== undefined && timingSafeEqual(digest(header), want);
}

/** The `WWW-Authenticate` challenge for a 401. @internal */
export function challenge(auth: MetricsAuth): string {
  return 'bearerToken' in auth ? 'Bearer realm="metrics"' : 'Basic realm="metrics", charset="UTF-8"';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
