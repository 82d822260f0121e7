import type { FeedCheckpoint } from './tick-spool.js';

// One venue's feed sequence, as the service sees it arrive live: the next number it expects in the
// current session. A number past it is a gap (the messages in between were lost on the wire, came
// malformed, were skipped by a slow socket, or arrived while this process was down); a number
// before it was seen already. A new session (the exchange restarted) starts from 1: its first
// messages went out before this service reconnected.

/** Numbers missing from a session, `from` to `to` inclusive. */
export interface SequenceGap {
  readonly session: string;
  readonly from: number;
  readonly to: number;
}

/** What one live message is: next in order, after a gap, or seen before. */
export type SequenceVerdict = 'next' | 'duplicate' | SequenceGap;

/** Tracks one venue's live sequence numbers; see the module comment. */
export class SequenceTracker {
  #session: string;
  /** The next number expected; 0 while the session is unknown. */
  #next: number;

  /**
   * @param resume - where the previous process left off (its checkpoint); none: start from the first message seen
   */
  constructor(resume?: FeedCheckpoint) {
    this.#session = resume?.session ?? '';
    this.#next = resume?.next ?? 0;
  }

  /** The current session and the next number expected (undefined before the first numbered message). */
  get position(): FeedCheckpoint | undefined {
    return this.#session === '' ? undefined : { session: this.#session, next: this.#next };
  }

  /**
   * Classifies one live message.
   *
   * @param session - its feed session ('' for a feed without numbers: always `'next'`)
   * @param sequence - its number (0 for none)
   * @returns `'next'`, `'duplicate'`, or the gap it reveals (the message itself then follows the gap)
   */
  observe(session: string, sequence: number): SequenceVerdict {
    if (session === '' || sequence === 0) return 'next';
    if (session !== this.#session) {
      const first = this.#session === '';
      this.#session = session;
      this.#next = sequence + 1;
      // The first session this service ever saw starts where it joined; a later one from 1.
      return first || sequence === 1 ? 'next' : { session, from: 1, to: sequence - 1 };
    }
    if (sequence === this.#next) {
      this.#next++;
      return 'next';
    }
    if (sequence < this.#next) return 'duplicate';
    const gap: SequenceGap = { session, from: this.#next, to: sequence - 1 };
    this.#next = sequence + 1;
    return gap;
  }
}
