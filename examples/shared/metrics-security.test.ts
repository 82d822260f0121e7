import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithOpenssl, makeTestPki, type TestPki } from '@ttquant/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGatewayConfig } from '../gateway/config.js';
import { readMarketDataConfig } from '../market-data/config.js';
import { readEngineConfig } from '../strategy-engine/config.js';
import { ConfigError } from './config.js';
import { describeMetricsSecurity, readMetricsSecurity } from './metrics-security.js';

// readMetricsSecurity against real files in a temporary folder (and real certificates from openssl
// for the TLS checks): every way a half-done configuration is refused, naming the variable.

let dir: string;
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ttquant-metrics-security-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Asserts that `message` starts with `prefix` (the rest is the OS's or OpenSSL's wording). */
function expectPrefix(message: string, prefix: string): void {
  expect(message.slice(0, prefix.length)).toBe(prefix);
}

/** The ConfigError `fn` throws (fails the test when it throws nothing or something else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('readMetricsSecurity: auth', () => {
  it('is empty when nothing is set, and treats an empty variable as unset', () => {
    expect(readMetricsSecurity({})).toEqual({});
    expect(
      readMetricsSecurity({
        METRICS_BEARER_TOKEN_FILE: '',
        METRICS_BASIC_USER: '',
        METRICS_BASIC_PASSWORD_FILE: '',
        METRICS_TLS_KEY_FILE: '',
        METRICS_TLS_CERT_FILE: '',
        METRICS_TLS_CLIENT_CA_FILE: '',
      }),
    ).toEqual({});
  });

  it('reads a bearer token from its file, trimmed as Prometheus trims credentials_file', () => {
    const path = file('md.token', '  s3cr3t-token_0123456789\n');
    expect(readMetricsSecurity({ METRICS_BEARER_TOKEN_FILE: path })).toEqual({
      auth: { bearerToken: 's3cr3t-token_0123456789' },
    });
  });

  it('reads basic auth: the user from the environment, the password from its file, trimmed', () => {
    const path = file('gw.password', 'live p@ss:word\r\n');
    expect(readMetricsSecurity({ METRICS_BASIC_USER: 'prometheus', METRICS_BASIC_PASSWORD_FILE: path })).toEqual({
      auth: { basic: { username: 'prometheus', password: 'live p@ss:word' } },
    });
  });

  it('refuses a bearer token and basic auth together, naming both variables', () => {
    const token = file('both.token', 'abc');
    const password = file('both.password', 'pw');
    expect(
      configError(() =>
        readMetricsSecurity({
          METRICS_BEARER_TOKEN_FILE: token,
          METRICS_BASIC_USER: 'prometheus',
          METRICS_BASIC_PASSWORD_FILE: password,
        }),
      ).message,
    ).toBe('METRICS_BEARER_TOKEN_FILE and METRICS_BASIC_USER are both set: choose a bearer token or basic auth');
    expect(
      configError(() =>
        readMetricsSecurity({ METRICS_BEARER_TOKEN_FILE: token, METRICS_BASIC_PASSWORD_FILE: password }),
      ).message,
    ).toBe(
      'METRICS_BEARER_TOKEN_FILE and METRICS_BASIC_PASSWORD_FILE are both set: choose a bearer token or basic auth',
    );
  });

  it('refuses half of basic auth', () => {
    expect(configError(() => readMetricsSecurity({ METRICS_BASIC_USER: 'prometheus' })).message).toBe(
      'METRICS_BASIC_USER is set without METRICS_BASIC_PASSWORD_FILE: set both for basic auth',
    );
    expect(
      configError(() => readMetricsSecurity({ METRICS_BASIC_PASSWORD_FILE: file('half.password', 'pw') })).message,
    ).toBe('METRICS_BASIC_PASSWORD_FILE is set without METRICS_BASIC_USER: set both for basic auth');
  });

  it('refuses a user name with a colon, which basic auth cannot carry', () => {
    const password = file('colon.password', 'pw');
    expect(
      configError(() =>
        readMetricsSecurity({ METRICS_BASIC_USER: 'pro:metheus', METRICS_BASIC_PASSWORD_FILE: password }),
      ).message,
    ).toBe('METRICS_BASIC_USER=pro:metheus: a basic-auth user name has no colon or control characters');
  });

  it('refuses a file that does not exist or is a folder, naming the variable and the path', () => {
    const missing = join(dir, 'nope.token');
    const error = configError(() => readMetricsSecurity({ METRICS_BEARER_TOKEN_FILE: missing }));
    expectPrefix(error.message, `METRICS_BEARER_TOKEN_FILE=${missing}: cannot be read (ENOENT`);
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    expectPrefix(
      configError(() => readMetricsSecurity({ METRICS_BASIC_USER: 'p', METRICS_BASIC_PASSWORD_FILE: folder })).message,
      `METRICS_BASIC_PASSWORD_FILE=${folder}: cannot be read (EISDIR`,
    );
  });

  it('refuses a file the reader cannot open (permissions), through the injected reader', () => {
    const denied = (): string => {
      throw Object.assign(new Error("EACCES: permission denied, open '/run/secrets/md.token'"), { code: 'EACCES' });
    };
    expect(
      configError(() => readMetricsSecurity({ METRICS_BEARER_TOKEN_FILE: '/run/secrets/md.token' }, denied)).message,
    ).toBe(
      "METRICS_BEARER_TOKEN_FILE=/run/secrets/md.token: cannot be read (EACCES: permission denied, open '/run/secrets/md.token')",
    );
  });

  it('refuses an empty file and one that holds only whitespace', () => {
    const empty = file('empty.token', '');
    expect(configError(() => readMetricsSecurity({ METRICS_BEARER_TOKEN_FILE: empty })).message).toBe(
      `METRICS_BEARER_TOKEN_FILE=${empty}: the file is empty`,
    );
    const blank = file('blank.password', ' \n\t\n');
    expect(
      configError(() => readMetricsSecurity({ METRICS_BASIC_USER: 'p', METRICS_BASIC_PASSWORD_FILE: blank })).message,
    ).toBe(`METRICS_BASIC_PASSWORD_FILE=${blank}: the file holds only whitespace`);
  });

  it('refuses a token with a space or a second line inside, and never repeats the token', () => {
    for (const content of ['first-half second-half\n', 'line-one\nline-two\n']) {
      const path = file('two-words.token', content);
      const error = configError(() => readMetricsSecurity({ METRICS_BEARER_TOKEN_FILE: path }));
      expect(error.message).toBe(
        `METRICS_BEARER_TOKEN_FILE=${path}: the token must be one word (no spaces, line breaks or control characters)`,
      );
      expect(error.message).not.toContain('half');
      expect(error.message).not.toContain('line-');
    }
  });

  it('refuses a secret put directly in the environment, without repeating it', () => {
    for (const [name, instead] of [
      ['METRICS_BEARER_TOKEN', 'METRICS_BEARER_TOKEN_FILE'],
      ['METRICS_BASIC_PASSWORD', 'METRICS_BASIC_PASSWORD_FILE'],
    ] as const) {
      const error = configError(() => readMetricsSecurity({ [name]: 'hunter2' }));
      expect(error.message).toBe(`${name} is not read: put the secret in a file and set ${instead} to its path`);
      expect(error.message).not.toContain('hunter2');
    }
  });
});

describe('readMetricsSecurity: TLS pairs', () => {
  it('refuses a key without a certificate, a certificate without a key, and a client CA without either', () => {
    const pem = file('some.pem', 'not read: the pair is checked first');
    expect(configError(() => readMetricsSecurity({ METRICS_TLS_KEY_FILE: pem })).message).toBe(
      'METRICS_TLS_KEY_FILE is set without METRICS_TLS_CERT_FILE: set both for TLS',
    );
    expect(configError(() => readMetricsSecurity({ METRICS_TLS_CERT_FILE: pem })).message).toBe(
      'METRICS_TLS_CERT_FILE is set without METRICS_TLS_KEY_FILE: set both for TLS',
    );
    expect(configError(() => readMetricsSecurity({ METRICS_TLS_CLIENT_CA_FILE: pem })).message).toBe(
      'METRICS_TLS_CLIENT_CA_FILE is set without METRICS_TLS_KEY_FILE and METRICS_TLS_CERT_FILE: client certificates need TLS',
    );
  });

  it('refuses an unreadable or empty key or certificate file', () => {
    const missing = join(dir, 'missing.key');
    const empty = file('empty.pem', '');
    expectPrefix(
      configError(() => readMetricsSecurity({ METRICS_TLS_KEY_FILE: missing, METRICS_TLS_CERT_FILE: empty })).message,
      `METRICS_TLS_KEY_FILE=${missing}: cannot be read (ENOENT`,
    );
    const key = file('some.key', 'a key, not checked before the certificate is read');
    expect(
      configError(() => readMetricsSecurity({ METRICS_TLS_KEY_FILE: key, METRICS_TLS_CERT_FILE: empty })).message,
    ).toBe(`METRICS_TLS_CERT_FILE=${empty}: the file is empty`);
  });
});

describeWithOpenssl('readMetricsSecurity: TLS with real certificates', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki?.cleanup());

  it('passes the key and certificate paths (and the client CA) through for createMetricsServer', () => {
    expect(readMetricsSecurity({ METRICS_TLS_KEY_FILE: pki.keyPath, METRICS_TLS_CERT_FILE: pki.certPath })).toEqual({
      tls: { keyPath: pki.keyPath, certPath: pki.certPath },
    });
    expect(
      readMetricsSecurity({
        METRICS_TLS_KEY_FILE: pki.keyPath,
        METRICS_TLS_CERT_FILE: pki.certPath,
        METRICS_TLS_CLIENT_CA_FILE: pki.caPath,
      }),
    ).toEqual({ tls: { keyPath: pki.keyPath, certPath: pki.certPath, caPath: pki.caPath } });
  });

  it('combines auth and TLS', () => {
    const token = file('combined.token', 'tok\n');
    expect(
      readMetricsSecurity({
        METRICS_BEARER_TOKEN_FILE: token,
        METRICS_TLS_KEY_FILE: pki.keyPath,
        METRICS_TLS_CERT_FILE: pki.certPath,
      }),
    ).toEqual({ auth: { bearerToken: 'tok' }, tls: { keyPath: pki.keyPath, certPath: pki.certPath } });
  });

  it('refuses a key that does not belong to the certificate, and a key that is not PEM', () => {
    const mismatch = configError(() =>
      readMetricsSecurity({ METRICS_TLS_KEY_FILE: pki.keyPath, METRICS_TLS_CERT_FILE: pki.clientCertPath }),
    );
    expectPrefix(
      mismatch.message,
      `METRICS_TLS_KEY_FILE=${pki.keyPath} and METRICS_TLS_CERT_FILE=${pki.clientCertPath}: not a matching PEM key and certificate (`,
    );
    expect(mismatch.message).toContain('key values mismatch');
    const notPem = file('not-pem.key', 'hello');
    expectPrefix(
      configError(() => readMetricsSecurity({ METRICS_TLS_KEY_FILE: notPem, METRICS_TLS_CERT_FILE: pki.certPath }))
        .message,
      `METRICS_TLS_KEY_FILE=${notPem} and METRICS_TLS_CERT_FILE=${pki.certPath}: not a matching PEM key and certificate (`,
    );
  });

  it('refuses a client CA file with no certificate, or one that does not parse', () => {
    const tls = { METRICS_TLS_KEY_FILE: pki.keyPath, METRICS_TLS_CERT_FILE: pki.certPath };
    const key = file('ca-is-a-key.pem', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    expect(configError(() => readMetricsSecurity({ ...tls, METRICS_TLS_CLIENT_CA_FILE: key })).message).toBe(
      `METRICS_TLS_CLIENT_CA_FILE=${key}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
    const broken = file('broken-ca.pem', '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    expectPrefix(
      configError(() => readMetricsSecurity({ ...tls, METRICS_TLS_CLIENT_CA_FILE: broken })).message,
      `METRICS_TLS_CLIENT_CA_FILE=${broken}: certificate 1 of 1 does not parse (`,
    );
  });
});

describe('the three services read it', () => {
  const readers = [
    ['market-data', readMarketDataConfig],
    ['gateway', readGatewayConfig],
    ['strategy-engine', readEngineConfig],
  ] as const;

  it.each(readers)('%s: open by default, protected when configured, and a ConfigError otherwise', (_, read) => {
    expect(read({}).metricsSecurity).toEqual({});
    const token = file('service.token', 'service-token\n');
    expect(read({ METRICS_BEARER_TOKEN_FILE: token }).metricsSecurity).toEqual({
      auth: { bearerToken: 'service-token' },
    });
    expect(() => read({ METRICS_BASIC_USER: 'prometheus' })).toThrow(ConfigError);
  });
});

describe('describeMetricsSecurity', () => {
  it('says what a scraper must bring, and nothing for an open endpoint', () => {
    expect(describeMetricsSecurity({})).toBe('');
    expect(describeMetricsSecurity({ tls: { keyPath: 'k', certPath: 'c' } })).toBe('');
    expect(describeMetricsSecurity({ auth: { bearerToken: 't' } })).toBe(' (bearer token)');
    expect(
      describeMetricsSecurity({
        auth: { basic: { username: 'u', password: 'p' } },
        tls: { keyPath: 'k', certPath: 'c', caPath: 'ca' },
      }),
    ).toBe(' (basic auth, mutual TLS)');
  });
});
