// One worker process of the cluster bench: the same 10k series in our catalog (served to the
// primary with serveMetricsToPrimary) and in prom-client's global registry (which prom-client's
// AggregatorRegistry asks for over the same IPC channel). Answers {cmd: 'cpu'} with its CPU time.

import * as prom from 'prom-client';
import { serveMetricsToPrimary } from '../src/cluster/worker-link.js';
import { BENCH_BUCKETS, BENCH_EXCHANGES, BENCH_SYMBOLS, BenchDesk } from './cluster-desk.js';

const index = Number(process.env['BENCH_WORKER'] ?? 0);
const desk = new BenchDesk();
const labelNames = ['exchange', 'symbol'] as const;
const promTicks = new prom.Counter({ name: 'bench_ticks_total', help: 'Ticks.', labelNames });
const promQueue = new prom.Gauge({ name: 'bench_queue_depth', help: 'Queue.', labelNames, aggregator: 'sum' });
const promLatency = new prom.Histogram({
  name: 'bench_latency_ms',
  help: 'Latency.',
  labelNames,
  buckets: [...BENCH_BUCKETS],
});

for (const exchange of BENCH_EXCHANGES) {
  for (let s = 0; s < BENCH_SYMBOLS; s++) {
    const symbol = `SYM${s}`;
    // 3 000 counter series, 1 500 gauge series and 500 histogram series per exchange: 10k series.
    desk.ticks.bind({ exchange, symbol }).add(s + index + 1);
    promTicks.labels(exchange, symbol).inc(s + index + 1);
    if (s % 2 === 0) {
      desk.queue.bind({ exchange, symbol }).set(s);
      promQueue.labels(exchange, symbol).set(s);
    }
    if (s % 6 === 0) {
      for (let i = 0; i < 10; i++) {
        desk.latency.bind({ exchange, symbol }).observe(i * 7 + index);
        promLatency.labels(exchange, symbol).observe(i * 7 + index);
      }
    }
  }
}

serveMetricsToPrimary({ sources: [desk] });
// prom-client's worker side answers the primary once an AggregatorRegistry exists in the worker.
new prom.AggregatorRegistry();
process.on('message', (message: { cmd?: string }) => {
  if (message.cmd === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
