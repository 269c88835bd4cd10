import pg from 'pg';
import { editLogChannel } from './postgres-edit-log-store.js';

export interface LogFollowerOptions {
  readonly connectionString: string;
  /** The followed log's name (notifications of other logs are ignored). */
  readonly logName: string;
  /** Reads the log after the position applied so far and applies it; resolves with the entries applied. */
  readonly catchUp: () => Promise<number>;
  /** Milliseconds between catch-ups without a notification (a missed one loses nothing); default 1,000. */
  readonly pollMilliseconds?: number;
  /** Where failures to read are reported; default `console.warn`. */
  readonly warn?: (message: string) => void;
}

/**
 * Keeps a replica's codebook on the shared log: `LISTEN` on a dedicated connection wakes it at each commit,
 * and a catch-up always reads by position (everything after what was applied), so a notification lost while
 * the connection was down, or never sent, only delays an entry until the next poll. Catch-ups never overlap:
 * wake-ups during one coalesce into one more. The connection is re-made after a failure (a restarted
 * database), followed by a catch-up.
 */
export class LogFollower {
  private readonly options: LogFollowerOptions;
  private client: pg.Client | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(options: LogFollowerOptions) {
    this.options = options;
    this.timer = setInterval(() => {
      if (this.client === undefined) void this.listen();
      this.wake();
    }, options.pollMilliseconds ?? 1000);
    this.timer.unref();
    void this.listen();
  }

  /** Catches up now (or once more after the catch-up running now). */
  wake(): void {
    if (this.closed) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.options.catchUp();
        } catch (error) {
          (this.options.warn ?? console.warn)(
            `following the edit log failed (retried): ${error instanceof Error ? error.message : String(error)}`,
          );
          return;
        }
      } while (this.again && !this.closed);
    })().finally(() => {
      this.running = undefined;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.running;
    await this.client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.options.connectionString, keepAlive: true });
    this.client = client;
    const drop = (): void => {
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
    };
    client.on('error', drop);
    client.on('end', drop);
    client.on('notification', (message) => {
      if (message.payload?.startsWith(`${this.options.logName}:`)) this.wake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${editLogChannel}`);
      this.wake();
    } catch {
      drop();
    }
  }
}
