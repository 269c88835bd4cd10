import { type EditLogStore, StoreUnavailableError } from './edit-log-store.js';
import { ServiceUnavailableError } from './service-unavailable-error.js';

/** Whether edits can be taken now, and if not why (for `/readyz`). */
export interface Readiness {
  readonly ready: boolean;
  readonly reason: string | null;
}

/**
 * What the service asks of its store before and around a write: is it writable (not failed, no write stuck on
 * the disk for longer than `stalledWriteMilliseconds`), and a write whose failure a client sees as 503
 * `STORE_UNAVAILABLE` — never the store's own error, whose details go to the server's log only.
 */
export class StoreGuard {
  private readonly store: EditLogStore;
  private readonly stalledWriteMilliseconds: number;

  constructor(store: EditLogStore, stalledWriteMilliseconds: number) {
    this.store = store;
    this.stalledWriteMilliseconds = stalledWriteMilliseconds;
  }

  readiness(): Readiness {
    const health = this.store.health();
    if (!health.healthy) return { ready: false, reason: 'the edit log cannot be written' };
    if (health.writeWaitingMilliseconds > this.stalledWriteMilliseconds) {
      return { ready: false, reason: 'a write to the edit log has been waiting on the disk' };
    }
    return { ready: true, reason: null };
  }

  /** Refuses a mutation (503) while the log cannot be written or a write is stuck on the disk. */
  ensureWritable(): void {
    const { ready, reason } = this.readiness();
    if (!ready) throw new ServiceUnavailableError('STORE_UNAVAILABLE', `${reason}; edits are refused`, 5);
  }

  async write(write: (store: EditLogStore) => Promise<void>): Promise<void> {
    try {
      await write(this.store);
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        console.error(`edit log write failed: ${error.message}`);
        throw new ServiceUnavailableError('STORE_UNAVAILABLE', 'the edit log cannot be written', 5);
      }
      throw error;
    }
  }
}
