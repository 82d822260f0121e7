import { describe, expect, it } from 'vitest';
import { SequenceTracker } from './sequence-tracker.js';

describe('SequenceTracker', () => {
  it('starts where it joins, then reports gaps, repeats and a new session from 1', () => {
    const t = new SequenceTracker();
    expect(t.position).toBeUndefined();
    expect(t.observe('s1', 40)).toBe('next');
    expect(t.observe('s1', 41)).toBe('next');
    expect(t.observe('s1', 45)).toEqual({ session: 's1', from: 42, to: 44 });
    expect(t.observe('s1', 46)).toBe('next');
    expect(t.observe('s1', 43)).toBe('duplicate');
    expect(t.position).toEqual({ session: 's1', next: 47 });
    expect(t.observe('s2', 5)).toEqual({ session: 's2', from: 1, to: 4 });
    expect(t.observe('s3', 1)).toBe('next');
  });

  it('resumes from a checkpoint: the first message after it reveals what was missed', () => {
    const t = new SequenceTracker({ session: 's1', next: 100 });
    expect(t.observe('s1', 130)).toEqual({ session: 's1', from: 100, to: 129 });
    const same = new SequenceTracker({ session: 's1', next: 100 });
    expect(same.observe('s1', 100)).toBe('next');
    const restarted = new SequenceTracker({ session: 's1', next: 100 });
    expect(restarted.observe('s2', 3)).toEqual({ session: 's2', from: 1, to: 2 });
  });

  it('lets messages without numbers through untracked', () => {
    const t = new SequenceTracker();
    expect(t.observe('', 0)).toBe('next');
    expect(t.observe('s1', 0)).toBe('next');
    expect(t.position).toBeUndefined();
  });
});
