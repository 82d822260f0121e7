import type { CounterHandle, GaugeHandle } from '@ttquant/metrics';
import type { Logger } from '../shared/logger.js';
import type { Venue } from '../shared/protocol.js';
import { backoffDelay, WakeablePause } from '../shared/retry-pause.js';
import { tickRecord } from './feed-handler.js';
import { parseMarketMessage } from './parse.js';
import type { SequenceGap } from './sequence-tracker.js';
import type { TickRecord } from './tick-store.js';

// Fetches the messages of one venue's feed gaps from the exchange's replay endpoint
// (GET /api/{venue}/feed?session=&from=&to=, examples/shared/protocol.ts), one request at a time,
// oldest gap first, and hands each recovered message on as a tick. An exchange that answers 410 (the
// session ended with a restart, or the messages left its history) makes the rest of the gap lost,
// counted; an exchange that does not answer is asked again with backoff until it does. Messages the
// store had no room for (the database down, the buffer full) are queued the same way and fetched
// once the store has room again, so a long outage costs replays, not ticks, while the exchange's
// history reaches back far enough.

/** Options of {@link GapRecovery}. */
export interface GapRecoveryOptions {
  readonly exchange: Venue;
  /** The exchange's HTTP base URL (`http://host:port`). */
  readonly baseUrl: string;
  /** Where each recovered message goes, in sequence order; false when it could not be kept (asked again later). */
  readonly onTick: (tick: TickRecord) => boolean;
  /** How many recovered messages may be handed on now (the store's free room); none: no fetch yet. */
  readonly room: () => number;
  readonly metrics: {
    readonly recovered: CounterHandle;
    readonly lost: CounterHandle;
    readonly pending: GaugeHandle;
  };
  readonly logger: Logger;
  /** Wall clock in ms: the receive time of a recovered message (default `Date.now`). */
  readonly now?: () => number;
  /** Request timeout, ms (default 5,000). */
  readonly timeoutMs?: number;
  /** Backoff after a failed request: first delay, doubling up to the max (default 100 ms → 5 s). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** Gaps held at once; past it, a new gap is counted lost at once (default 10,000). */
  readonly maxGaps?: number;
}

interface ReplayBody {
  readonly frames?: unknown;
}

/** Recovers one venue's gaps; see the module comment. */
export class GapRecovery {
  readonly #o: GapRecoveryOptions;
  readonly #gaps: { session: string; from: number; to: number }[] = [];
  readonly #now: () => number;
  #pending = 0;
  #running: Promise<void> | undefined;
  #closed = false;
  readonly #sleep = new WakeablePause();
  #abort = new AbortController();

  constructor(options: GapRecoveryOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /** Messages in gaps not yet recovered or given up. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * The lowest number of `session` still missing (the feed is settled below it), or undefined.
   *
   * @param session - the current session
   */
  lowestMissing(session: string): number | undefined {
    let lowest: number | undefined;
    for (const g of this.#gaps) if (g.session === session && (lowest === undefined || g.from < lowest)) lowest = g.from;
    return lowest;
  }

  /**
   * Queues a message that arrived live but could not be stored (the buffer was full): it joins the
   * last queued gap when it follows it, so a run of them is one request.
   *
   * @param session - its session
   * @param sequence - its number
   */
  defer(session: string, sequence: number): void {
    const last = this.#gaps.at(-1);
    if (last !== undefined && last.session === session && last.to === sequence - 1) {
      last.to = sequence;
      this.#addPending(1);
      return;
    }
    this.request({ session, from: sequence, to: sequence });
  }

  /**
   * Queues a gap for recovery.
   *
   * @param gap - the missing numbers
   */
  request(gap: SequenceGap): void {
    const size = gap.to - gap.from + 1;
    if (this.#closed || this.#gaps.length >= (this.#o.maxGaps ?? 10_000)) {
      this.#o.metrics.lost.add(size);
      this.#o.logger.error({ ...gap, exchange: this.#o.exchange }, 'gap recovery: too many gaps held; counted lost');
      return;
    }
    this.#gaps.push({ ...gap });
    this.#addPending(size);
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
  }

  /** Stops: gaps still pending stay uncounted (the checkpoint keeps them for the next process). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    this.#sleep.wake();
    await this.#running;
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#closed && this.#gaps.length > 0) {
      const gap = this.#gaps[0] as { session: string; from: number; to: number };
      const room = this.#o.room();
      if (room <= 0) {
        // The store is full (the database is down): wait for room rather than fetch what cannot be kept.
        await this.#sleep.pause(200);
        continue;
      }
      const outcome = await this.#fetchSome(gap, room);
      if (outcome === 'retry') {
        failures++;
        await this.#sleep.pause(backoffDelay(failures, this.#o.retryMinMs ?? 100, this.#o.retryMaxMs ?? 5_000));
        continue;
      }
      failures = 0;
      if (gap.from > gap.to) this.#gaps.shift();
    }
  }

  /** One request: recovers a page of the gap, or gives the gap up, or says to try again. */
  async #fetchSome(gap: { session: string; from: number; to: number }, room: number): Promise<'progress' | 'retry'> {
    const o = this.#o;
    const to = Math.min(gap.to, gap.from + room - 1);
    const url = `${o.baseUrl}/api/${o.exchange}/feed?session=${encodeURIComponent(gap.session)}&from=${gap.from}&to=${to}`;
    let status: number;
    let body: unknown;
    try {
      const response = await fetch(url, {
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(o.timeoutMs ?? 5_000)]),
      });
      status = response.status;
      body = await response.json().catch(() => undefined);
    } catch (error) {
      if (!this.#closed) o.logger.debug({ err: error, exchange: o.exchange }, 'gap recovery: exchange not reachable');
      return 'retry';
    }
    if (status === 200) {
      const frames = (body as ReplayBody | undefined)?.frames;
      if (!Array.isArray(frames) || frames.length === 0) {
        o.logger.warn({ exchange: o.exchange, status }, 'gap recovery: replay answer without frames; retrying');
        return 'retry';
      }
      const receivedTime = this.#now();
      let expected = gap.from;
      for (const frame of frames) {
        if (expected > to) break;
        const msg = parseMarketMessage(frame);
        if (typeof msg === 'string' || msg.type === 'session' || msg.sequence !== expected) {
          // Not the message asked for: give this number up rather than store something else.
          o.logger.error(
            { exchange: o.exchange, session: gap.session, sequence: expected },
            'gap recovery: bad replay frame',
          );
          o.metrics.lost.inc();
        } else {
          const kept = o.onTick(tickRecord(o.exchange, msg, receivedTime, gap.session));
          if (kept) o.metrics.recovered.inc();
          else this.defer(gap.session, expected);
        }
        expected++;
      }
      const done = expected - gap.from;
      gap.from = expected;
      this.#addPending(-done);
      return 'progress';
    }
    if (status === 410 || status === 400) {
      // Gone (a new session, or evicted from the history), or refused: the rest of the gap is lost.
      const size = gap.to - gap.from + 1;
      o.metrics.lost.add(size);
      o.logger.warn(
        { exchange: o.exchange, session: gap.session, from: gap.from, to: gap.to, status, answer: body },
        'gap recovery: the exchange cannot replay these messages; counted lost',
      );
      gap.from = gap.to + 1;
      this.#addPending(-size);
      return 'progress';
    }
    o.logger.warn({ exchange: o.exchange, status }, 'gap recovery: replay failed; retrying');
    return 'retry';
  }

  #addPending(delta: number): void {
    this.#pending += delta;
    this.#o.metrics.pending.set(this.#pending);
  }
}
