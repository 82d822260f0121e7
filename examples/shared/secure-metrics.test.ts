import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { describeWithOpenssl, freePort, makeTestPki, readExposition, type TestPki } from '@ttquant/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeExchange, startFakeExchange } from '../fixtures/fake-exchange.js';
import { readGatewayConfig } from '../gateway/config.js';
import { type GatewayHandle, startGateway } from '../gateway/service.js';
import { readMarketDataConfig } from '../market-data/config.js';
import type { SqlClient } from '../market-data/database.js';
import { type MarketDataHandle, startMarketData } from '../market-data/service.js';
import { readEngineConfig } from '../strategy-engine/config.js';
import { type StrategyEngine, startStrategyEngine } from '../strategy-engine/service.js';
import { createLogger } from './logger.js';

// The three services started for real from environment variables, protected the way
// monitoring/prometheus.secure.yml scrapes them: HTTPS with a certificate from a throwaway CA
// (openssl), a bearer token file for the strategy engine and market data, basic auth for the
// gateway, and mutual TLS on market data. A scrape without or with a wrong credential gets 401 and
// not one byte of metric data; the right one over HTTPS, trusting the CA, gets the exposition.

const TOKEN = 'engine-token-0123456789abcdef';
const MD_TOKEN = 'md-token-fedcba9876543210';
const USER = 'prometheus';
const PASSWORD = 'live p@ss:word';
const UNAUTHORIZED = 'Unauthorized\n';

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Get {
  readonly method?: 'GET' | 'HEAD';
  readonly authorization?: string;
  /** CA to trust; without it the system store is used (which does not know the test CA). */
  readonly ca?: Buffer;
  /** Client certificate and key, for mutual TLS. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** One request on a fresh connection (no agent, so nothing keeps a server's close() waiting). */
function get(url: string, options: Get = {}): Promise<Reply> {
  const headers = options.authorization === undefined ? {} : { authorization: options.authorization };
  const tls = { ca: options.ca, cert: options.cert, key: options.key };
  return new Promise((resolve, reject) => {
    const onResponse = (response: import('node:http').IncomingMessage): void => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    };
    const common = { method: options.method ?? 'GET', headers, agent: false as const, timeout: 5_000 };
    const request = url.startsWith('https:')
      ? httpsRequest(url, { ...common, ...tls }, onResponse)
      : httpRequest(url, common, onResponse);
    request.on('timeout', () => request.destroy(new Error(`timed out: ${url}`)));
    request.on('error', reject);
    request.end();
  });
}

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

/** A 401 that carries nothing of the exposition. */
function expectRefused(reply: Reply, challenge: string): void {
  expect(reply.status).toBe(401);
  expect(reply.headers['www-authenticate']).toBe(challenge);
  expect(reply.body).toBe(UNAUTHORIZED);
}

/**
 * A database that accepts every statement. No tick arrives in these tests (no exchange listens), so
 * nothing is stored; PGlite would only add its ~10 s start-up (market-data's own tests use it).
 */
const acceptingDatabase: SqlClient = {
  kind: 'pglite',
  query: async () => ({ rows: [] }),
  exec: async () => undefined,
  close: async () => undefined,
};

/** The request fails before any HTTP answer, with one of `codes`. */
async function expectNoReply(reply: Promise<Reply>, codes: readonly string[]): Promise<void> {
  const outcome = await reply.then(
    (r) => `HTTP ${r.status}`,
    (error: NodeJS.ErrnoException) => error.code ?? error.message,
  );
  expect(codes).toContain(outcome);
}

