import { describe, expect, it } from 'vitest';
import { pollUntil, settle } from './wait.js';

// Real timers with 1 ms pauses: each case waits a few milliseconds at most.

describe('pollUntil', () => {
  it('resolves the first result that is neither undefined nor false', async () => {
    let tries = 0;
    expect(await pollUntil(() => (++tries < 3 ? undefined : `try ${tries}`), 'a value', 1_000, 1)).toBe('try 3');
    expect(await pollUntil(() => ++tries > 4, 'a condition', 1_000, 1)).toBe(true);
  });

  it('throws naming what it waited for once the time is up', async () => {
    await expect(pollUntil(() => false, 'the feed', 5, 1)).rejects.toThrow('timed out after 5 ms waiting for the feed');
  });

  it('gives up at once when the probe throws', async () => {
    let tries = 0;
    const probe = () => {
      tries++;
      throw new Error('boom');
    };
    await expect(pollUntil(probe, 'x', 1_000, 1)).rejects.toThrow('boom');
    expect(tries).toBe(1);
  });
});

describe('settle', () => {
  it('returns [] as soon as the probe reports no failure', async () => {
    let tries = 0;
    expect(await settle(() => (++tries < 3 ? [`try ${tries}`] : []), 1_000, 1)).toEqual([]);
    expect(tries).toBe(3);
  });

  it('returns the failures of the last try once the time is up, without throwing', async () => {
    let tries = 0;
    const failing = await settle(async () => [`try ${++tries}`, 'still down'], 5, 1);
    expect(tries).toBeGreaterThan(1);
    expect(failing).toEqual([`try ${tries}`, 'still down']);
  });

  it('counts a throwing probe as one failure, its message, and tries again', async () => {
    let tries = 0;
    const probe = async () => {
      if (++tries < 3) throw new Error(`not listening yet (${tries})`);
      return [];
    };
    expect(await settle(probe, 1_000, 1)).toEqual([]);
    expect(tries).toBe(3);
    expect(
      await settle(
        () => {
          throw new Error('connection refused');
        },
        5,
        1,
      ),
    ).toEqual(['connection refused']);
  });

  it('returns a copy: the probe may keep and change its own list', async () => {
    const mine = ['a'];
    const failing = await settle(() => mine, 0, 1);
    mine.push('b');
    expect(failing).toEqual(['a']);
  });
});
