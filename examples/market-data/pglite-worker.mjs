// PGlite in a worker thread (plain JavaScript, so it loads the same way under tsx, vitest and node).
// PostgreSQL-in-WASM runs synchronously while a statement executes: on the main thread a 500-row
// batch blocked the event loop ~8 ms, and at 10,000 ticks/s the loop's delay reached hundreds of ms
// (throughput.bench.ts). Here it blocks only this thread.
//
// PostgreSQL's shared buffers live in the WASM memory and are all touched at start, so their size
// is most of this thread's resident memory: 128 MB by initdb's default, `sharedBuffersMb` here.
//
// Protocol: workerData { dataDir, sharedBuffersMb }; posts { type: 'ready' } or { type: 'failed', error }
// once; then answers each { id, op: 'query' | 'exec' | 'memory' | 'close', sql, params } with
// { id, rows } or { id, error }; 'memory' answers one row: this thread's heap, and what its isolate
// holds outside it (the WASM memory, mostly).
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
  const sharedBuffers = workerData?.sharedBuffersMb;
  const options = {
    startParams:
      sharedBuffers === undefined
        ? PGlite.defaultStartParams
        : [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}MB`],
  };
  db = workerData?.dataDir ? new PGlite(workerData.dataDir, options) : new PGlite(options);
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
    } else if (op === 'memory') {
      const { heapTotal, heapUsed, external } = process.memoryUsage();
      parentPort.postMessage({ id, rows: [{ heapTotal, heapUsed, external }] });
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
