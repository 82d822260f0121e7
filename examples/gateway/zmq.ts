import * as zmq from 'zeromq';
import type { Logger } from '../shared/logger.js';
import type { StrategyFill, Tick, Venue } from '../shared/protocol.js';

// The gateway's two ZeroMQ sockets: a PUB that sends fills to the strategy engine (topic
// `fill.{strategy}`), and a SUB on the market-data bus for mark prices (topic `tick.{venue}.`).

const MAX_QUEUED = 10_000;

/**
 * Publishes StrategyFill messages. Sends are chained so only one is in progress at a time (the
 * zeromq API allows one pending send per socket); past 10,000 queued messages new ones are dropped
 * and counted (a PUB drops at its high-water mark anyway, so this only bounds memory).
 */
export class FillPublisher {
  readonly #socket: zmq.Publisher;
  readonly #logger: Logger;
  #tail: Promise<void> = Promise.resolve();
  #queued = 0;
  published = 0;
  errors = 0;

  private constructor(socket: zmq.Publisher, logger: Logger) {
    this.#socket = socket;
    this.#logger = logger;
  }

  /**
   * Binds a publisher.
   *
   * @param endpoint - e.g. `tcp://127.0.0.1:5556`, or `tcp://127.0.0.1:*` for a free port
   * @param logger - where send errors go
   * @returns the publisher, bound
   */
  static async bind(endpoint: string, logger: Logger): Promise<FillPublisher> {
    const socket = new zmq.Publisher({ linger: 0 });
    try {
      await socket.bind(endpoint);
    } catch (error) {
      socket.close();
      throw error;
    }
    return new FillPublisher(socket, logger);
  }

  /** The bound endpoint, with the real port. */
  get endpoint(): string {
    return this.#socket.lastEndpoint ?? '';
  }

  /**
   * Queues one fill for the engine.
   *
   * @param fill - the fill; its strategy names the topic
   */
  publish(fill: StrategyFill): void {
    if (this.#queued >= MAX_QUEUED) {
      this.errors++;
      return;
    }
    this.#queued++;
    const frames = [`fill.${fill.strategy}`, JSON.stringify(fill)];
    this.#tail = this.#tail
      .then(() => this.#socket.send(frames))
      .then(
        () => {
          this.published++;
        },
        (error: unknown) => {
          this.errors++;
          this.#logger.warn({ err: (error as Error).message }, 'fill publish failed');
        },
      )
      .finally(() => {
        this.#queued--;
      });
  }

  /**
   * Sends what is queued (bounded by `timeoutMs`), then closes the socket.
   *
   * @param timeoutMs - how long to wait for queued sends
   */
  async close(timeoutMs = 1_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#tail, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.#socket.close();
  }
}

/** What the marks subscriber counts. */
export interface MarkStats {
  marks: number;
  malformed: number;
}

/**
 * Subscribes to the market-data bus and calls `onMark(venue, symbol, price)` for every well-formed
 * tick of the given venues. A malformed message is counted and skipped.
 */
export class MarkSubscriber {
  readonly #socket: zmq.Subscriber;
  readonly #loop: Promise<void>;
  readonly stats: MarkStats = { marks: 0, malformed: 0 };

  /**
   * @param endpoint - the market-data PUB endpoint, e.g. `tcp://127.0.0.1:5555`
   * @param venues - venues to subscribe to
   * @param onMark - called per tick; may throw (counted as malformed)
   * @param logger - for the first malformed messages
   */
  constructor(
    endpoint: string,
    venues: readonly Venue[],
    onMark: (venue: Venue, symbol: string, price: number) => void,
    logger: Logger,
  ) {
    const socket = new zmq.Subscriber({ linger: 0 });
    this.#socket = socket;
    // connect() does not wait for the peer: ZeroMQ reconnects in the background until the bus is up.
    socket.connect(endpoint);
    for (const venue of venues) socket.subscribe(`tick.${venue}.`);
    const allowed = new Set<string>(venues);
    this.#loop = (async () => {
      try {
        for await (const frames of socket) {
          const tick = parseTick(frames[1]);
          if (tick === undefined || !allowed.has(tick.exchange)) {
            this.stats.malformed++;
            if (this.stats.malformed <= 10) logger.warn('malformed market-data message skipped');
            continue;
          }
          try {
            onMark(tick.exchange, tick.symbol, tick.price);
            this.stats.marks++;
          } catch (error) {
            this.stats.malformed++;
            if (this.stats.malformed <= 10) logger.warn({ err: (error as Error).message }, 'mark rejected');
          }
        }
      } catch (error) {
        // Closing the socket ends the iterator; anything else is logged, and marks stop.
        if (!socket.closed) logger.error({ err: (error as Error).message }, 'market-data subscriber failed');
      }
    })();
  }

  /** Closes the socket and waits for the receive loop to end. */
  async close(): Promise<void> {
    this.#socket.close();
    await this.#loop;
  }
}

/** Reads the fields of a Tick the gateway needs, or `undefined` when the payload is not a tick. */
function parseTick(payload: Buffer | undefined): Pick<Tick, 'exchange' | 'symbol' | 'price'> | undefined {
  if (payload === undefined || payload.length > 64 * 1024) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const price = r.price;
  if (typeof r.exchange !== 'string' || typeof r.symbol !== 'string' || r.symbol.length === 0) return undefined;
  if (!(typeof price === 'number' && price > 0 && price < Number.POSITIVE_INFINITY)) return undefined;
  return { exchange: r.exchange as Venue, symbol: r.symbol, price };
}
