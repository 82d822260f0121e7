// A real Prometheus 2.42 with native histograms on scrapes our protobuf exposition of a histogram
// declared with native resolution: it ingests the native form (schema, zero bucket, spans and
// deltas go through its own protobuf parser), and PromQL's native-histogram functions read back
// the count, the sum and quantiles that fall in the right buckets.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeWithTools, instantQuery, type PrometheusServer, pollValue, startPrometheus } from '@ttquant/test-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { catalog } from '../../src/define/catalog.js';
import { closed } from '../../src/define/labels.js';
import { histogram } from '../../src/define/metric.js';
import { CONTENT_TYPES } from '../../src/exposition/formats.js';
import { ProtobufWriter } from '../../src/exposition/prometheus-protobuf.js';
import { throwOnInvalidValue } from '../../src/storage/invalid.js';
import { nativeBucketKey, nativeBucketUpperBound } from '../../src/storage/native-buckets.js';

const SCHEMA = 3;

class Latency extends catalog({
  latency: histogram(
    'nh_latency_ms',
    'Latency.',
    { exchange: closed('binance', 'okx') },
    { unit: 'ms', buckets: [1, 10, 100], native: { schema: SCHEMA } },
  ),
}) {}

/** 2,000 log-normal-like latencies, deterministic: exp of a triangular spread around ln 5 ms. */
function samples(): number[] {
  let seed = 42;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: 2_000 }, () => Math.exp(Math.log(5) + (next() + next() + next() - 1.5) * 2));
}

describeWithTools('Prometheus ingests the native histograms of the protobuf exposition', ['prometheus'], () => {
  let server: Server | undefined;
  let prometheus: PrometheusServer | undefined;
  const values = samples();
  const accepts: string[] = [];

  beforeAll(async () => {
    const m = new Latency({ onInvalidValue: throwOnInvalidValue });
    const h = m.latency.bind({ exchange: 'binance' });
    for (const v of values) h.observe(v);
    const writer = new ProtobufWriter([m], { selfMetrics: false });
    server = createServer((request, response) => {
      accepts.push(request.headers.accept ?? '');
      response.setHeader('Content-Type', CONTENT_TYPES['prometheus-protobuf']);
      response.end(writer.render());
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`], features: ['native-histograms'] });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  const query = (q: string): Promise<number> =>
    pollValue((prometheus as PrometheusServer).api, q, { timeoutMs: 20_000 });

  it('asks for protobuf first, and stores the histogram as one native series with its count and sum', async () => {
    expect(await query('histogram_count(nh_latency_ms{exchange="binance"})')).toBe(values.length);
    expect(await query('histogram_sum(nh_latency_ms{exchange="binance"})')).toBeCloseTo(
      values.reduce((a, b) => a + b, 0),
      6,
    );
    expect(accepts[0]).toMatch(/^application\/vnd\.google\.protobuf;proto=io\.prometheus\.client\.MetricFamily/);
    // With native histograms on, a histogram with both forms is ingested in its native form only.
    expect(await instantQuery((prometheus as PrometheusServer).api, 'nh_latency_ms_bucket')).toEqual([]);
  });

  it('answers histogram_quantile from the native buckets, within the bucket of the exact quantile', async () => {
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1] as number;
      const estimate = await query(`histogram_quantile(${q}, nh_latency_ms{exchange="binance"})`);
      // The estimate lies in the bucket that holds the exact quantile: within one bucket's width,
      // a factor of 2^(1/8) (about 9 %) at schema 3.
      const key = nativeBucketKey(exact, SCHEMA);
      expect(estimate, `p${q * 100}: exact ${exact}`).toBeGreaterThanOrEqual(nativeBucketUpperBound(key - 1, SCHEMA));
      expect(estimate, `p${q * 100}: exact ${exact}`).toBeLessThanOrEqual(nativeBucketUpperBound(key, SCHEMA));
    }
  });
});
