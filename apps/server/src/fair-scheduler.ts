/** Why a job was not queued: the whole queue, or this client's share of it, is full. */
export type QueueRefusal = 'saturated' | 'client-saturated';

/**
 * Jobs queued per client and handed out by deficit round-robin: clients take turns, and in its turn a client
 * gets as many of its jobs as fit in a budget of cost (at least one). A client that sends much costly work
 * waits behind its own work, not in front of everyone else's, and a client of many cheap jobs gets them all
 * through in one turn instead of one per turn. Bounded twice: per client and in total; a job beyond either
 * bound is refused (the caller answers 503 with `Retry-After`) instead of queued without end.
 */
export class FairScheduler<Job extends { readonly cost: number }> {
  private readonly queues = new Map<string, Job[]>();
  private readonly maximumQueued: number;
  private readonly maximumQueuedPerClient: number;
  private queuedCount = 0;

  constructor(options: { readonly maximumQueued: number; readonly maximumQueuedPerClient: number }) {
    this.maximumQueued = options.maximumQueued;
    this.maximumQueuedPerClient = options.maximumQueuedPerClient;
  }

  /** Jobs waiting, all clients together. */
  get queued(): number {
    return this.queuedCount;
  }

  /** Queues all of `jobs` for `client`, or none of them (returning why). */
  enqueue(client: string, jobs: readonly Job[]): QueueRefusal | null {
    const queue = this.queues.get(client) ?? [];
    if (queue.length + jobs.length > this.maximumQueuedPerClient) return 'client-saturated';
    if (this.queuedCount + jobs.length > this.maximumQueued) return 'saturated';
    queue.push(...jobs);
    this.queues.set(client, queue);
    this.queuedCount += jobs.length;
    return null;
  }

  /**
   * The next turn: the first jobs of the client whose turn it is, as many as fit in `budget` (at least one);
   * that client then goes to the back. Empty when nothing waits.
   */
  next(budget: number): Job[] {
    for (const [client, queue] of this.queues) {
      this.queues.delete(client);
      const turn: Job[] = [];
      let cost = 0;
      while (queue.length > 0 && (turn.length === 0 || cost + (queue[0] as Job).cost <= budget)) {
        const job = queue.shift() as Job;
        cost += job.cost;
        turn.push(job);
      }
      if (queue.length > 0) this.queues.set(client, queue);
      this.queuedCount -= turn.length;
      if (turn.length > 0) return turn;
    }
    return [];
  }
}
