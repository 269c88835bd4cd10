/** Why a job was not queued: the whole queue, or this client's share of it, is full. */
export type QueueRefusal = 'saturated' | 'client-saturated';

/**
 * Jobs queued per client and handed out round-robin across clients, so a client that sends much work waits
 * behind its own work, not in front of everyone else's: with N clients waiting, each gets every N-th turn.
 * Bounded twice: per client and in total; a job beyond either bound is refused (the caller answers 503 with
 * `Retry-After`) instead of queued without end.
 */
export class FairScheduler<Job> {
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

  /** The next job: the first of the client whose turn it is; that client then goes to the back. */
  next(): Job | undefined {
    for (const [client, queue] of this.queues) {
      this.queues.delete(client);
      const job = queue.shift();
      if (queue.length > 0) this.queues.set(client, queue);
      if (job !== undefined) {
        this.queuedCount--;
        return job;
      }
    }
    return undefined;
  }
}
