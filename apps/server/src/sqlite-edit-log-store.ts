import type {
  EditLogEntry,
  EditLogIdentity,
  EditLogStore,
  EditLogSummary,
  StoredCheckpoint,
  StoredSnapshot,
  StoreHealth,
} from './edit-log-store.js';
import { StoreUnavailableError } from './edit-log-store.js';
import { WorkerClient, workerScript } from './worker-client.js';

export interface SqliteEditLogStoreOptions {
  /** How often the file's identity is checked between writes, in milliseconds; default 1,000. */
  readonly identityCheckMilliseconds?: number;
}

/**
 * The edit log in one SQLite file (see {@link SqliteEditLogFile}), driven from a worker thread so that disk
 * I/O never blocks the event loop: while a write waits on a stuck disk, predictions and health checks are
 * still answered, and `health()` reports the wait.
 *
 * Faults are sticky: once the file is found deleted or replaced, or a write fails, the store refuses every
 * later write with {@link StoreUnavailableError} (the log's state on disk is no longer known) until the
 * server is restarted and replays what is really on disk.
 */
export class SqliteEditLogStore implements EditLogStore {
  readonly path: string;
  private readonly worker: WorkerClient;
  private readonly writesStarted = new Map<number, number>();
  private nextWrite = 1;
  private failure: string | null = null;
  private readonly identityTimer: NodeJS.Timeout;

  constructor(path: string, options: SqliteEditLogStoreOptions = {}) {
    this.path = path;
    this.worker = new WorkerClient(workerScript('sqlite-store-worker'), path);
    this.identityTimer = setInterval(() => {
      if (this.failure === null && this.writesStarted.size === 0) {
        void this.write('verifyIdentity').catch(() => undefined);
      }
    }, options.identityCheckMilliseconds ?? 1000);
    this.identityTimer.unref();
  }

  /** The journal mode, synchronous level and locking mode in force, for tests and the start-up banner. */
  pragmas(): Promise<{ journalMode: string; synchronous: number; lockingMode: string }> {
    return this.worker.call('pragmas');
  }

  health(): StoreHealth {
    const oldest = Math.min(...this.writesStarted.values());
    return {
      healthy: this.failure === null,
      reason: this.failure,
      writeWaitingMilliseconds: this.writesStarted.size === 0 ? 0 : performance.now() - oldest,
    };
  }

  open(identity: EditLogIdentity): Promise<void> {
    return this.worker.call('open', identity);
  }

  lastPosition(): Promise<number> {
    return this.worker.call('lastPosition');
  }

  append(entries: readonly EditLogEntry[]): Promise<void> {
    return this.write('append', entries);
  }

  read(afterPosition = 0): Promise<EditLogEntry[]> {
    return this.worker.call('read', afterPosition);
  }

  readSummaries(): Promise<EditLogSummary[]> {
    return this.worker.call('readSummaries');
  }

  saveSnapshot(snapshot: StoredSnapshot): Promise<void> {
    return this.write('saveSnapshot', snapshot);
  }

  loadSnapshot(id: string): Promise<StoredSnapshot | undefined> {
    return this.worker.call('loadSnapshot', id);
  }

  listSnapshots(): Promise<Omit<StoredSnapshot, 'codebook'>[]> {
    return this.worker.call('listSnapshots');
  }

  saveCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    return this.write('saveCheckpoint', checkpoint);
  }

  checkpoints(): Promise<StoredCheckpoint[]> {
    return this.worker.call('checkpoints');
  }

  truncateAfter(position: number): Promise<void> {
    return this.write('truncateAfter', position);
  }

  async close(): Promise<void> {
    clearInterval(this.identityTimer);
    try {
      await this.worker.call('close');
    } catch {
      // A worker that already died has nothing left to close.
    }
    await this.worker.terminate();
  }

  /** A write: refused once the store has failed; a failure makes the store unhealthy for good. */
  private async write(method: string, ...args: unknown[]): Promise<void> {
    if (this.failure !== null) throw new StoreUnavailableError(this.failure);
    const write = this.nextWrite++;
    this.writesStarted.set(write, performance.now());
    try {
      await this.worker.call(method, ...args);
    } catch (error) {
      this.failure ??= error instanceof Error ? error.message : String(error);
      throw new StoreUnavailableError(this.failure);
    } finally {
      this.writesStarted.delete(write);
    }
  }
}
