/**
 * Catalogs inside an existing prom-client `Registry`. Needs the optional peer `prom-client`.
 *
 * @packageDocumentation
 * @module @ttquant/metrics/prom-client
 */
// Re-exports only: importing this module has no side effects.

export type { RegisterCatalogsOptions } from './interop.js';
export { registerCatalogs } from './interop.js';
