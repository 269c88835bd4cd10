import { describe, expect, it } from 'vitest';
import { FairScheduler } from './fair-scheduler.js';

describe('FairScheduler', () => {
  const jobs = (names: string[], cost = 10) => names.map((name) => ({ name, cost }));
  const names = (turn: { name: string }[]) => turn.map((job) => job.name).join('+');

  it('hands out turns round-robin across clients, in order within each client', () => {
    const scheduler = new FairScheduler<{ name: string; cost: number }>({
      maximumQueued: 100,
      maximumQueuedPerClient: 50,
    });
    scheduler.enqueue('flood', jobs(['f1', 'f2', 'f3', 'f4']));
    scheduler.enqueue('other', jobs(['o1']));
    scheduler.enqueue('third', jobs(['t1', 't2']));
    const order: string[] = [];
    for (let turn = scheduler.next(10); turn.length > 0; turn = scheduler.next(10)) {
      order.push(names(turn));
      if (names(turn) === 'f2') scheduler.enqueue('other', jobs(['o2']));
    }
    expect(order).toEqual(['f1', 'o1', 't1', 'f2', 't2', 'f3', 'o2', 'f4']);
    expect(scheduler.queued).toBe(0);
  });

  it('gives a client of cheap jobs as many as fit in the budget per turn, a costly job a turn of its own', () => {
    const scheduler = new FairScheduler<{ name: string; cost: number }>({
      maximumQueued: 100,
      maximumQueuedPerClient: 50,
    });
    scheduler.enqueue('flood', jobs(['F1', 'F2'], 4000));
    scheduler.enqueue('other', jobs(['o1', 'o2', 'o3', 'o4', 'o5'], 30));
    expect([names(scheduler.next(100)), names(scheduler.next(100)), names(scheduler.next(100))]).toEqual([
      'F1',
      'o1+o2+o3',
      'F2',
    ]);
    expect(names(scheduler.next(100))).toBe('o4+o5');
    expect(scheduler.next(100)).toEqual([]);
  });

  it('refuses all of a batch beyond the per-client or the total bound, and keeps the rest', () => {
    const scheduler = new FairScheduler<{ name: string; cost: number }>({
      maximumQueued: 5,
      maximumQueuedPerClient: 3,
    });
    expect(scheduler.enqueue('a', jobs(['1', '2']))).toBeNull();
    expect(scheduler.enqueue('a', jobs(['3', '4']))).toBe('client-saturated');
    expect(scheduler.enqueue('b', jobs(['5', '6', '7']))).toBeNull();
    expect(scheduler.enqueue('c', jobs(['8']))).toBe('saturated');
    expect(scheduler.queued).toBe(5);
    expect([scheduler.next(10), scheduler.next(10), scheduler.next(10)].map(names)).toEqual(['1', '5', '2']);
  });
});
