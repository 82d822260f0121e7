// A real Prometheus 2.42 scrapes createMetricsServer over TLS with the credentials a user would
// configure: a bearer token from `authorization.credentials_file`, basic auth from `password_file`,
// the server certificate checked against `tls_config.ca_file` (SAN 127.0.0.1, no skip-verify), and a
// client certificate for mutual TLS. Jobs with a wrong or missing credential must be down with a 401
// and bring no metric data. `promtool check config` accepts the same config file.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeWithTools,
  instantQuery,
  makeTestPki,
  type PrometheusApi,
  pollQuery,
  prometheusApi,
  run,
  type Server,
  scrapedTargets,
  startServer,
  type TestPki,
} from '@ttquant/test-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { catalog } from '../../src/define/catalog.js';
import { closed } from '../../src/define/labels.js';
import { counter } from '../../src/define/metric.js';
import { createMetricsServer, type MetricsServer } from '../../src/server/metrics-server.js';

class Secret extends catalog({
  fills: counter('secret_fills_total', 'Fills, which must not leak.', { venue: closed('binance') }),
}) {}

const TOKEN = 'live-bearer-token-0123456789';
const USER = 'prometheus';
const PASSWORD = 'live p@ss:word';

/** Expected outcome per job: up, or down with a lastError matching the pattern. */
const JOBS: Record<string, 'up' | RegExp> = {
  'bearer-ok': 'up',
  'bearer-wrong-token': /^server returned HTTP status 401 Unauthorized$/,
  'bearer-missing': /^server returned HTTP status 401 Unauthorized$/,
  'basic-mtls-ok': 'up',
  'basic-wrong-password': /^server returned HTTP status 401 Unauthorized$/,
  // The handshake fails before HTTP: no status at all (Go's TLS 1.3 client reads the server's alert).
  'mtls-no-client-cert': /: remote error: tls: certificate required$/,
  // Plain HTTP to the TLS port gets no HTTP answer.
  'plain-http': /: (EOF|read: connection reset by peer)$/,
};

