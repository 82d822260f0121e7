import { afterEach, describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { closed } from '../define/labels.js';
import { counter } from '../define/metric.js';
import { checkAuth, type MetricsAuth } from './auth.js';
import { MetricsServerConfigError } from './config-error.js';
import { createMetricsServer, type MetricsServer } from './metrics-server.js';

class Secret extends catalog({
  pnl: counter('secret_fills_total', 'Fills, which must not leak.', { venue: closed('binance') }),
}) {}

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(auth: MetricsAuth): Promise<string> {
  const metrics = new Secret();
  metrics.pnl.inc({ venue: 'binance' });
  server = createMetricsServer({ sources: [metrics], service: 'auth-test', port: 0, runtimeMetrics: false, auth });
  return (await server.listen()).url;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('metrics server auth (real server on 127.0.0.1)', () => {
  it('bearer token: 401 with a challenge and no metric data unless the token matches', async () => {
    const url = await serve({ bearerToken: 's3cret-token' });
    for (const header of [undefined, 'Bearer wrong', 'Bearer s3cret-toke', 'Bearer s3cret-token2', 'Basic czNjcmV0']) {
      const response = await fetch(`${url}/metrics`, {
        headers: header === undefined ? {} : { authorization: header },
      });
      const body = await response.text();
      expect(response.status, String(header)).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(body).not.toContain('secret_fills_total');
    }
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer s3cret-token' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('secret_fills_total{venue="binance"} 1');
  });

  it('basic auth: only the right user and password get the body; HEAD is refused the same way', async () => {
    const url = await serve({ basic: { username: 'prometheus', password: 'p@ss:word' } });
    expect((await fetch(`${url}/metrics`, { headers: { authorization: basic('prometheus', 'nope') } })).status).toBe(
      401,
    );
    expect((await fetch(`${url}/metrics`, { headers: { authorization: basic('other', 'p@ss:word') } })).status).toBe(
      401,
    );
    expect((await fetch(`${url}/metrics`, { method: 'HEAD' })).status).toBe(401);
    const ok = await fetch(`${url}/metrics`, { headers: { authorization: basic('prometheus', 'p@ss:word') } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('secret_fills_total');
  });

  for (const [scheme, auth, good, wrong] of [
    [
      'bearer',
      { bearerToken: 's3cret-token' },
      'Bearer s3cret-token',
      ['', 'Bearer', 'Bearer ', 'bearer s3cret-token', 'Bearer s3cret-toke', basic('s3cret-token', '')],
    ],
    [
      'basic',
      { basic: { username: 'prometheus', password: 'p@ss:word' } },
      basic('prometheus', 'p@ss:word'),
      ['', 'Basic', basic('prometheus', 'p@ss:wor'), basic('prometheus', ''), 'Bearer p@ss:word', 'Basic !!!'],
    ],
  ] as const) {
    it(`${scheme}: GET and HEAD with missing or wrong credentials get 401, no data and no render`, async () => {
      const url = await serve(auth);
      for (const method of ['GET', 'HEAD'] as const) {
        for (const header of [undefined, ...wrong]) {
          const response = await fetch(`${url}/metrics`, {
            method,
            headers: header === undefined ? {} : { authorization: header },
          });
          const body = await response.text();
          expect({ method, header, status: response.status }).toEqual({ method, header, status: 401 });
          expect(body).toBe(method === 'GET' ? 'Unauthorized\n' : '');
          expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
        }
        expect(server?.['~stats']().collections).toBe(0);
      }
      const ok = await fetch(`${url}/metrics`, { method: 'HEAD', headers: { authorization: good } });
      expect(ok.status).toBe(200);
      expect(Number(ok.headers.get('content-length'))).toBeGreaterThan(0);
      const get = await fetch(`${url}/metrics`, { headers: { authorization: good } });
      expect(await get.text()).toContain('secret_fills_total{venue="binance"} 1\n');
    });
  }

  it('leaves /health open (no metric data in it) and other methods still 405', async () => {
    const url = await serve({ bearerToken: 't' });
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).not.toContain('secret_fills_total');
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('rejects empty credentials when the server is created', () => {
    expect(() => checkAuth({ bearerToken: '' })).toThrow(
      expect.objectContaining({ name: 'MetricsServerConfigError', option: 'auth.bearerToken' }),
    );
    expect(() => checkAuth({ basic: { username: 'u', password: '' } })).toThrow(
      expect.objectContaining({ name: 'MetricsServerConfigError', option: 'auth.basic.password' }),
    );
    const both = { bearerToken: 't', basic: { username: 'u', password: 'p' } } as unknown as MetricsAuth;
    expect(() => checkAuth(both)).toThrow(expect.objectContaining({ option: 'auth' }));
    expect(() => createMetricsServer({ sources: [], service: 'x', auth: {} as MetricsAuth })).toThrow(
      MetricsServerConfigError,
    );
  });
});
