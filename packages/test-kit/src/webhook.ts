// The receiver an Alertmanager under test posts its notifications to (its `webhook_configs` URL),
// on a loopback port of its own, so a test can assert which alerts were sent and which suppressed.

import { createServer } from 'node:http';

/** One alert of a webhook notification, as Alertmanager posts it. */
export interface WebhookAlert {
  readonly status: string;
  readonly labels: Record<string, string>;
}

/** A running receiver; see {@link startWebhookReceiver}. */
export interface WebhookReceiver {
  /** Where Alertmanager posts: `http://127.0.0.1:<port>/alerts`. */
  readonly url: string;
  readonly port: number;
  /** Every alert heard so far, in arrival order (the array grows as notifications arrive). */
  readonly alerts: WebhookAlert[];
  /** Stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a webhook receiver on a free 127.0.0.1 port. The caller must `close()` it (in `afterAll`).
 *
 * @returns the receiver
 * @example
 * ```ts
 * const webhook = await startWebhookReceiver();
 * writeFileSync(configFile, renderAlertmanagerConfig('local', { webhookUrl: webhook.url }));
 * ```
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const alerts: WebhookAlert[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      const payload = JSON.parse(body) as { alerts: WebhookAlert[] };
      alerts.push(...payload.alerts.map((a) => ({ status: a.status, labels: a.labels })));
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const close = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  return { url: `http://127.0.0.1:${port}/alerts`, port, alerts, close };
}
