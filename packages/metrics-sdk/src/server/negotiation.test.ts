// Content negotiation and gzip of createMetricsServer over real HTTP on 127.0.0.1: node:http's
// client, so the test sees the bytes on the wire (fetch would decompress them).

import { once } from 'node:events';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { pollUntil } from '@ttquant/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { closed } from '../define/labels.js';
import { counter, gauge, histogram } from '../define/metric.js';
import { CONTENT_TYPES, type ExpositionFormat } from '../exposition/formats.js';
import { throwOnInvalidValue } from '../storage/invalid.js';
import { MetricsServerConfigError } from './config-error.js';
import { createMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const PROMETHEUS_ACCEPT_PROTOBUF =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

class TestMetrics extends catalog({
  orders: counter('neg_orders_total', 'Orders sent.', { exchange: closed('binance', 'okx') }),
  renders: gauge('neg_render_sequence', 'Renders so far.', {}),
  latency: histogram('neg_latency_seconds', 'Latency.', {}, { buckets: [1, 10] }),
}) {}

/** @param stamp - set the render number on each render (else every render is the same bytes) */
function recorded(stamp = true): TestMetrics {
  const m = new TestMetrics({ onInvalidValue: throwOnInvalidValue, now: () => 1_700_000_000_000 });
  m.orders.add({ exchange: 'okx' }, 3);
  m.latency.observe({}, 0.5);
  // Each render stamps its number, so a test can tell which render a body came from.
  const renders = m.renders.bind();
  let n = 0;
  if (stamp) m.beforeCollect(() => renders.set(++n));
  return m;
}

const started: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

async function start(options: Partial<MetricsServerOptions> = {}): Promise<{ port: number; server: MetricsServer }> {
  const server = createMetricsServer({
    sources: [recorded()],
    service: 'negotiation',
    port: 0,
    runtimeMetrics: false,
    ...options,
  });
  started.push(server);
  return { port: (await server.listen()).port, server };
}

interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The bytes on the wire, not decompressed. */
  readonly body: Buffer;
}

function get(port: number, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw client on its own connection; `reply` resolves with the parsed response once the server closes. */
async function rawClient(port: number): Promise<{ socket: Socket; reply: Promise<Reply> }> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const reply = once(socket, 'close').then(() => {
    const raw = Buffer.concat(chunks);
    const end = raw.indexOf('\r\n\r\n');
    const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { status: Number(lines[0]?.split(' ')[1]), headers, body: raw.subarray(end + 4) };
  });
  await once(socket, 'connect');
  return { socket, reply };
}

/** The body with the render number blanked, to compare bodies of different renders. */
const unstamped = (body: Buffer): string => body.toString('latin1').replace(/neg_render_sequence \d+/, 'SEQ');

describe('content negotiation on /metrics', () => {
  const cases: readonly (readonly [string, Record<string, string>, ExpositionFormat])[] = [
    ['no Accept', {}, 'prometheus-text'],
    ['*/*', { accept: '*/*' }, 'prometheus-text'],
    ['Prometheus 2.42', { accept: PROMETHEUS_ACCEPT }, 'openmetrics-text'],
    ['Prometheus 2.42 with native histograms', { accept: PROMETHEUS_ACCEPT_PROTOBUF }, 'prometheus-protobuf'],
    ['text/plain;version=0.0.4', { accept: 'text/plain;version=0.0.4' }, 'prometheus-text'],
    ['a version we do not speak', { accept: 'application/openmetrics-text;version=0.0.1' }, 'prometheus-text'],
  ];
  it.each(cases)('%s gets its exact Content-Type, with Vary', async (_title, headers, format) => {
    const { port, server } = await start();
    const reply = await get(port, headers);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe(CONTENT_TYPES[format]);
    expect(reply.headers['vary']).toBe('Accept, Accept-Encoding');
    expect(reply.headers['content-encoding']).toBeUndefined();
    expect(reply.headers['content-length']).toBe(String(reply.body.length));
    if (format === 'openmetrics-text') expect(reply.body.toString('utf8').endsWith('# EOF\n')).toBe(true);
    if (format === 'prometheus-text')
      expect(reply.body.toString('utf8')).toContain('\nneg_orders_total{exchange="okx"} 3\n');
    expect(server['~stats']().formats[format]).toBe(1);
  });

  it('serves only the formats given, and checks the option', async () => {
    const { port } = await start({ formats: ['prometheus-text'] });
    expect((await get(port, { accept: PROMETHEUS_ACCEPT_PROTOBUF })).headers['content-type']).toBe(
      CONTENT_TYPES['prometheus-text'],
    );
    const create = (formats: unknown) => () =>
      createMetricsServer({ sources: [recorded()], service: 's', formats } as MetricsServerOptions);
    for (const [formats, option] of [
      [[], 'formats'],
      ['prometheus-text', 'formats'],
      [['prometheus-text', 'json'], 'formats[1]'],
      [['prometheus-text', 'prometheus-text'], 'formats[1]'],
    ] as const) {
      expect(create(formats)).toThrow(MetricsServerConfigError);
      try {
        create(formats)();
      } catch (error) {
        expect((error as MetricsServerConfigError).option).toBe(option);
      }
    }
  });

  it('drops a format whose writer cannot be built, reports it once, and negotiates among the rest', async () => {
    // Valid in text 0.0.4, but OpenMetrics names the counter's family `clash`, whose `clash_created`
    // sample the gauge also claims.
    class Clash extends catalog({
      total: counter('clash_total', 'A counter.', {}),
      created: gauge('clash_created', 'A gauge.', {}),
    }) {}
    const errors: unknown[] = [];
    const { port } = await start({ sources: [new Clash()], onError: (e) => errors.push(e) });
    for (let i = 0; i < 2; i++) {
      const reply = await get(port, { accept: PROMETHEUS_ACCEPT });
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toBe(CONTENT_TYPES['prometheus-text']);
    }
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('cannot serve openmetrics-text');
  });
});

