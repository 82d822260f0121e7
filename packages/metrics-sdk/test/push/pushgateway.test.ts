import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  describeWithTools,
  type Exposition,
  readExposition,
  startServer,
  type Server as ToolServer,
} from '@ttquant/test-kit';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../../src/define/catalog.js';
import { MetricsOptionError } from '../../src/define/errors.js';
import { closed } from '../../src/define/labels.js';
import { counter, gauge, histogram } from '../../src/define/metric.js';
import { PushgatewayClient, PushgatewayError } from '../../src/push/pushgateway.js';

// The push client against a real Pushgateway (Debian's prometheus-pushgateway): what it holds after
// each push is read back from its own /metrics, as Prometheus would scrape it with honor_labels.

class Run extends catalog({
  ticks: counter('bt_ticks_replayed_total', 'Ticks replayed.', { venue: closed('binance', 'okx') }),
  pnl: gauge('bt_pnl_usd', 'PnL.', {}),
  latency: histogram('bt_decision_ms', 'Decision time.', {}, { buckets: [1, 10] }),
}) {}

class Extra extends catalog({
  duration: gauge('bt_run_duration_seconds', 'Run duration.', {}),
}) {}

function run(ticks: number, pnl: number): Run {
  const metrics = new Run();
  metrics.ticks.add({ venue: 'binance' }, ticks);
  metrics.pnl.set({}, pnl);
  metrics.latency.observe({}, 3);
  return metrics;
}

const USER = 'backtester';
const PASSWORD = 'correct horse battery staple';

