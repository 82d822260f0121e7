// Ports for servers that a test starts but that cannot listen on port 0 themselves (Prometheus,
// Alertmanager, PostgreSQL, the example services): the test picks a free one and passes it on.

import { createServer } from 'node:net';

/**
 * An unused TCP port on 127.0.0.1, for a server that cannot listen on port 0 itself. The port is
 * closed again before it is returned; the small race with other processes is accepted in tests.
 *
 * @returns the port
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
