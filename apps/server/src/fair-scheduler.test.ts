import { describe, expect, it } from 'vitest';
import { FairScheduler } from './fair-scheduler.js';

describe('FairScheduler', () => {
  it('hands out jobs round-robin across clients, in order within each client', () => {
    const scheduler = new FairScheduler<string>({ maximumQueued: 100, maximumQueuedPerClient: 50 });
    scheduler.enqueue('flood', ['f1', 'f2', 'f3', 'f4']);
    scheduler.enqueue('other', ['o1']);
    scheduler.enqueue('third', ['t1', 't2']);
    const order: string[] = [];
    for (let job = scheduler.next(); job !== undefined; job = scheduler.next()) {
      order.push(job);
      if (job === 'f2') scheduler.enqueue('other', ['o2']);
    }
    expect(order).toEqual(['f1', 'o1', 't1', 'f2', 't2', 'f3', 'o2', 'f4']);
    expect(scheduler.queued).toBe(0);
  });

  it('refuses all of a batch beyond the per-client or the total bound, and keeps the rest', () => {
    const scheduler = new FairScheduler<number>({ maximumQueued: 5, maximumQueuedPerClient: 3 });
    expect(scheduler.enqueue('a', [1, 2])).toBeNull();
    expect(scheduler.enqueue('a', [3, 4])).toBe('client-saturated');
    expect(scheduler.enqueue('b', [5, 6, 7])).toBeNull();
    expect(scheduler.enqueue('c', [8])).toBe('saturated');
    expect(scheduler.queued).toBe(5);
    expect([scheduler.next(), scheduler.next(), scheduler.next()]).toEqual([1, 5, 2]);
  });
});
