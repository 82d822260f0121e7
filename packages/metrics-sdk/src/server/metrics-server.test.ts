import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { itWithTool, pollUntil, promtoolCheckMetrics, pythonWithPrometheusClient } from '@ttquant/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { closed } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { PROMETHEUS_CONTENT_TYPE } from '../exposition/prometheus-text.js';
import { OMITTED_RUNTIME_METRICS } from '../runtime/omitted.js';
import { RuntimeMetrics, runtimeDefinitions } from '../runtime/runtime-metrics.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import {
  createMetricsServer,
  DEFAULT_METRICS_PORT,
  defaultMetricsPort,
  type MetricsServer,
  type MetricsServerAddress,
  type MetricsServerOptions,
  SERVICE_PORTS,
} from './metrics-server.js';

// Debian's interpreter and promtool (see TOOLCHAIN.md). Without them the checks skip locally, with the
// reason in the test name, and fail under CI.
const PYTHON = pythonWithPrometheusClient() ?? '/usr/bin/python3';

const defs = {
  orders: counter('orders_total', 'Orders sent.', { exchange: closed('binance', 'okx') }),
  latency: histogram('latency_seconds', 'Latency.', {}, { buckets: [1, 10] }),
} as const;
class TestMetrics extends catalog(defs) {}

function recorded(): TestMetrics {
  const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 0 });
  m.orders.inc({ exchange: 'binance' });
  m.orders.add({ exchange: 'okx' }, 3);
  const latency = m.latency.bind();
  latency.observe(0.5);
  latency.observe(12);
  return m;
}

const CATALOG_BODY = [
  '# HELP orders_total Orders sent.',
  '# TYPE orders_total counter',
  'orders_total{exchange="binance"} 1',
  'orders_total{exchange="okx"} 3',
  '# HELP latency_seconds Latency.',
  '# TYPE latency_seconds histogram',
  'latency_seconds_bucket{le="1"} 1',
  'latency_seconds_bucket{le="10"} 1',
  'latency_seconds_bucket{le="+Inf"} 2',
  'latency_seconds_sum 12.5',
  'latency_seconds_count 2',
  '',
].join('\n');

// Every server a test starts is closed here, pass or fail.
const started: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

async function start(
  options: Partial<MetricsServerOptions> = {},
): Promise<MetricsServerAddress & { server: MetricsServer }> {
  const server = createMetricsServer({
    sources: [recorded()],
    service: 'test-service',
    host: '127.0.0.1',
    port: 0,
    runtimeMetrics: false,
    ...options,
  });
  started.push(server);
  return { ...(await server.listen()), server };
}

/** Sends one raw HTTP/1.1 request on a keep-alive socket and resolves with the whole response head. */
async function rawKeepAliveRequest(port: number, path: string): Promise<{ socket: Socket; head: string }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.setEncoding('utf8');
  let received = '';
  const done = new Promise<void>((resolve) => {
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(received);
      if (end >= 0 && length && received.length >= end + 4 + Number(length[1])) resolve();
    });
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
  await done;
  return { socket, head: received.slice(0, received.indexOf('\r\n\r\n')) };
}

/** A raw client on its own connection; `response` resolves with every byte once the server closes. */
async function rawClient(port: number): Promise<{ socket: Socket; response: Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const response = once(socket, 'close').then(() => Buffer.concat(chunks).toString('utf8'));
  await once(socket, 'connect');
  return { socket, response };
}

/** Splits a whole HTTP/1.1 response (Content-Length framed) into status, declared length and body. */
function parseResponse(raw: string): { status: number; length: number; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, end);
  return {
    status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]),
    length: Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]),
    body: raw.slice(end + 4),
  };
}

describe('ports', () => {
  it("defaults to each service's port from SERVICE_PORTS, else the OTel exporter's 9464", () => {
    for (const [service, port] of Object.entries(SERVICE_PORTS)) expect(defaultMetricsPort(service)).toBe(port);
    expect(defaultMetricsPort('risk')).toBe(9464);
    expect(defaultMetricsPort('toString')).toBe(DEFAULT_METRICS_PORT);
  });
});

/** Asks for an uncompressed body (fetch offers gzip by default). */
const IDENTITY = { 'accept-encoding': 'identity' };

