/**
 * Requests waiting for the codebook to reach a log position (read-your-writes on a replica): each resolves
 * true once {@link reached} reports that position or a later one, or false after its timeout.
 */
export class LogPositionWaiters {
  private readonly waiting = new Set<{
    readonly position: number;
    readonly done: (reached: boolean) => void;
  }>();

  /** Resolves at once when `current` is already at `position`. */
  wait(position: number, current: number, timeoutMilliseconds: number): Promise<boolean> {
    if (current >= position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        position,
        done: (reached: boolean) => {
          clearTimeout(timer);
          this.waiting.delete(waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => waiter.done(false), timeoutMilliseconds);
      this.waiting.add(waiter);
    });
  }

  /** The codebook now includes every entry up to `position`. */
  reached(position: number): void {
    for (const waiter of this.waiting) if (waiter.position <= position) waiter.done(true);
  }
}
