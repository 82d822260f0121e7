// The one test kit of the repository: every workspace's tests import waiting, tool probes and
// skip-with-reason, free ports, the Alertmanager webhook receiver, TLS material, the
// promtool/python helpers, the Prometheus HTTP-API reads and the exposition reader from here, so
// each exists once.

export * from './exposition.js';
export * from './net.js';
export * from './prometheus-api.js';
export * from './tls.js';
export * from './tools.js';
export * from './wait.js';
export * from './webhook.js';
