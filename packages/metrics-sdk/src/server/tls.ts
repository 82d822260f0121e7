import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { MetricsError } from '../define/errors.js';

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

/**
 * Thrown by `createMetricsServer` when a configured file cannot be used: a TLS path that cannot be
 * read, or a key and certificate that do not make a TLS context (bad PEM, or a key that does not
 * match the certificate). The message names the option and the path.
 */
export class MetricsServerConfigError extends MetricsError {
  override name = 'MetricsServerConfigError';
  /** The option at fault, e.g. `tls.keyPath`. */
  readonly option: string;
  /** The file it named. */
  readonly path: string;

  /**
   * @param option - the option at fault
   * @param path - the file it named
   * @param message - what went wrong
   * @param cause - the underlying error
   */
  constructor(option: string, path: string, message: string, cause: unknown) {
    super(`metrics server: ${option} "${path}": ${message}`, { cause });
    this.option = option;
    this.path = path;
  }
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

/**
 * Reads the PEM files and checks that they make a TLS context, so a bad path or a mismatched key
 * fails when the server is created, not on the first scrape.
 *
 * @param tls - the paths
 * @returns the options for `https.createServer`
 * @throws MetricsServerConfigError naming the option and path
 * @throws TypeError when a path is not a non-empty string
 * @internal
 */
export function loadTls(tls: MetricsServerTls): LoadedTls {
  const key = readPem('tls.keyPath', tls.keyPath);
  const cert = readPem('tls.certPath', tls.certPath);
  const ca = tls.caPath === undefined ? undefined : readPem('tls.caPath', tls.caPath);
  try {
    createSecureContext({ key, cert });
  } catch (error) {
    throw new MetricsServerConfigError(
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
    throw new MetricsServerConfigError('tls.caPath', path, `is not a PEM CA bundle (${reason})`, error);
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
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`metrics server: ${option} must be a non-empty path`);
  try {
    return readFileSync(path);
  } catch (error) {
    throw new MetricsServerConfigError(option, path, `cannot be read (${describe(error)})`, error);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
