// The smallest complete service: declare metrics, bind handles once, record, serve /metrics.
// Run it with `npm run minimal -w @ttquant/examples`, then open the URL it prints.
import { catalog, closed, counter, createMetricsServer, histogram, open } from '@ttquant/metrics';

// 1. Declare each metric once: wire name, help text, labels. closed() lists every allowed value, so a
//    typo fails to compile; open() accepts any string, up to a budget of distinct values.
const orderAckDefs = {
  acks: counter('example_order_acks_total', 'Orders acknowledged by the venue', {
    venue: closed('binance', 'okx'),
    symbol: open({ budget: 20 }),
  }),
  ackLatency: histogram(
    'example_order_ack_latency_ms',
    'Time from order sent to venue acknowledgement',
    { venue: closed('binance', 'okx') },
    { unit: 'ms', buckets: [1, 2, 5, 10, 25, 50, 100] },
  ),
};
// catalog() checks the declarations and lays out storage for every series up front.
class OrderAckMetrics extends catalog(orderAckDefs) {}
const metrics = new OrderAckMetrics();

// 2. Bind a handle per label set once, at startup; recording through it is then one array write.
const venues = ['binance', 'okx'] as const;
const routes = venues.flatMap((venue) =>
  ['BTCUSDT', 'ETHUSDT'].map((symbol) => ({
    acks: metrics.acks.bind({ venue, symbol }),
    latency: metrics.ackLatency.bind({ venue }),
  })),
);

// 3. Record: every 100 ms a simulated order is acknowledged after a few milliseconds.
const timer = setInterval(() => {
  const route = routes[Math.floor(Math.random() * routes.length)];
  if (route === undefined) return;
  route.acks.inc(); // one Float64Array write: no allocation, no string, no clock
  route.latency.observe(2 + Math.random() * 30);
}, 100);

// 4. Serve the catalog (and Node.js runtime metrics) at /metrics; PORT=0 picks a free port.
const server = createMetricsServer({ service: 'minimal', sources: [metrics], port: Number(process.env['PORT'] ?? 0) });
const { url } = await server.listen();
console.log(`minimal: metrics at ${url}/metrics`);

// 5. Stop cleanly: stop recording, let in-flight scrapes finish, exit 0.
async function stop(): Promise<void> {
  clearInterval(timer);
  await server.close();
  process.exit(0);
}
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
