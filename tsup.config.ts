import { defineConfig } from 'tsup';

// Shared build of the published package; run from packages/metrics-sdk (`npm run build`).
// Three entries (the dependency-free core and the two integrations) and the metrics worker's script. Code splitting puts the core's
// modules in shared chunks, so `@ttquant/metrics/otel` reads the very classes the core entry exports
// instead of a second copy of them.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    otel: 'src/otel/index.ts',
    'prom-client': 'src/prom-client/index.ts',
    // Not an entry of the exports map: the script serveMetricsFromWorker starts in a worker thread,
    // found beside the chunk that starts it.
    'metrics-worker': 'src/server/metrics-worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  platform: 'node',
  treeshake: true,
  splitting: true,
  // Peers are never bundled: the application owns its OpenTelemetry SDK and prom-client.
  external: [/^@opentelemetry\//, 'prom-client'],
  // tsup 9 still strips `node:` by default (for Node < 14.18); keep the protocol the source uses.
  removeNodeProtocol: false,
  // import.meta.url in the CommonJS build too: serveMetricsFromWorker finds its worker script by it.
  shims: true,
});