describe('gzip on /metrics', () => {
  it.each([
    ['prometheus-text', '*/*'],
    ['openmetrics-text', PROMETHEUS_ACCEPT],
    ['prometheus-protobuf', PROMETHEUS_ACCEPT_PROTOBUF],
  ] as const)('%s: gunzip gives the identity body', async (format, accept) => {
    const { port } = await start();
    const identity = await get(port, { accept, 'accept-encoding': 'identity' });
    const gzipped = await get(port, { accept, 'accept-encoding': 'gzip' });
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers['content-type']).toBe(CONTENT_TYPES[format]);
    expect(gzipped.headers['vary']).toBe('Accept, Accept-Encoding');
    expect(gzipped.headers['content-length']).toBe(String(gzipped.body.length));
    const inflated = gunzipSync(gzipped.body);
    if (format === 'prometheus-protobuf') {
      // The render number is a double inside a message: compare the renders' bodies by length and prefix.
      expect(inflated.length).toBe(identity.body.length);
    } else {
      expect(unstamped(inflated)).toBe(unstamped(identity.body));
      expect(inflated.toString('utf8')).toContain('neg_render_sequence 2');
    }
  });

  it('compresses once per shared render: concurrent gzip scrapes share the render and its gzip bytes', async () => {
    const { port, server } = await start();
    // Connections first, then every request at once, so the server reads them in one or two turns.
    const clients = await Promise.all(Array.from({ length: 40 }, () => rawClient(port)));
    await pollUntil(async () => (server['~stats']().connections === 40 ? true : undefined), '40 connections');
    clients.forEach((client, i) => {
      const accept = i % 2 === 0 ? '*/*' : PROMETHEUS_ACCEPT;
      client.socket.write(
        `GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ${accept}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n`,
      );
    });
    const replies = await Promise.all(clients.map((client) => client.reply));
    const byRender = new Map<string, Set<string>>();
    for (const reply of replies) {
      expect(reply.headers['content-encoding']).toBe('gzip');
      const body = gunzipSync(reply.body).toString('utf8');
      const render = `${reply.headers['content-type']} ${/\nneg_render_sequence (\d+)\n/.exec(body)?.[1]}`;
      byRender.set(render, (byRender.get(render) ?? new Set()).add(reply.body.toString('base64')));
    }
    const stats = server['~stats']();
    expect(stats.scrapes).toBe(40);
    expect(stats.gzipped).toBe(40);
    expect(stats.formats).toEqual({ 'prometheus-text': 20, 'openmetrics-text': 20, 'prometheus-protobuf': 0 });
    // One render per format per burst (requests read a turn later may share a second one), each
    // compressed exactly once, and every scrape of a render got the same compressed bytes.
    expect(stats.collections).toBe(byRender.size);
    expect(stats.collections).toBeLessThanOrEqual(6);
    expect(stats.compressions).toBe(stats.collections);
    for (const [render, bodies] of byRender) expect({ render, distinct: bodies.size }).toEqual({ render, distinct: 1 });
  });

  it('does not compress for scrapes that do not ask for it', async () => {
    const { port, server } = await start();
    await Promise.all(Array.from({ length: 5 }, () => get(port, { 'accept-encoding': 'identity' })));
    expect(server['~stats']()).toMatchObject({ gzipped: 0, compressions: 0 });
  });

  it('answers HEAD with the headers of GET, compressed length included, and no body', async () => {
    // Every render the same bytes: gzip's output length depends on the content.
    const { port } = await start({ sources: [recorded(false)] });
    for (const headers of [
      { accept: PROMETHEUS_ACCEPT, 'accept-encoding': 'gzip' },
      { accept: PROMETHEUS_ACCEPT_PROTOBUF, 'accept-encoding': 'identity' },
    ]) {
      const full = await get(port, headers);
      const head = await get(port, headers, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      expect(head.headers['content-type']).toBe(full.headers['content-type']);
      expect(head.headers['content-encoding']).toBe(full.headers['content-encoding']);
      expect(head.headers['vary']).toBe('Accept, Accept-Encoding');
      expect(head.headers['content-length']).toBe(String(full.body.length));
    }
  });
});