describeWithOpenssl('the services protect /metrics from their environment', () => {
  const logger = createLogger('secure-metrics-test', { LOG_LEVEL: 'silent' });
  let pki: TestPki;
  let ca: Buffer;
  beforeAll(() => {
    pki = makeTestPki();
    ca = readFileSync(pki.caPath);
  });
  afterAll(() => pki?.cleanup());

  /** A secret file in the test's temporary folder, with the trailing newline an editor leaves. */
  const secretFile = (name: string, secret: string): string => {
    const path = join(pki.dir, name);
    writeFileSync(path, `${secret}\n`, { mode: 0o600 });
    return path;
  };
  const tlsEnv = (): Record<string, string> => ({
    METRICS_HOST: '127.0.0.1',
    METRICS_TLS_KEY_FILE: pki.keyPath,
    METRICS_TLS_CERT_FILE: pki.certPath,
  });

  describe('strategy engine: bearer token over HTTPS (job strategy-engine)', () => {
    let engine: StrategyEngine | undefined;
    let metrics: string;
    let health: string;
    beforeAll(async () => {
      // Nothing needs to listen on the buses or the gateway: the engine connects lazily.
      engine = await startStrategyEngine(
        readEngineConfig({
          ...tlsEnv(),
          METRICS_BEARER_TOKEN_FILE: secretFile('strategy-engine.token', TOKEN),
          ENGINE_METRICS_PORT: '0',
          MD_ZMQ_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`,
          GATEWAY_ZMQ_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`,
          GATEWAY_URL: `http://127.0.0.1:${await freePort()}`,
        }),
        { logger },
      );
      metrics = `${engine.metrics.url}/metrics`;
      health = `${engine.metrics.url}/health`;
    });
    afterAll(async () => {
      await engine?.close();
    });

    it('serves HTTPS on the configured host', () => {
      expect(metrics).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
    });

    it('answers 401 and no metric data without a token, with a wrong one, or with basic auth', async () => {
      const challenge = 'Bearer realm="metrics"';
      expectRefused(await get(metrics, { ca }), challenge);
      expectRefused(await get(metrics, { ca, authorization: 'Bearer wrong-token' }), challenge);
      expectRefused(await get(metrics, { ca, authorization: `Bearer ${TOKEN}x` }), challenge);
      expectRefused(await get(metrics, { ca, authorization: `Bearer ${TOKEN.slice(0, -1)}` }), challenge);
      expectRefused(await get(metrics, { ca, authorization: basic(USER, TOKEN) }), challenge);
      const head = await get(metrics, { ca, method: 'HEAD' });
      expect(head.status).toBe(401);
      expect(head.body).toBe('');
    });

    it('serves the exposition to the right token (trimmed from its file) over HTTPS', async () => {
      const reply = await get(metrics, { ca, authorization: `Bearer ${TOKEN}` });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(reply.body).toContain('# TYPE strategy_pnl_total gauge\n');
      expect(reply.body).toContain('# TYPE engine_orders_sent_total counter\n');
      expect(readExposition(reply.body).names()).toEqual(
        expect.arrayContaining(['engine_active_strategies', 'process_start_time_seconds']),
      );
    });

    it('keeps /health open, for probes and the pipeline', async () => {
      const reply = await get(health, { ca });
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({ status: 'ok', service: 'strategy-engine' });
    });

    it('is really TLS: a client that does not trust the CA, or speaks plain HTTP, gets nothing', async () => {
      await expect(get(metrics, { authorization: `Bearer ${TOKEN}` })).rejects.toMatchObject({
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      });
      await expectNoReply(get(metrics.replace('https:', 'http:'), { authorization: `Bearer ${TOKEN}` }), [
        'ECONNRESET',
      ]);
    });
  });

  describe('gateway: basic auth over HTTPS (job gateway)', () => {
    let fake: FakeExchange | undefined;
    let gateway: GatewayHandle | undefined;
    let metrics: string;
    beforeAll(async () => {
      fake = await startFakeExchange();
      gateway = await startGateway(
        readGatewayConfig({
          ...tlsEnv(),
          METRICS_BASIC_USER: USER,
          METRICS_BASIC_PASSWORD_FILE: secretFile('gateway.password', PASSWORD),
          EXCHANGE_URL: fake.url,
          GATEWAY_ORDER_PORT: '0',
          GATEWAY_METRICS_PORT: '0',
          GATEWAY_ZMQ_ENDPOINT: 'tcp://127.0.0.1:*',
          MD_ZMQ_ENDPOINT: '',
        }),
        { logger },
      );
      metrics = `${gateway.metricsUrl}/metrics`;
    });
    afterAll(async () => {
      await gateway?.close();
      await fake?.close();
    });

    it('answers 401 and no metric data to a wrong password, a wrong user or a bearer token', async () => {
      const challenge = 'Basic realm="metrics", charset="UTF-8"';
      expectRefused(await get(metrics, { ca }), challenge);
      expectRefused(await get(metrics, { ca, authorization: basic(USER, 'wrong') }), challenge);
      expectRefused(await get(metrics, { ca, authorization: basic('admin', PASSWORD) }), challenge);
      expectRefused(await get(metrics, { ca, authorization: `Bearer ${PASSWORD}` }), challenge);
    });

    it('serves the exposition to prometheus with the password from its file', async () => {
      expect(metrics).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const reply = await get(metrics, { ca, authorization: basic(USER, PASSWORD) });
      expect(reply.status).toBe(200);
      expect(reply.body).toContain('# TYPE orders_total counter\n');
      expect(reply.body).toContain('# TYPE risk_exposure_usd gauge\n');
    });
  });

  describe('market data: bearer token and mutual TLS (job market-data, with tls.caPath)', () => {
    let md: MarketDataHandle | undefined;
    let metrics: string;
    let client: { cert: Buffer; key: Buffer };
    beforeAll(async () => {
      client = { cert: readFileSync(pki.clientCertPath), key: readFileSync(pki.clientKeyPath) };
      // No exchange listens: the feeds keep reconnecting in the background, which is all this needs.
      md = await startMarketData(
        readMarketDataConfig({
          ...tlsEnv(),
          MD_SPOOL_DIR: '',
          DB_DATA_DIR: 'memory',
          METRICS_TLS_CLIENT_CA_FILE: pki.caPath,
          METRICS_BEARER_TOKEN_FILE: secretFile('market-data.token', MD_TOKEN),
          EXCHANGE_WS_URL: `ws://127.0.0.1:${await freePort()}`,
          MD_ZMQ_ENDPOINT: 'tcp://127.0.0.1:*',
          MD_METRICS_PORT: '0',
          MD_RECONNECT_MIN_MS: '1000',
          MD_RECONNECT_MAX_MS: '5000',
        }),
        { logger, database: acceptingDatabase },
      );
      metrics = `${md.metricsUrl}/metrics`;
    });
    afterAll(async () => {
      await md?.close();
    });

    it('refuses a client without a certificate before any HTTP', async () => {
      // TLS 1.3: the server's alert arrives after the client's handshake; a reset is the same refusal.
      await expectNoReply(get(metrics, { ca, authorization: `Bearer ${MD_TOKEN}` }), [
        'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
        'ECONNRESET',
      ]);
    });

    it('answers 401 to a client with a certificate but without the token', async () => {
      expectRefused(await get(metrics, { ca, ...client }), 'Bearer realm="metrics"');
      expectRefused(await get(metrics, { ca, ...client, authorization: `Bearer ${TOKEN}` }), 'Bearer realm="metrics"');
    });

    it('serves the exposition to a client with both', async () => {
      const reply = await get(metrics, { ca, ...client, authorization: `Bearer ${MD_TOKEN}` });
      expect(reply.status).toBe(200);
      expect(reply.body).toContain('# TYPE market_data_received_total counter\n');
      expect(reply.body).toContain('# TYPE db_buffered_ticks gauge\n');
    });
  });
});
