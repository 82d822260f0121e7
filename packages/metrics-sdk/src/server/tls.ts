import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { expectKeys, expectNonEmptyString, expectObject } from '../define/option-checks.js';
import { MetricsServerConfigError, serverOptionError } from './config-error.js';

/**
 * TLS settings of a metrics server: PEM files read once, when the server is created. Prometheus
 * scrapes it with `scheme: https` and a `tls_config` whose `ca_file` trusts the certificate.
 */
export interface MetricsServerTls {
  /** Path of the server's private key (PEM, unencrypted). */
  readonly keyPath: string;
  /** Path of the server's certificate (PEM), optionally followed by its intermediate certificates. */
  readonly certPath: string;
  /**
   * Path of a CA bundle (PEM) for mutual TLS: when set, a client must present a certificate signed
   * by one of these CAs (Prometheus' `tls_config.cert_file` / `key_file`), or the handshake fails
   * before any HTTP is read. Default: no client certificate is asked for.
   */
  readonly caPath?: string;
}

/** What node:https needs: the PEM bytes, and whether to ask for client certificates. @internal */
export interface LoadedTls {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** With `caPath`: the CAs, and a client certificate signed by one of them is required. */
  readonly ca?: Buffer;
  readonly requestCert?: true;
  readonly rejectUnauthorized?: true;
}

const TLS_KEYS: readonly (keyof MetricsServerTls)[] = ['keyPath', 'certPath', 'caPath'];

/**
 * Checks the `tls` option's shape: an object with non-empty `keyPath` and `certPath`, an optional
 * non-empty `caPath`, and no other key. The files are not read here (see {@link loadTls}).
 *
 * @param value - what the caller passed as `tls`
 * @returns a frozen copy
 * @throws MetricsServerConfigError naming the option
 * @internal
 */
export function checkTls(value: unknown): MetricsServerTls {
  const tls = expectObject(value, 'tls', serverOptionError);
  expectKeys(tls, 'tls', TLS_KEYS, serverOptionError);
  const file = (key: keyof MetricsServerTls) => expectNonEmptyString(tls[key], `tls.${key}`, serverOptionError);
  const keyPath = file('keyPath');
  const certPath = file('certPath');
  return Object.freeze(
    tls['caPath'] === undefined ? { keyPath, certPath } : { keyPath, certPath, caPath: file('caPath') },
  );
}

/**
 * Reads the PEM files and checks that they make a TLS context, so a bad path or a mismatched key
 * fails when the server is created, not on the first scrape.
 *
 * @param tls - the paths, already checked by {@link checkTls}
 * @returns the options for `https.createServer`
 * @throws MetricsServerConfigError naming the option and the path of a file that cannot be used
 * @internal
 */
export function loadTls(tls: MetricsServerTls): LoadedTls {
  const key = readPem('tls.keyPath', tls.keyPath);
  const cert = readPem('tls.certPath', tls.certPath);
  const ca = tls.caPath === undefined ? undefined : readPem('tls.caPath', tls.caPath);
  try {
    createSecureContext({ key, cert });
  } catch (error) {
    throw fileError(
      'tls.keyPath',
      tls.keyPath,
      `does not make a TLS context with tls.certPath "${tls.certPath}" (${describe(error)})`,
      error,
    );
  }
  if (ca !== undefined && tls.caPath !== undefined) checkCaBundle(tls.caPath, ca);
  return ca === undefined ? { key, cert } : { key, cert, ca, requestCert: true, rejectUnauthorized: true };
}

// createSecureContext({ ca }) accepts a file with no certificate in it at all, and mutual TLS would
// then refuse every client: parse each certificate of the bundle instead.
function checkCaBundle(path: string, ca: Buffer): void {
  const blocks = ca.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  const fail = (reason: string, error?: unknown): never => {
    throw fileError('tls.caPath', path, `is not a PEM CA bundle (${reason})`, error);
  };
  if (blocks.length === 0) fail('no "BEGIN CERTIFICATE" block');
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      fail(describe(error), error);
    }
  }
}

function readPem(option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw fileError(option, path, `cannot be read (${describe(error)})`, error);
  }
}

function fileError(option: string, path: string, message: string, cause: unknown): MetricsServerConfigError {
  return new MetricsServerConfigError(option, 'a readable PEM file', `${option} "${path}": ${message}`, {
    path,
    cause,
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
