import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { SharedBody } from './body-pool.js';

const gzipAsync = promisify(gzip);

/**
 * One render of `/metrics` in one format, shared by the scrapes that joined it: the identity body
 * and, made on first demand and then shared too, its gzip compression.
 *
 * @internal
 */
export class SharedRender {
  /** The rendered bytes, in a pooled buffer. */
  readonly body: SharedBody;
  readonly #level: number;
  readonly #onCompress: () => void;
  #gzipped: Promise<Buffer> | undefined;

  /**
   * @param body - the rendered body
   * @param level - the gzip level, 1 (fastest) to 9
   * @param onCompress - called when a compression starts (for the server's stats)
   */
  constructor(body: SharedBody, level: number, onCompress: () => void = () => {}) {
    this.body = body;
    this.#level = level;
    this.#onCompress = onCompress;
  }

  /**
   * The body gzipped, compressed once for every scrape of this render that asks. Compression runs
   * on libuv's thread pool (`zlib.gzip`), never on the event loop; the pooled body is held until it
   * is done, so no later render can overwrite the bytes being read.
   *
   * @returns the gzip bytes (a buffer of their own, not pooled)
   */
  gzipped(): Promise<Buffer> {
    if (this.#gzipped === undefined) {
      this.#onCompress();
      const release = this.body.hold();
      this.#gzipped = gzipAsync(this.body.bytes, { level: this.#level });
      this.#gzipped.then(release, release);
    }
    return this.#gzipped;
  }
}