// openssl makes the certificates.
describeWithTools(
  'Prometheus 2.42 scrapes over TLS with bearer and basic auth',
  ['prometheus', 'promtool', 'openssl'],
  () => {
    let pki: TestPki | undefined;
    const servers: MetricsServer[] = [];
    let prometheus: Server | undefined;
    let configFile = '';

    // Prometheus starts in beforeAll, so the API function is made there.
    let api: PrometheusApi = () => Promise.reject(new Error('Prometheus did not start'));

    beforeAll(async () => {
      pki = makeTestPki();
      const tls = { keyPath: pki.keyPath, certPath: pki.certPath };
      const start = async (options: Partial<Parameters<typeof createMetricsServer>[0]>): Promise<string> => {
        const metrics = new Secret();
        metrics.fills.inc({ venue: 'binance' });
        const server = createMetricsServer({
          sources: [metrics],
          service: 'secure',
          port: 0,
          runtimeMetrics: false,
          ...options,
        });
        servers.push(server);
        const { port } = await server.listen();
        return `127.0.0.1:${port}`;
      };
      const bearerTarget = await start({ tls, auth: { bearerToken: TOKEN } });
      const basicTarget = await start({
        tls: { ...tls, caPath: pki.caPath },
        auth: { basic: { username: USER, password: PASSWORD } },
      });
      const { caPath, clientCertPath, clientKeyPath } = pki;

      prometheus = await startServer('prometheus', (port, dir) => {
        const secret = (name: string, value: string): string => {
          const path = join(dir, name);
          writeFileSync(path, `${value}\n`, { mode: 0o600 });
          return path;
        };
        const token = secret('token', TOKEN);
        const wrongToken = secret('wrong-token', `${TOKEN}x`);
        const password = secret('password', PASSWORD);
        const wrongPassword = secret('wrong-password', 'nope');
        const job = (name: string, target: string, lines: readonly string[]): string[] => [
          `  - job_name: ${name}`,
          ...lines.map((line) => `    ${line}`),
          `    static_configs: [{ targets: ['${target}'] }]`,
        ];
        const verify = `tls_config: { ca_file: ${caPath}, insecure_skip_verify: false }`;
        const mtls = `tls_config: { ca_file: ${caPath}, cert_file: ${clientCertPath}, key_file: ${clientKeyPath} }`;
        configFile = join(dir, 'prometheus.yml');
        writeFileSync(
          configFile,
          [
            'global: { scrape_interval: 1s, scrape_timeout: 1s }',
            'scrape_configs:',
            ...job('bearer-ok', bearerTarget, [
              'scheme: https',
              `authorization: { type: Bearer, credentials_file: ${token} }`,
              verify,
            ]),
            ...job('bearer-wrong-token', bearerTarget, [
              'scheme: https',
              `authorization: { type: Bearer, credentials_file: ${wrongToken} }`,
              verify,
            ]),
            ...job('bearer-missing', bearerTarget, ['scheme: https', verify]),
            ...job('basic-mtls-ok', basicTarget, [
              'scheme: https',
              `basic_auth: { username: ${USER}, password_file: ${password} }`,
              mtls,
            ]),
            ...job('basic-wrong-password', basicTarget, [
              'scheme: https',
              `basic_auth: { username: ${USER}, password_file: ${wrongPassword} }`,
              mtls,
            ]),
            ...job('mtls-no-client-cert', basicTarget, [
              'scheme: https',
              `basic_auth: { username: ${USER}, password_file: ${password} }`,
              verify,
            ]),
            ...job('plain-http', bearerTarget, [
              'scheme: http',
              `authorization: { type: Bearer, credentials_file: ${token} }`,
            ]),
            '',
          ].join('\n'),
        );
        return [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ];
      });
      api = prometheusApi(prometheus.url);
    });

    afterAll(async () => {
      try {
        await prometheus?.stop();
      } finally {
        await Promise.all(servers.map((server) => server.close()));
        pki?.cleanup();
      }
    });

    it('promtool check config accepts the config (credentials and certificates read from files)', async () => {
      const result = await run('promtool', ['check', 'config', configFile]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('SUCCESS');
    });

    it('reports up for the right credentials, and 401 (or a TLS failure) for every wrong one', async () => {
      const targets = await scrapedTargets(api, {
        count: Object.keys(JOBS).length,
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      const outcome = Object.fromEntries(
        targets.map((t) => [t.scrapePool, { health: t.health, lastError: t.lastError }]),
      );
      for (const [job, expected] of Object.entries(JOBS)) {
        const got = outcome[job];
        if (expected === 'up') {
          expect({ job, ...got }).toEqual({ job, health: 'up', lastError: '' });
        } else {
          expect({ job, health: got?.health }).toEqual({ job, health: 'down' });
          expect(got?.lastError, job).toMatch(expected);
        }
      }
      expect(targets.find((t) => t.scrapePool === 'bearer-ok')?.scrapeUrl).toMatch(
        /^https:\/\/127\.0\.0\.1:\d+\/metrics$/,
      );
    });

    it('stores up==1 and the metric only for the jobs with the right credentials', async () => {
      const up = await pollQuery(api, 'up', { count: Object.keys(JOBS).length, timeoutMs: 30_000, intervalMs: 250 });
      const upByJob = Object.fromEntries(up.map((s) => [s.metric['job'], s.value[1]]));
      expect(upByJob).toEqual(
        Object.fromEntries(Object.entries(JOBS).map(([job, e]) => [job, e === 'up' ? '1' : '0'])),
      );
      const fills = await instantQuery(api, 'secret_fills_total');
      expect(fills.map((s) => [s.metric['job'], s.metric['venue'], s.value[1]]).sort()).toEqual([
        ['basic-mtls-ok', 'binance', '1'],
        ['bearer-ok', 'binance', '1'],
      ]);
    });
  },
);
