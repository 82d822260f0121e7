// The catalog of the cluster bench, shared by the primary and its workers.

import { catalog } from '../src/define/catalog.js';
import { closed, open } from '../src/define/labels.js';
import { counter, gauge, histogram } from '../src/define/metric.js';

export const BENCH_EXCHANGES = ['binance', 'okx'] as const;
export const BENCH_SYMBOLS = 3000;
export const BENCH_BUCKETS = [1, 5, 10, 25, 50, 100] as const;

const labels = { exchange: closed(...BENCH_EXCHANGES), symbol: open({ budget: BENCH_SYMBOLS }) };

export class BenchDesk extends catalog({
  ticks: counter('bench_ticks_total', 'Ticks.', labels),
  queue: gauge('bench_queue_depth', 'Queue.', labels, { clusterAggregation: 'sum' }),
  latency: histogram('bench_latency_ms', 'Latency.', labels, { buckets: BENCH_BUCKETS }),
}) {}
