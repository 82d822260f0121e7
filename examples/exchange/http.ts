import type { IncomingMessage, ServerResponse } from 'node:http';

// Small HTTP helpers for the exchange: a body reader with a size limit, and JSON responses.

/** Largest accepted request body: 64 KiB (an order is ~150 bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads a request body up to `limit` bytes. Past the limit it stops keeping bytes (draining the rest
 * so the 413 can be read by the client) and reports `'too_large'`.
 *
 * @param req - the request
 * @param limit - largest body in bytes
 * @returns the body text, `'too_large'`, or `'aborted'` when the client went away
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      resolve('too_large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => resolve('aborted'));
    req.on('close', () => {
      if (!req.complete) resolve('aborted');
    });
  });
}

/**
 * Writes a JSON response (no-op when the client is gone).
 *
 * @param res - the response
 * @param status - HTTP status
 * @param body - JSON-serializable body
 * @param headers - extra headers
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
