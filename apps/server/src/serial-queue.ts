/**
 * Runs tasks one at a time, in the order they were submitted. Edits, rollbacks, snapshots and restores go
 * through one queue so the codebook sees them in arrival order and the log order is the apply order; a
 * failed task does not stop the ones behind it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Tasks submitted and not yet finished, including the one running. */
  get depth(): number {
    return this.waiting;
  }

  run<Result>(task: () => Promise<Result>): Promise<Result> {
    this.waiting++;
    const result = this.tail.then(task).finally(() => {
      this.waiting--;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything submitted so far has finished. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