describe('createMetricsServer', () => {
  it('listens on the given host and an ephemeral port', async () => {
    const { host, port, url, server } = await start();
    expect(host).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(await server.listen()).toEqual({ host, port, url });
  });

  it('serves the catalogs on GET /metrics with the 0.0.4 content type and length', async () => {
    const { url } = await start();
    // fetch offers gzip, which the server honours (negotiation.test.ts); the length is that of identity.
    const response = await fetch(`${url}/metrics`, { headers: IDENTITY });
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    // The catalogs come first; the SDK's own self-metrics series (owned by the writer) may follow.
    expect(body.startsWith(CATALOG_BODY)).toBe(true);
  });

  it('ignores query strings and reflects later records', async () => {
    const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue });
    const { url } = await start({ sources: [m] });
    m.orders.inc({ exchange: 'okx' });
    const first = await (await fetch(`${url}/metrics?debug=1&x`)).text();
    expect(first).toContain('\norders_total{exchange="okx"} 1\n');
    m.orders.inc({ exchange: 'okx' });
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('\norders_total{exchange="okx"} 2\n');
  });

  it('answers HEAD /metrics with the headers of GET and no body', async () => {
    const { url } = await start();
    const get = Buffer.byteLength(await (await fetch(`${url}/metrics`, { headers: IDENTITY })).text());
    const response = await fetch(`${url}/metrics`, { method: 'HEAD', headers: IDENTITY });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(response.headers.get('content-length')).toBe(String(get));
    expect(await response.text()).toBe('');
  });

  it('answers /health with status, service and uptime from the injected clock', async () => {
    const clock = { t: 1_700_000_000_000 };
    const { url } = await start({ service: 'gateway', now: () => clock.t });
    clock.t += 12_345;
    const response = await fetch(`${url}/health?probe=k8s`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await response.text();
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(JSON.parse(text)).toEqual({ status: 'ok', service: 'gateway', uptime_seconds: 12.345 });

    const head = await fetch(`${url}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await head.text()).toBe('');
  });

  it('answers 405 with Allow for another method on a known path', async () => {
    const { url } = await start();
    for (const [path, method] of [
      ['/metrics', 'POST'],
      ['/metrics', 'PUT'],
      ['/health', 'DELETE'],
      ['/health?x=1', 'PATCH'],
    ] as const) {
      const response = await fetch(`${url}${path}`, { method });
      expect({ path, method, status: response.status }).toEqual({ path, method, status: 405 });
      expect(response.headers.get('allow')).toBe('GET, HEAD');
      expect(await response.text()).toBe('Method Not Allowed\n');
    }
  });

  it('answers 404 for any other path', async () => {
    const { url } = await start();
    for (const path of ['/', '/metrics/', '/Metrics', '/healthz', '/metrics.txt']) {
      const response = await fetch(`${url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(await response.text()).toBe('Not Found\n');
    }
    expect((await fetch(`${url}/nope`, { method: 'POST' })).status).toBe(404);
  });

  it('answers 500 when rendering throws, reports the error and keeps serving', async () => {
    const m = recorded();
    let fail = true;
    m.beforeCollect(() => {
      if (fail) throw new Error('collect hook broke');
    });
    const errors: unknown[] = [];
    const { url } = await start({ sources: [m], onError: (error) => errors.push(error) });
    const failed = await fetch(`${url}/metrics`);
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe('metrics render failed\n');
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('collect hook broke');
    fail = false;
    const ok = await fetch(`${url}/metrics`);
    expect(ok.status).toBe(200);
    expect((await ok.text()).startsWith(CATALOG_BODY)).toBe(true);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('rejects two sources exposing the same name at creation', () => {
    expect(() => createMetricsServer({ sources: [new TestMetrics(), new TestMetrics()], service: 'x' })).toThrow(
      /orders_total: exposed by two catalogs/,
    );
  });

  it('serves every runtime metric after the catalogs by default, without the omitted names', async () => {
    const { url } = await start({ runtimeMetrics: undefined });
    const body = await (await fetch(`${url}/metrics`)).text();
    expect(body.startsWith(CATALOG_BODY)).toBe(true);
    for (const def of Object.values(runtimeDefinitions)) expect(body).toContain(`\n# TYPE ${def.name} ${def.kind}\n`);
    for (const omitted of OMITTED_RUNTIME_METRICS) expect(body).not.toContain(omitted);
  });

  it('serves a RuntimeMetrics given in sources, and no second one', async () => {
    const runtime = new RuntimeMetrics();
    try {
      const { url } = await start({ sources: [recorded(), runtime], runtimeMetrics: undefined });
      const body = await (await fetch(`${url}/metrics`)).text();
      expect(body.match(/^# TYPE process_cpu_seconds_total counter$/gm)).toHaveLength(1);
    } finally {
      runtime.stop();
    }
  });

  it('leaves runtime metrics out when runtimeMetrics is false', async () => {
    const { url } = await start({ runtimeMetrics: false });
    const body = await (await fetch(`${url}/metrics`)).text();
    expect(body.startsWith(CATALOG_BODY)).toBe(true);
    expect(body).not.toContain('process_');
    expect(body).not.toContain('nodejs_');
  });

  it('names the new option when given the old name processMetrics', () => {
    const old = { sources: [], service: 'x', processMetrics: false } as unknown as MetricsServerOptions;
    expect(() => createMetricsServer(old)).toThrow(
      expect.objectContaining({
        name: 'MetricsServerConfigError',
        option: 'processMetrics',
        message: expect.stringContaining('was renamed runtimeMetrics'),
      }),
    );
  });

  it('rejects an unknown option at creation, suggesting the closest one', () => {
    const typo = { sources: [], service: 'x', runtimeMetric: false } as unknown as MetricsServerOptions;
    expect(() => createMetricsServer(typo)).toThrow(
      expect.objectContaining({
        name: 'MetricsServerConfigError',
        option: 'runtimeMetric',
        message: expect.stringContaining('unknown option (did you mean "runtimeMetrics"?)'),
      }),
    );
  });

  itWithTool('promtool', `a body with runtime metrics passes promtool with no findings`, async () => {
    const { url } = await start({ runtimeMetrics: true });
    const body = await (await fetch(`${url}/metrics`)).text();
    const { code, findings } = await promtoolCheckMetrics(body);
    expect(findings).toEqual([]);
    expect(code).toBe(0);
  });

  itWithTool('python-prometheus-client', `a body with runtime metrics parses with prometheus_client`, async () => {
    const { url } = await start({ runtimeMetrics: true });
    const body = await (await fetch(`${url}/metrics`)).text();
    const script =
      'import sys, json\nfrom prometheus_client.parser import text_string_to_metric_families as p\n' +
      'print(json.dumps([f.name for f in p(sys.stdin.read())]))';
    const result = spawnSync(PYTHON, ['-c', script], { input: body, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const families = JSON.parse(result.stdout) as string[];
    // The classic parser names a counter family without `_total`.
    expect(families.slice(0, 2)).toEqual(['orders', 'latency_seconds']);
    expect(families).toEqual(expect.arrayContaining(['process_cpu_seconds', 'nodejs_active_handles']));
  });
});

describe('concurrent scrapes', () => {
  // A gauge set by a collect hook numbers each render, so every body says which render made it.
  class Sequenced extends catalog({
    render: gauge('test_render_sequence', 'Render that produced this body.', {}),
    orders: counter('test_orders_total', 'Orders.', {}),
  }) {}

  it('50 simultaneous scrapes share a few renders, and every body is complete and identical per render', async () => {
    const m = new Sequenced({ onInvalidValue: throwOnInvalidValue });
    let hooks = 0;
    const sequence = m.render.bind();
    m.beforeCollect(() => sequence.set(++hooks));
    // Runtime metrics on: the render carries their collection too.
    const { port, server } = await start({ sources: [m], runtimeMetrics: true });
    // 50 scrapers, each on its own connection, send their requests at the same moment. (fetch() from
    // this process would not: its own per-request work spaces the requests out, one per render.)
    const clients = await Promise.all(Array.from({ length: 50 }, () => rawClient(port)));
    await pollUntil(async () => (server['~stats']().connections === 50 ? true : undefined), '50 connections');
    for (const client of clients)
      client.socket.write('GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    const replies = await Promise.all(clients.map(async (client) => parseResponse(await client.response)));
    const stats = server['~stats']();
    const byRender = new Map<string, Set<string>>();
    for (const reply of replies) {
      expect(reply.status).toBe(200);
      expect(reply.length).toBe(Buffer.byteLength(reply.body));
      expect(reply.body).toMatch(/^# HELP test_render_sequence /);
      expect(reply.body).toContain('\n# TYPE process_cpu_seconds_total counter\n');
      expect(reply.body.endsWith('\n')).toBe(true);
      const render = /\ntest_render_sequence (\d+)\n/.exec(reply.body)?.[1] ?? 'missing';
      byRender.set(render, (byRender.get(render) ?? new Set()).add(reply.body));
    }
    // Each render's body is shared byte for byte by the scrapes it served.
    for (const [render, bodies] of byRender) expect({ render, distinct: bodies.size }).toEqual({ render, distinct: 1 });
    expect(stats.scrapes).toBe(50);
    expect(stats.collections).toBe(hooks);
    expect(byRender.size).toBe(hooks);
    // Requests read in one turn share one render; a few may be read a turn later and share the next.
    expect(stats.collections).toBeLessThanOrEqual(5);
  });

  it('never serves a body older than the request: scrapes sent after a record see it', async () => {
    const m = new Sequenced({ onInvalidValue: throwOnInvalidValue });
    const { url } = await start({ sources: [m], runtimeMetrics: true });
    const orders = m.orders.bind();
    const scrape = async () => (await fetch(`${url}/metrics`)).text();
    for (let round = 1; round <= 5; round++) {
      // Scrapes in flight before the record, then the record, then more scrapes in the same burst.
      const before = Array.from({ length: 10 }, scrape);
      orders.inc();
      const after = Array.from({ length: 10 }, scrape);
      await Promise.all(before);
      for (const body of await Promise.all(after)) expect(body).toContain(`\ntest_orders_total ${round}\n`);
    }
  });

  it('does not render for a request that fails auth', async () => {
    const { url, server } = await start({ auth: { bearerToken: 't' } });
    await Promise.all(Array.from({ length: 5 }, () => fetch(`${url}/metrics`)));
    expect(server['~stats']()).toMatchObject({ collections: 0, scrapes: 0 });
  });

  it('reports a failed render once, however many scrapes shared it', async () => {
    const m = recorded();
    m.beforeCollect(() => {
      throw new Error('collect hook broke');
    });
    const errors: unknown[] = [];
    const { url, server } = await start({ sources: [m], runtimeMetrics: true, onError: (e) => errors.push(e) });
    const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await fetch(`${url}/metrics`)).status));
    expect(statuses).toEqual(Array(20).fill(500));
    expect(errors).toHaveLength(server['~stats']().collections);
  });
});

describe('close()', () => {
  it('frees the port and ends idle keep-alive sockets', async () => {
    const { port, url, server } = await start();
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const { socket, head } = await rawKeepAliveRequest(port, '/metrics');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/\r\nConnection: keep-alive\r\n/i);
    const socketClosed = once(socket, 'close');

    const t0 = performance.now();
    await server.close();
    // Without closing idle connections, close() would wait out the 5 s keep-alive timeout.
    expect(performance.now() - t0).toBeLessThan(2_000);
    await socketClosed;
    expect(socket.destroyed).toBe(true);

    await expect(fetch(`${url}/health`)).rejects.toThrow();
    const probe = createNetServer();
    probe.listen(port, '127.0.0.1');
    await once(probe, 'listening');
    probe.close();
    await once(probe, 'close');
  });

  it('is idempotent, works before listen(), and forbids listening again', async () => {
    const never = createMetricsServer({ sources: [], service: 'x', port: 0, runtimeMetrics: false });
    await never.close();
    await never.close();

    const { server } = await start();
    const first = server.close();
    const second = server.close();
    expect(second).toBe(first);
    await Promise.all([first, second]);
    await server.close();
    await expect(server.listen()).rejects.toThrow('metrics server: closed; create a new one');
  });

  it('rejects listen() when the port is taken, and binds on a later call once it is free', async () => {
    const { port, server: first } = await start();
    const clash = createMetricsServer({ sources: [], service: 'x', port, runtimeMetrics: false });
    started.push(clash);
    await expect(clash.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await first.close();
    expect((await clash.listen()).port).toBe(port);
    await clash.close();
  });

  it('rejects an invalid port at creation, before anything listens', () => {
    expect(() => createMetricsServer({ sources: [], service: 'x', port: 70_000, runtimeMetrics: false })).toThrow(
      expect.objectContaining({ name: 'MetricsServerConfigError', option: 'port' }),
    );
  });
});
