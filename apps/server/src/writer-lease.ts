import pg from 'pg';
import type { PostgresEditLogStore } from './postgres-edit-log-store.js';
import type { WriterRole } from './writer-role.js';

/** The advisory-lock class of writer leases (the object id is `hashtext(<log name>)`). */
const leaseLockClass = 0x67_72_61;

export interface WriterLeaseOptions {
  readonly store: PostgresEditLogStore;
  /** Milliseconds between attempts to take the lease, and between checks that it is still held; default 250. */
  readonly retryMilliseconds?: number;
  /** Where lease changes are reported; default `console.log`. */
  readonly log?: (message: string) => void;
}

/**
 * One writer at a time per log, by a PostgreSQL session-level advisory lock held on a dedicated connection.
 * Every replica runs a lease: while another process holds the lock it retries every `retryMilliseconds` and
 * remembers the writer's advertised address (kept in `grace_logs.writer_address`); when the holder dies, its
 * session ends, PostgreSQL releases the lock and the next attempt of another replica takes it.
 *
 * Taking the lease: lock, publish the address, hand the connection to the store (appends commit on that
 * session only, so a process that lost the lock cannot append), then `catchUp` (read and apply the log to
 * its end, which includes anything the old writer committed) before {@link isWriter} turns true. The lease
 * is lost when the connection fails, a check on it fails, or an append failed (`store.onWriteFailed`).
 */
export class WriterLease implements WriterRole {
  private readonly options: WriterLeaseOptions;
  private client: pg.Client | undefined;
  private held = false;
  private knownWriter: string | null = null;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private address = '';
  private catchUp: () => Promise<unknown> = async () => undefined;

  constructor(options: WriterLeaseOptions) {
    this.options = options;
    options.store.onWriteFailed = () => this.lose('an append failed');
  }

  isWriter(): boolean {
    return this.held;
  }

  writerAddress(): string | null {
    return this.held ? this.address : this.knownWriter;
  }

  /** Starts competing for the lease as `address` (the URL replicas send edits to). */
  start(address: string, catchUp: () => Promise<unknown>): void {
    this.address = address;
    this.catchUp = catchUp;
    void this.tick();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.held = false;
    this.options.store.setWriterConnection(undefined);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private async tick(): Promise<void> {
    try {
      if (this.held) await (this.client as pg.Client).query('SELECT 1');
      else await this.attempt();
    } catch (error) {
      this.lose(error instanceof Error ? error.message : String(error));
    }
    if (!this.closed) this.timer = setTimeout(() => void this.tick(), this.options.retryMilliseconds ?? 250);
  }

  private async attempt(): Promise<void> {
    const client = await this.connection();
    const { store } = this.options;
    const { rows } = await client.query(
      `SELECT pg_try_advisory_lock($1, hashtext($2)) AS acquired,
              (SELECT writer_address FROM grace_logs WHERE name = $2) AS writer`,
      [leaseLockClass, store.logName],
    );
    if (rows[0]?.acquired !== true) {
      this.knownWriter = rows[0]?.writer ?? null;
      return;
    }
    await client.query('UPDATE grace_logs SET writer_address = $2 WHERE name = $1', [
      store.logName,
      this.address,
    ]);
    store.setWriterConnection(client);
    await this.catchUp();
    if (this.client !== client) return; // lost while catching up
    this.held = true;
    (this.options.log ?? console.log)(`writer lease taken by ${this.address}; edits are taken here`);
  }

  private async connection(): Promise<pg.Client> {
    if (this.client !== undefined) return this.client;
    const client = new pg.Client({ connectionString: this.options.store.connectionString, keepAlive: true });
    client.on('error', (error) => this.lose(error.message));
    this.client = client;
    await client.connect();
    return client;
  }

  /** Gives the lease up (the session is ended, so PostgreSQL releases the lock); the next tick competes again. */
  private lose(reason: string): void {
    const client = this.client;
    if (client === undefined) return;
    this.client = undefined;
    this.options.store.setWriterConnection(undefined);
    if (this.held) (this.options.log ?? console.log)(`writer lease lost (${reason}); edits are refused here`);
    this.held = false;
    this.knownWriter = null;
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
  }
}
