// Throwaway certificates for tests, made with Debian's /usr/bin/openssl in a fresh temporary folder:
// a CA, a server certificate it signed for 127.0.0.1 and localhost, and a client certificate for
// mutual TLS. EC P-256 keys, valid for one day; nothing here is ever a real secret.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTools } from './tools.js';

/** Debian's openssl; `openssl` on PATH when it is elsewhere. */
const OPENSSL = existsSync('/usr/bin/openssl') ? '/usr/bin/openssl' : 'openssl';

/** Files made by {@link makeTestPki}, all PEM. */
export interface TestPki {
  /** The temporary folder that holds every file. */
  readonly dir: string;
  /** Self-signed CA certificate: Prometheus' `tls_config.ca_file`, a client's `ca`. */
  readonly caPath: string;
  /** Server private key (unencrypted). */
  readonly keyPath: string;
  /** Server certificate, signed by the CA, SAN `IP:127.0.0.1, DNS:localhost`, extended key usage serverAuth. */
  readonly certPath: string;
  /** Client private key, for mutual TLS. */
  readonly clientKeyPath: string;
  /** Client certificate, signed by the CA, extended key usage clientAuth. */
  readonly clientCertPath: string;
  /** Removes the folder. */
  cleanup(): void;
}

/**
 * Whether openssl can be run here.
 *
 * @returns true when `openssl version` exits 0
 */
export function hasOpenssl(): boolean {
  return spawnSync(OPENSSL, ['version'], { timeout: 10_000 }).status === 0;
}

/**
 * A `describe` that needs openssl, with the policy of `describeWithTools`: when openssl is missing,
 * on CI (env `CI` set) the block is one failing test that says what to install; locally it is
 * skipped with the reason in its name.
 *
 * @param title - the describe title
 * @param body - the describe body; not run at all when openssl is missing
 */
export function describeWithOpenssl(title: string, body: () => void): void {
  describeWithTools(title, ['openssl'], body);
}

/**
 * Makes a CA, a server certificate and a client certificate in a new temporary folder. The caller
 * must `cleanup()` (in `afterAll`, pass or fail).
 *
 * @returns the paths
 * @throws Error with openssl's output when a step fails
 * @example
 * ```ts
 * const pki = makeTestPki();
 * try { createMetricsServer({ ..., tls: { keyPath: pki.keyPath, certPath: pki.certPath } }); } finally { pki.cleanup(); }
 * ```
 */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'ttquant-tls-'));
  const at = (name: string) => join(dir, name);
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      at('ca.key'),
      '-out',
      at('ca.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=ttquant test CA',
    ]);
    const leaf = (name: string, cn: string, extensions: string): void => {
      writeFileSync(at(`${name}.ext`), extensions);
      openssl(['req', ...ec, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', `/CN=${cn}`]);
      openssl([
        'x509',
        '-req',
        '-in',
        at(`${name}.csr`),
        '-CA',
        at('ca.pem'),
        '-CAkey',
        at('ca.key'),
        '-CAcreateserial',
        '-days',
        '1',
        '-out',
        at(`${name}.pem`),
        '-extfile',
        at(`${name}.ext`),
      ]);
    };
    leaf(
      'server',
      '127.0.0.1',
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
    );
    leaf('client', 'prometheus', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    dir,
    caPath: at('ca.pem'),
    keyPath: at('server.key'),
    certPath: at('server.pem'),
    clientKeyPath: at('client.key'),
    clientCertPath: at('client.pem'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function openssl(args: readonly string[]): void {
  const result = spawnSync(OPENSSL, args, { encoding: 'utf8', timeout: 20_000 });
  if (result.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} failed (${result.status}): ${result.stderr}${result.error ?? ''}`);
  }
}