describeWithTools('PushgatewayClient against a real Pushgateway', ['prometheus-pushgateway'], () => {
  let gateway: ToolServer;
  let guarded: ToolServer;
  let proxy: Server;
  let proxyUrl: string;
  beforeAll(async () => {
    // Each gateway keeps its pushed groups in a file of its own test folder: Debian's build otherwise
    // shares /var/lib/prometheus/pushgateway.data between every gateway started without the flag.
    gateway = await startServer('prometheus-pushgateway', (port, dir) => [
      `--web.listen-address=127.0.0.1:${port}`,
      `--persistence.file=${join(dir, 'pushgateway.data')}`,
    ]);
    // Basic auth as the Pushgateway itself requires it (web config with a bcrypt hash).
    guarded = await startServer(
      'prometheus-pushgateway',
      (port, dir) => {
        const config = join(dir, 'web.yml');
        writeFileSync(config, `basic_auth_users:\n  ${USER}: ${bcrypt.hashSync(PASSWORD, 4)}\n`);
        return [
          `--web.listen-address=127.0.0.1:${port}`,
          `--web.config.file=${config}`,
          `--persistence.file=${join(dir, 'pushgateway.data')}`,
        ];
      },
      { readyStatus: 401 },
    );
    // A bearer token as a proxy in front of the gateway requires it (the gateway has no tokens).
    proxy = createServer((incoming, outgoing) => {
      if (incoming.headers.authorization !== 'Bearer s3cret') {
        outgoing.writeHead(401).end('bearer token required\n');
        return;
      }
      const target = new URL(incoming.url ?? '/', gateway.url);
      const forward = request(target, { method: incoming.method, headers: incoming.headers }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      incoming.pipe(forward);
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    proxy?.close();
    await gateway?.stop();
    await guarded?.stop();
  });

  async function held(): Promise<Exposition> {
    return readExposition(await (await fetch(`${gateway.url}/metrics`)).text());
  }

  it('replaces a group with PUT, adds to it with POST, and removes it with DELETE', async () => {
    const group = { job: 'backtest', run_id: 'r1' };
    const client = new PushgatewayClient({ url: gateway.url, job: 'backtest', grouping: { run_id: 'r1' } });
    await client.push([run(120, -3.5)]);
    let body = await held();
    expect(body.value('bt_ticks_replayed_total', { ...group, instance: '', venue: 'binance' })).toBe(120);
    expect(body.value('bt_pnl_usd', { ...group, instance: '' })).toBe(-3.5);
    expect(body.value('bt_decision_ms_count', { ...group, instance: '' })).toBe(1);
    expect(body.value('push_time_seconds', { ...group, instance: '' })).toBeGreaterThan(0);

    // POST: the group keeps what it had and gains the new names.
    const extra = new Extra();
    extra.duration.set({}, 42);
    await client.pushAdd([extra]);
    body = await held();
    expect(body.value('bt_run_duration_seconds', { ...group, instance: '' })).toBe(42);
    expect(body.value('bt_pnl_usd', { ...group, instance: '' })).toBe(-3.5);

    // PUT: everything of the group is replaced, the names it does not push included.
    await client.push([run(200, 7)]);
    body = await held();
    expect(body.value('bt_ticks_replayed_total', { ...group, instance: '', venue: 'binance' })).toBe(200);
    expect(body.value('bt_run_duration_seconds', { ...group, instance: '' })).toBeUndefined();

    await client.delete();
    body = await held();
    expect(body.select('bt_pnl_usd', group)).toHaveLength(0);
  });

  it('keeps groups apart, carries any grouping value (a slash, an empty one), and sends protobuf or plain bodies', async () => {
    const a = new PushgatewayClient({ url: gateway.url, job: 'backtest', grouping: { run_id: 'strategies/ma_cross' } });
    const b = new PushgatewayClient({
      url: `${gateway.url}/`,
      job: 'backtest',
      grouping: { run_id: '', desk: 'fx desk' },
      gzip: false,
      format: 'prometheus-protobuf',
    });
    await a.push([run(1, 1)]);
    await b.push([run(2, 2)]);
    let body = await held();
    expect(body.value('bt_pnl_usd', { job: 'backtest', run_id: 'strategies/ma_cross', instance: '' })).toBe(1);
    expect(body.value('bt_pnl_usd', { job: 'backtest', run_id: '', desk: 'fx desk', instance: '' })).toBe(2);
    expect(body.value('bt_decision_ms_count', { job: 'backtest', run_id: '', desk: 'fx desk', instance: '' })).toBe(1);
    await a.delete();
    body = await held();
    expect(body.select('bt_pnl_usd', { run_id: 'strategies/ma_cross' })).toHaveLength(0);
    expect(body.value('bt_pnl_usd', { job: 'backtest', run_id: '', desk: 'fx desk', instance: '' })).toBe(2);
    await b.delete();
  });

  it('sends basic auth to a gateway that requires it, and reports a refusal with its status', async () => {
    const good = new PushgatewayClient({
      url: guarded.url,
      job: 'j',
      auth: { basic: { username: USER, password: PASSWORD } },
    });
    await good.push([run(5, 5)]);
    const stored = await fetch(`${guarded.url}/metrics`, {
      headers: { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` },
    });
    expect(readExposition(await stored.text()).value('bt_pnl_usd', { job: 'j', instance: '' })).toBe(5);
    const bad = new PushgatewayClient({
      url: guarded.url,
      job: 'j',
      auth: { basic: { username: USER, password: 'guess' } },
    });
    const refused = await bad.push([run(5, 5)]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PushgatewayError);
    expect((refused as PushgatewayError).status).toBe(401);
    expect((refused as Error).message).toMatch(/Pushgateway PUT http:\/\/127\.0\.0\.1:\d+\/metrics\/job\/j: 401/);
  });

  it('sends a bearer token to a gateway behind a proxy that requires one', async () => {
    await new PushgatewayClient({ url: proxyUrl, job: 'bearer', auth: { bearerToken: 's3cret' } }).push([run(9, 9)]);
    expect((await held()).value('bt_pnl_usd', { job: 'bearer', instance: '' })).toBe(9);
    const refused = await new PushgatewayClient({ url: proxyUrl, job: 'bearer', auth: { bearerToken: 'nope' } })
      .delete()
      .catch((error: unknown) => error);
    expect((refused as PushgatewayError).status).toBe(401);
    expect((refused as Error).message).toMatch(/bearer token required/);
    await new PushgatewayClient({ url: gateway.url, job: 'bearer' }).delete();
  });

  it('reports what the gateway refuses: a metric of another type than the same name in another group', async () => {
    class AsGauge extends catalog({ x: gauge('bt_kind', 'Kind.', {}) }) {}
    class AsCounter extends catalog({ x: counter('bt_kind', 'Kind.', {}) }) {}
    const gaugeRun = new AsGauge();
    gaugeRun.x.set({}, 1);
    const counterRun = new AsCounter();
    counterRun.x.inc({});
    await new PushgatewayClient({ url: gateway.url, job: 'kind', grouping: { run_id: 'a' } }).push([gaugeRun]);
    const refused = await new PushgatewayClient({ url: gateway.url, job: 'kind', grouping: { run_id: 'b' } })
      .push([counterRun])
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PushgatewayError);
    expect((refused as PushgatewayError).status).toBe(400);
    expect((refused as Error).message).toMatch(/bt_kind/);
    await new PushgatewayClient({ url: gateway.url, job: 'kind', grouping: { run_id: 'a' } }).delete();
  });
});

describe('PushgatewayClient without a gateway', () => {
  it('gives up after timeoutMs on a gateway that never answers, saying so', async () => {
    const silent = createServer(() => {});
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const error = await new PushgatewayClient({ url, job: 'j', timeoutMs: 200 })
        .push([run(1, 1)])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PushgatewayError);
      expect((error as PushgatewayError).status).toBeUndefined();
      expect((error as Error).message).toMatch(/no answer within 200 ms/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('names each wrong option at the call', () => {
    const base = { url: 'http://127.0.0.1:9091', job: 'j' };
    const wrong = (options: object, option: string, message: RegExp) => {
      let error: unknown;
      try {
        new PushgatewayClient({ ...base, ...options } as never);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(MetricsOptionError);
      expect((error as MetricsOptionError).option).toBe(option);
      expect((error as Error).message).toMatch(message);
    };
    wrong({ url: 'ftp://x' }, 'url', /url: expected an http:\/\/ or https:\/\/ URL/);
    wrong({ url: 'http://x/?a=1' }, 'url', /without a query/);
    wrong({ url: 'not a url' }, 'url', /not a URL/);
    wrong({ job: '' }, 'job', /job: expected a non-empty string/);
    wrong({ grouping: { job: 'x' } }, 'grouping.job', /given as `job`/);
    wrong({ grouping: { 'run-id': 'x' } }, 'grouping.run-id', /not a label name/);
    wrong({ grouping: { __name__: 'x' } }, 'grouping.__name__', /not a label name/);
    wrong({ grouping: { run_id: 7 } }, 'grouping.run_id', /expected a string/);
    wrong({ timeoutMs: 0 }, 'timeoutMs', /a positive integer/);
    wrong({ format: 'openmetrics-text' }, 'format', /format: expected one of/);
    wrong({ auth: { bearerToken: '' } }, 'auth.bearerToken', /non-empty/);
    wrong({ retries: 3 }, 'retries', /unknown option/);
    expect(new PushgatewayClient({ ...base, grouping: { run_id: 'a b/c' } }).url).toBe(
      `http://127.0.0.1:9091/metrics/job/j/run_id@base64/${Buffer.from('a b/c').toString('base64url')}`,
    );
  });
});
