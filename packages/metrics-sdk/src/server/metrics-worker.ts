// The body of the metrics worker thread that serveMetricsFromWorker starts: it rebuilds each
// catalog class from its declarations (plain data, cloned into this thread), attaches it to the
// shared storage, and runs createMetricsServer over them. Every scrape's collection, rendering and
// compression happens here; the thread that records never sees a request.

import { parentPort, workerData } from 'node:worker_threads';
import { catalog } from '../define/catalog.js';
import { createMetricsServer } from './metrics-server.js';
import type { MetricsWorkerJob, MetricsWorkerReply } from './worker-protocol.js';

const job = workerData as MetricsWorkerJob;
const port = parentPort;

function reply(message: MetricsWorkerReply): void {
  port?.postMessage(message);
}

try {
  const sources = job.sources.map(({ definitions, descriptor }) => new (catalog(definitions))({ shared: descriptor }));
  const server = createMetricsServer({
    ...job.server,
    sources,
    onError: (error) =>
      reply({
        kind: 'server-error',
        name: error instanceof Error ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
      }),
  });
  server.listen().then(
    (address) => reply({ kind: 'listening', address }),
    (error: unknown) => reply({ kind: 'error', message: String(error) }),
  );
  port?.on('message', (message: { kind?: unknown }) => {
    if (message.kind !== 'close') return;
    server.close().then(
      () => {
        reply({ kind: 'closed' });
        port.close();
      },
      (error: unknown) => reply({ kind: 'error', message: String(error) }),
    );
  });
} catch (error) {
  reply({ kind: 'error', message: error instanceof Error ? error.message : String(error) });
}
