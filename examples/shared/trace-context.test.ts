import { describe, expect, it } from 'vitest';
import { newTrace, parseTraceparent, traceparent } from './trace-context.js';

describe('trace context', () => {
  it('round-trips a new trace through its traceparent header', () => {
    const trace = newTrace();
    expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(trace.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(parseTraceparent(traceparent(trace))).toEqual(trace);
    expect(newTrace().traceId).not.toBe(trace.traceId);
  });

  it('reads the spec example, and a later version with more fields', () => {
    const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(parseTraceparent(header)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
    });
    expect(parseTraceparent(`cc${header.slice(2)}-what-the-future-holds`)).toMatchObject({
      spanId: '00f067aa0ba902b7',
    });
  });

  it('tells a missing header from an invalid one', () => {
    expect(parseTraceparent(undefined)).toBeUndefined();
    for (const bad of [
      '',
      'garbage',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`,
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    ]) {
      expect(parseTraceparent(bad), bad).toBe('invalid');
    }
    expect(parseTraceparent(['a', 'b'])).toBe('invalid');
  });
});
