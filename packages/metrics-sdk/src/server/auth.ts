import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Credentials a metrics server requires on `/metrics`: a bearer token (what Prometheus sends with
 * `authorization: { credentials_file: … }`) or HTTP basic auth (`basic_auth:`).
 */
export type MetricsAuth =
  | { readonly bearerToken: string }
  | { readonly basic: { readonly username: string; readonly password: string } };

/**
 * Builds the check for one configuration: `(authorizationHeader) => boolean`. The expected header is
 * hashed once; each request's header is hashed and compared with `timingSafeEqual`, so neither the
 * comparison time nor a length difference tells how much of a guess was right.
 *
 * @param auth - the credentials to require
 * @returns the check
 * @throws TypeError for an empty token, username or password
 * @internal
 */
export function authorizationCheck(auth: MetricsAuth): (header: string | undefined) => boolean {
  let expected: string;
  if ('bearerToken' in auth) {
    if (typeof auth.bearerToken !== 'string' || auth.bearerToken === '') {
      throw new TypeError('metrics server: auth.bearerToken must be a non-empty string');
    }
    expected = `Bearer ${auth.bearerToken}`;
  } else {
    const { username, password } = auth.basic;
    if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
      throw new TypeError('metrics server: auth.basic needs a non-empty username and password');
    }
    expected = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  }
  const want = digest(expected);
  return (header) => header !== undefined && timingSafeEqual(digest(header), want);
}

/** The `WWW-Authenticate` challenge for a 401. @internal */
export function challenge(auth: MetricsAuth): string {
  return 'bearerToken' in auth ? 'Bearer realm="metrics"' : 'Basic realm="metrics", charset="UTF-8"';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
