// PGlite in a worker thread (plain JavaScript, so it loads the same way under tsx, vitest and node).
// PostgreSQL-in-WASM runs synchronously while a statement executes: on the main thread a 500-row
// batch blocked the event loop ~8 ms, and at 10,000 ticks/s the loop's delay reached hundreds of ms
// (throughput.bench.ts). Here it blocks only this thread.
//
// Protocol: workerData { dataDir }; posts { type: 'ready' } or { type: 'failed', error } once;
// then answers each { id, op: 'query' | 'exec' | 'close', sql, params } with { id, rows } or { id, error }.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

function plain(error) {
  const e = error ?? {};
  return {
    name: String(e.name ?? 'Error'),
    message: String(e.message ?? e),
    code: e.code === undefined ? undefined : String(e.code),
  };
}

let db;
try {
  db = workerData?.dataDir ? new PGlite(workerData.dataDir) : new PGlite();
  await db.waitReady;
  parentPort.postMessage({ type: 'ready' });
} catch (error) {
  parentPort.postMessage({ type: 'failed', error: plain(error) });
  parentPort.close();
}

parentPort.on('message', async ({ id, op, sql, params }) => {
  try {
    if (op === 'query') {
      const result = await db.query(sql, params);
      parentPort.postMessage({ id, rows: result.rows });
    } else if (op === 'exec') {
      await db.exec(sql);
      parentPort.postMessage({ id, rows: [] });
    } else {
      await db.close();
      parentPort.postMessage({ id, rows: [] });
      parentPort.close();
    }
  } catch (error) {
    parentPort.postMessage({ id, error: plain(error) });
  }
});
