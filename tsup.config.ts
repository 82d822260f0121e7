import { defineConfig } from 'tsup';

// Shared build of the published package; run from packages/metrics-sdk (`npm run build`).
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node22',
  platform: 'node',
  treeshake: true,
  splitting: false,
  // tsup 9 still strips `node:` by default (for Node < 14.18); keep the protocol the source uses.
  removeNodeProtocol: false,
});
