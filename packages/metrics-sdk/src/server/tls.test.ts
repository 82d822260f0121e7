// TLS on a real server on 127.0.0.1, with throwaway certificates made by openssl (@ttquant/test-kit).

import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describeWithOpenssl, makeTestPki, type TestPki } from '@ttquant/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { MetricsError } from '../define/errors.js';
import { closed } from '../define/labels.js';
import { counter } from '../define/metric.js';
import type { MetricsAuth } from './auth.js';
import { MetricsServerConfigError } from './config-error.js';
import { createMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
import { checkTls, loadTls } from './tls.js';

class Secret extends catalog({
  fills: counter('secret_fills_total', 'Fills, which must not leak.', { venue: closed('binance') }),
}) {}

describeWithOpenssl('TLS (certificates made by openssl)', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki?.cleanup());

  const started: MetricsServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.close()));
  });

  async function serve(options: Partial<MetricsServerOptions> = {}): Promise<{ url: string; port: number }> {
    const metrics = new Secret();
    metrics.fills.inc({ venue: 'binance' });
    const server = createMetricsServer({
      sources: [metrics],
      service: 'tls-test',
      port: 0,
      runtimeMetrics: false,
      tls: { keyPath: pki.keyPath, certPath: pki.certPath },
      ...options,
    });
    started.push(server);
    return server.listen();
  }

  interface Reply {
    readonly status: number;
    readonly headers: IncomingHttpHeaders;
    readonly body: string;
  }

  interface GetOptions {
    readonly method?: 'GET' | 'HEAD' | 'POST';
    readonly authorization?: string;
    /** Trust the test CA; default true. */
    readonly trust?: boolean;
    /** Present the client certificate. */
    readonly clientCert?: boolean;
  }

  /** One HTTPS request on a fresh connection (no agent), verifying the server against the test CA. */
  function httpsGet(url: string, options: GetOptions = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: options.method ?? 'GET',
          agent: false,
          ca: options.trust === false ? undefined : readPem(pki.caPath),
          ...(options.clientCert ? { cert: readPem(pki.clientCertPath), key: readPem(pki.clientKeyPath) } : {}),
          headers: options.authorization === undefined ? {} : { authorization: options.authorization },
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', reject);
      req.end();
    });
  }

  function readPem(path: string): string {
    return readFileSync(path, 'utf8');
  }

  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  describe('loadTls', () => {
    it('names the option and the path when a file cannot be read', () => {
      const missing = join(pki.dir, 'nope.key');
      let error: unknown;
      try {
        loadTls({ keyPath: missing, certPath: pki.certPath });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(MetricsServerConfigError);
      expect(error).toBeInstanceOf(MetricsError);
      expect(error).toMatchObject({ name: 'MetricsServerConfigError', option: 'tls.keyPath', path: missing });
      expect((error as Error).message).toMatch(
        new RegExp(
          `^metrics server: tls\\.keyPath "${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": cannot be read \\(ENOENT`,
        ),
      );
      expect(() => loadTls({ keyPath: pki.keyPath, certPath: join(pki.dir, 'gone.pem') })).toThrow(
        expect.objectContaining({ option: 'tls.certPath' }),
      );
      expect(() =>
        loadTls({ keyPath: pki.keyPath, certPath: pki.certPath, caPath: join(pki.dir, 'ca-gone.pem') }),
      ).toThrow(expect.objectContaining({ option: 'tls.caPath' }));
    });

    it('rejects a key that does not match the certificate, and a file that is not PEM', () => {
      expect(() => loadTls({ keyPath: pki.clientKeyPath, certPath: pki.certPath })).toThrow(
        expect.objectContaining({ name: 'MetricsServerConfigError', option: 'tls.keyPath', path: pki.clientKeyPath }),
      );
      const junk = join(pki.dir, 'junk.pem');
      writeFileSync(junk, 'not a key\n');
      expect(() => loadTls({ keyPath: junk, certPath: pki.certPath })).toThrow(MetricsServerConfigError);
      expect(() => checkTls({ keyPath: '', certPath: pki.certPath })).toThrow(
        expect.objectContaining({ name: 'MetricsServerConfigError', option: 'tls.keyPath', path: undefined }),
      );
    });

    it('rejects a CA bundle with no certificate, or a broken one, which createSecureContext lets pass', () => {
      const junk = join(pki.dir, 'ca-junk.pem');
      writeFileSync(junk, 'garbage\n');
      expect(() => loadTls({ keyPath: pki.keyPath, certPath: pki.certPath, caPath: junk })).toThrow(
        expect.objectContaining({
          option: 'tls.caPath',
          message: expect.stringContaining('no "BEGIN CERTIFICATE" block'),
        }),
      );
      const broken = join(pki.dir, 'ca-broken.pem');
      writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      expect(() => loadTls({ keyPath: pki.keyPath, certPath: pki.certPath, caPath: broken })).toThrow(
        expect.objectContaining({ option: 'tls.caPath' }),
      );
    });

    it('is checked when the server is created, not on the first scrape', () => {
      expect(() =>
        createMetricsServer({
          sources: [],
          service: 'x',
          tls: { keyPath: join(pki.dir, 'missing.key'), certPath: pki.certPath },
        }),
      ).toThrow(MetricsServerConfigError);
    });

    it('asks for client certificates only when caPath is given', () => {
      expect(loadTls({ keyPath: pki.keyPath, certPath: pki.certPath })).not.toHaveProperty('requestCert');
      expect(loadTls({ keyPath: pki.keyPath, certPath: pki.certPath, caPath: pki.caPath })).toMatchObject({
        requestCert: true,
        rejectUnauthorized: true,
      });
    });
  });

  describe('metrics server over TLS (real server on 127.0.0.1)', () => {
    it('serves https:// and its certificate verifies against the CA for 127.0.0.1', async () => {
      const { url, port } = await serve();
      expect(url).toBe(`https://127.0.0.1:${port}`);
      const ok = await httpsGet(`${url}/metrics`);
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('secret_fills_total{venue="binance"} 1\n');
      // Without trusting the CA the client refuses the self-made certificate.
      await expect(httpsGet(`${url}/metrics`, { trust: false })).rejects.toThrow(/certificate/i);
    });

    it('gives a plain-HTTP client no metric data', async () => {
      const { port } = await serve();
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      await once(socket, 'connect');
      socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await once(socket, 'close');
      expect(Buffer.concat(chunks).toString('latin1')).not.toContain('secret_fills_total');
    });

    const bearer: MetricsAuth = { bearerToken: 'tls-token' };
    const userPass: MetricsAuth = { basic: { username: 'prometheus', password: 'p@ss' } };
    for (const [name, auth, good, wrong] of [
      ['bearer', bearer, 'Bearer tls-token', ['Bearer tls-toke', 'Bearer wrong', basic('prometheus', 'p@ss')]],
      [
        'basic',
        userPass,
        basic('prometheus', 'p@ss'),
        [basic('prometheus', 'nope'), basic('x', 'p@ss'), 'Bearer tls-token'],
      ],
    ] as const) {
      it(`${name} auth over TLS: wrong or missing credentials get 401 and no data, on GET and HEAD`, async () => {
        const { url } = await serve({ auth });
        for (const method of ['GET', 'HEAD'] as const) {
          for (const authorization of [undefined, ...wrong]) {
            const reply = await httpsGet(`${url}/metrics`, { method, authorization });
            expect({ method, authorization, status: reply.status }).toEqual({ method, authorization, status: 401 });
            expect(reply.body).not.toContain('secret_fills_total');
            expect(reply.headers['www-authenticate']).toMatch(name === 'bearer' ? /^Bearer / : /^Basic /);
          }
          const ok = await httpsGet(`${url}/metrics`, { method, authorization: good });
          expect(ok.status).toBe(200);
          if (method === 'GET') expect(ok.body).toContain('secret_fills_total{venue="binance"} 1\n');
          else expect(ok.body).toBe('');
        }
        expect((await httpsGet(`${url}/metrics`, { method: 'POST', authorization: good })).status).toBe(405);
      });
    }

    it('mutual TLS: without a client certificate signed by caPath there is no response at all', async () => {
      const { url } = await serve({
        tls: { keyPath: pki.keyPath, certPath: pki.certPath, caPath: pki.caPath },
        auth: bearer,
      });
      await expect(httpsGet(`${url}/metrics`, { authorization: 'Bearer tls-token' })).rejects.toThrow();
      const ok = await httpsGet(`${url}/metrics`, { authorization: 'Bearer tls-token', clientCert: true });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('secret_fills_total');
      expect((await httpsGet(`${url}/metrics`, { clientCert: true })).status).toBe(401);
    });

    it('disconnects a client that opens TCP and never starts the TLS handshake', async () => {
      const { port, url } = await serve({ timeouts: { headersMs: 200, requestMs: 400 } });
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      const closedSocket = once(socket, 'close');
      await once(socket, 'connect');
      expect((await httpsGet(`${url}/health`)).status).toBe(200);
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        closedSocket.then(() => 'closed'),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve('open'), 15_000);
        }),
      ]).finally(() => clearTimeout(timer));
      expect(outcome).toBe('closed');
    });
  });
});
