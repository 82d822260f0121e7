import { describe, expect, it } from 'vitest';
import { ResponsePacer } from './response-pacer.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ResponsePacer', () => {
  it('runs the first task at once and each next one in a later turn, in order', async () => {
    const pacer = new ResponsePacer();
    const ran: string[] = [];
    for (const name of ['a', 'b', 'c']) pacer.run(() => ran.push(name));
    expect(ran).toEqual(['a']);
    expect(pacer.pending).toBe(2);
    await nextTurn();
    expect(ran).toEqual(['a', 'b']);
    await nextTurn();
    expect(ran).toEqual(['a', 'b', 'c']);
    await nextTurn();
    // Idle again: a new task runs at once.
    pacer.run(() => ran.push('d'));
    expect(ran).toEqual(['a', 'b', 'c', 'd']);
  });

  it('lets work queued by one task run before the next task', async () => {
    const pacer = new ResponsePacer();
    const events: string[] = [];
    pacer.run(() => events.push('task 1'));
    pacer.run(() => {
      events.push('task 2');
      // The service's own next-turn work, queued while a body is written.
      setImmediate(() => events.push('service work'));
    });
    pacer.run(() => events.push('task 3'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events).toEqual(['task 1', 'task 2', 'service work', 'task 3']);
  });

  it('keeps going after a task throws', async () => {
    const pacer = new ResponsePacer();
    const ran: string[] = [];
    expect(() =>
      pacer.run(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    pacer.run(() => ran.push('after'));
    await nextTurn();
    expect(ran).toEqual(['after']);
  });
});
