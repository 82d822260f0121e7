import * as zmq from 'zeromq';
import type { Logger } from '../shared/logger.js';

// The market-data bus: a ZeroMQ PUB socket; each tick is two frames, topic `tick.{exchange}.{symbol}`
// and the Tick's JSON (examples/shared/protocol.ts).
//
// Why the hot path does not await: with the default send timeout, zeromq.js resolves only a few
// sends synchronously and then defers one per event-loop turn, so `await send()` per tick topped out
// at 37–50k msg/s here, and a send while one is pending throws EBUSY (synchronously). A PUB socket
// never blocks (past the high-water mark it drops for that subscriber), so with `sendTimeout = 0`
// every send is queued at once: 450–860k msg/s (zmq-send.bench.ts, this 2-core machine, zeromq
// 6.8.0, Node 24). ZeroMQ's queue, bounded by the high-water mark, is the bounded queue; a
// subscriber that falls more than MD_ZMQ_SNDHWM messages behind loses messages, which PUB cannot
// report to the sender (zmq_published_total counts messages ZeroMQ accepted).

/**
 * A bound ZeroMQ publisher for ticks.
 *
 * @example
 * ```ts
 * const pub = await TickPublisher.open('tcp://127.0.0.1:5555', 10_000, logger);
 * pub.publish('tick.binance.BTCUSDT', json, () => published.inc());
 * await pub.close();
 * ```
 */
export class TickPublisher {
  readonly #socket: zmq.Publisher;
  readonly #logger: Logger;
  #failed = 0;
  #closed = false;

  private constructor(socket: zmq.Publisher, logger: Logger) {
    this.#socket = socket;
    this.#logger = logger;
  }

  /**
   * Creates the socket and binds it.
   *
   * @param endpoint - e.g. `tcp://127.0.0.1:5555`, or `tcp://127.0.0.1:*` for a free port
   * @param sendHighWaterMark - messages queued per subscriber before PUB drops for it
   * @param logger - where send failures are logged
   * @returns the publisher, bound
   * @throws Error when the endpoint cannot be bound (e.g. the port is in use)
   */
  static async open(endpoint: string, sendHighWaterMark: number, logger: Logger): Promise<TickPublisher> {
    const socket = new zmq.Publisher({ sendHighWaterMark, sendTimeout: 0, linger: 500 });
    try {
      await socket.bind(endpoint);
    } catch (error) {
      socket.close();
      throw error;
    }
    return new TickPublisher(socket, logger);
  }

  /** The bound endpoint, with the real port when `*` was asked for. */
  get endpoint(): string {
    return this.#socket.lastEndpoint ?? '';
  }

  /** Sends that failed (socket closed, or an error from ZeroMQ). */
  get failed(): number {
    return this.#failed;
  }

  /**
   * Queues one tick. Never throws and never waits.
   *
   * @param topic - `tick.{exchange}.{symbol}`
   * @param payload - the Tick's JSON
   * @param onSent - called once ZeroMQ accepted the message (a prebound counter increment)
   */
  publish(topic: string, payload: string, onSent: () => void): void {
    if (this.#closed) {
      this.#failed++;
      return;
    }
    try {
      this.#socket.send([topic, payload]).then(onSent, this.#onError);
    } catch (error) {
      // zeromq.js throws synchronously (not a rejection) for a closed or busy socket.
      this.#onError(error);
    }
  }

  /**
   * Closes the socket; queued messages get up to 500 ms (linger) to leave.
   *
   * @returns resolves when closed
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }

  readonly #onError = (error: unknown): void => {
    this.#failed++;
    // One line per 1,000 failures: a dead socket must not flood the log at tick rate.
    if (this.#failed % 1_000 === 1) this.#logger.warn({ err: error, failed: this.#failed }, 'zmq: send failed');
  };
}
