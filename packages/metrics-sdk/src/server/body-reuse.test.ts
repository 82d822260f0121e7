// The server renders into pooled buffers and reuses one once no response can read it any more. A
// client that stops reading halfway through a large body must still get the bytes of its own
// collection after many later collections have run, and a client cut off mid-body must not pin a
// buffer forever.

import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { catalog } from '../define/catalog.js';
import { open } from '../define/labels.js';
import { gauge } from '../define/metric.js';
import { createMetricsServer, type MetricsServer } from './metrics-server.js';

// ~24 MB a body: far more than loopback's socket buffers absorb (Linux autotunes them to a few MB
// each way), so a paused reader leaves most of its body in the server's hands. Few long lines rather
// than many short ones: the size is what matters here, and 20k series bind and split ten times
// faster than 200k (the file ran 3.4 s alone, now 2 s).
const SERIES = 20_000;
const PAD = 'X'.repeat(1_150);

class Wide extends catalog({
  level: gauge('reuse_level', 'Every series holds the generation of its collection.', {
    symbol: open({ budget: SERIES }),
  }),
}) {}

const servers: MetricsServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(): Promise<{ wide: Wide; port: number; url: string; server: MetricsServer }> {
  const wide = new Wide({ onOverflow: () => undefined });
  for (let i = 0; i < SERIES; i++) wide.level.set({ symbol: `SYMBOL_${String(i).padStart(6, '0')}_${PAD}` }, 0);
  const server = createMetricsServer({ sources: [wide], service: 'reuse', port: 0, runtimeMetrics: false });
  servers.push(server);
  const { port, url } = await server.listen();
  return { wide, port, url, server };
}

function setAll(wide: Wide, value: number): void {
  const store = wide.level['~store'];
  for (const offset of store.series) store.values[offset] = value;
}

/** Values of every `reuse_level` line of a body. */
function levels(body: string): Set<string> {
  const out = new Set<string>();
  for (const line of body.split('\n'))
    if (line.startsWith('reuse_level{')) out.add(line.slice(line.lastIndexOf(' ') + 1));
  return out;
}

describe('pooled bodies', () => {
  it("keep a paused reader's bytes intact while later collections run", async () => {
    const { wide, port, url } = await start();
    setAll(wide, 1);
    const slow = connect(port, '127.0.0.1');
    sockets.push(slow);
    await once(slow, 'connect');
    const chunks: Buffer[] = [];
    slow.on('data', (chunk: Buffer) => chunks.push(chunk));
    slow.write('GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n');
    // Wait for the first bytes of the response, then stop reading.
    while (chunks.length === 0) await once(slow, 'data');
    slow.pause();
    // Later collections, each with new values, while the paused response still holds its buffer.
    for (let generation = 2; generation <= 6; generation++) {
      setAll(wide, generation);
      const body = await (await fetch(`${url}/metrics`)).text();
      expect(levels(body)).toEqual(new Set([String(generation)]));
    }
    slow.resume();
    await once(slow, 'end');
    const response = Buffer.concat(chunks).toString('utf8');
    const body = response.slice(response.indexOf('\r\n\r\n') + 4);
    expect(Number(/content-length: (\d+)/i.exec(response)?.[1])).toBe(Buffer.byteLength(body));
    expect(levels(body)).toEqual(new Set(['1']));
    expect(body.split('\n').filter((line) => line.startsWith('reuse_level{'))).toHaveLength(SERIES);
  }, 60_000);

  it('serves whole bodies again after a client is cut off mid-body', async () => {
    const { wide, port, url } = await start();
    const cut = connect(port, '127.0.0.1');
    sockets.push(cut);
    await once(cut, 'connect');
    cut.write('GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n');
    await once(cut, 'data');
    cut.destroy();
    for (let generation = 7; generation <= 9; generation++) {
      setAll(wide, generation);
      expect(levels(await (await fetch(`${url}/metrics`)).text())).toEqual(new Set([String(generation)]));
    }
  }, 60_000);
});
