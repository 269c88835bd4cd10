import pg from 'pg';
import { fromRow, type LogRow, summaryFromRow, toRow } from './edit-log-rows.js';
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

/** The channel every append notifies (payload `<log name>:<last position>`), so replicas wake at once. */
export const editLogChannel = 'grace_edit_log';

/** Checkpoints kept per log: the newest and one before it, in case the newest is damaged. */
const checkpointsKept = 2;

const schema = `
  CREATE TABLE IF NOT EXISTS grace_logs (
    name text PRIMARY KEY,
    identity text NOT NULL,
    last_position bigint NOT NULL DEFAULT 0,
    writer_address text
  );
  CREATE TABLE IF NOT EXISTS grace_edit_log (
    log text NOT NULL REFERENCES grace_logs (name),
    position bigint NOT NULL,
    kind text NOT NULL CHECK (kind IN ('edit', 'rollback', 'restore')),
    time text NOT NULL,
    edit_id text,
    snapshot_id text,
    details text NOT NULL,
    query bytea,
    value bytea,
    PRIMARY KEY (log, position)
  );
  CREATE TABLE IF NOT EXISTS grace_snapshots (
    log text NOT NULL REFERENCES grace_logs (name),
    id text NOT NULL,
    time text NOT NULL,
    log_position bigint NOT NULL,
    codebook bytea NOT NULL,
    PRIMARY KEY (log, id)
  );
  CREATE TABLE IF NOT EXISTS grace_checkpoints (
    log text NOT NULL REFERENCES grace_logs (name),
    position bigint NOT NULL,
    codebook bytea NOT NULL,
    PRIMARY KEY (log, position)
  );`;

/** A row as `pg` returns it: `bigint` columns arrive as strings. */
type PgLogRow = Omit<LogRow, 'position'> & { position: string };

/**
 * The edit log in PostgreSQL, shared by every replica of one model: the same rows as the SQLite log (query and
 * value as float32 `bytea`, the rest as JSON `details`), one log per model name in the same tables.
 *
 * Positions are gap-free per log: `append` is one transaction that locks the log's row, accepts only entries
 * numbered `last_position + 1, + 2, …`, inserts them, moves `last_position` and notifies
 * {@link editLogChannel} (delivered at commit). Appends run only on the writer's connection, the one holding
 * the writer lease (a session-level advisory lock, see `WriterLease`): a commit on that session proves the
 * lock was held, so an old writer that lost its lease can never append. A failed append is refused with
 * {@link StoreUnavailableError} and the writer connection is dropped (`onWriteFailed`), so the lease passes
 * on and whoever takes it re-reads the log before writing (an append whose commit answer was lost is found
 * there, never applied twice). Reads, snapshots and checkpoints go through a pool.
 */
export class PostgresEditLogStore implements EditLogStore {
  private readonly pool: pg.Pool;
  private writer: pg.Client | undefined;
  private name: string | undefined;
  private writeStarted: number | null = null;
  /** Called after an append failed on the writer connection (the lease gives itself up). */
  onWriteFailed: () => void = () => undefined;

  constructor(readonly connectionString: string) {
    this.pool = new pg.Pool({ connectionString, max: 4, keepAlive: true, connectionTimeoutMillis: 5000 });
    // An idle client whose server went away: the pool drops it and a later query connects afresh.
    this.pool.on('error', () => undefined);
  }

  /** The log's name (the model's), known once {@link open} ran. */
  get logName(): string {
    if (this.name === undefined) throw new Error('the PostgreSQL edit log is not open yet');
    return this.name;
  }

  /**
   * Appends go through `client` (the writer lease's session) from now on; `undefined`: this process is not
   * the writer.
   */
  setWriterConnection(client: pg.Client | undefined): void {
    this.writer = client;
  }

  /** Healthy while no append is stuck: a failed append ends the writer's session instead of poisoning the store. */
  health(): StoreHealth {
    return {
      healthy: true,
      reason: null,
      writeWaitingMilliseconds: this.writeStarted === null ? 0 : performance.now() - this.writeStarted,
    };
  }

  async open(identity: EditLogIdentity): Promise<void> {
    const text = JSON.stringify(identity);
    await this.transaction(this.pool, async (client) => {
      // Replicas starting together would race on CREATE TABLE IF NOT EXISTS; the lock serialises them.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('grace_edit_log schema'))");
      await client.query(schema);
      await client.query('INSERT INTO grace_logs (name, identity) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        identity.model,
        text,
      ]);
      const { rows } = await client.query('SELECT identity FROM grace_logs WHERE name = $1', [
        identity.model,
      ]);
      if (rows[0]?.identity !== text) {
        throw new Error(`the edit log ${identity.model} was written for ${rows[0]?.identity}, not ${text}`);
      }
    });
    this.name = identity.model;
  }

  async lastPosition(): Promise<number> {
    const { rows } = await this.pool.query('SELECT last_position FROM grace_logs WHERE name = $1', [
      this.logName,
    ]);
    return Number(rows[0]?.last_position ?? 0);
  }

  async append(entries: readonly EditLogEntry[]): Promise<void> {
    const writer = this.writer;
    if (writer === undefined) throw new StoreUnavailableError('this process does not hold the writer lease');
    if (entries.length === 0) return;
    this.writeStarted = performance.now();
    try {
      await this.transaction(writer, async (client) => {
        const { rows } = await client.query(
          'SELECT last_position FROM grace_logs WHERE name = $1 FOR UPDATE',
          [this.logName],
        );
        const last = Number(rows[0]?.last_position);
        entries.forEach((entry, index) => {
          if (entry.position !== last + 1 + index) {
            throw new Error(`append at position ${entry.position}, but the log is at ${last + index}`);
          }
        });
        for (const entry of entries) {
          const row = toRow(entry);
          await client.query(
            `INSERT INTO grace_edit_log (log, position, kind, time, edit_id, snapshot_id, details, query, value)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
            [
              this.logName,
              row.position,
              row.kind,
              row.time,
              row.editId,
              row.snapshotId,
              row.details,
              row.query,
              row.value,
            ],
          );
        }
        const next = last + entries.length;
        await client.query('UPDATE grace_logs SET last_position = $2 WHERE name = $1', [this.logName, next]);
        await client.query('SELECT pg_notify($1, $2)', [editLogChannel, `${this.logName}:${next}`]);
      });
    } catch (error) {
      const reason = `an append to the PostgreSQL edit log failed: ${error instanceof Error ? error.message : String(error)}`;
      this.writer = undefined;
      this.onWriteFailed();
      throw new StoreUnavailableError(reason);
    } finally {
      this.writeStarted = null;
    }
  }

  async read(afterPosition = 0): Promise<EditLogEntry[]> {
    const { rows } = await this.pool.query<PgLogRow>(
      'SELECT * FROM grace_edit_log WHERE log = $1 AND position > $2 ORDER BY position',
      [this.logName, afterPosition],
    );
    return rows.map((row) => fromRow({ ...row, position: Number(row.position) }));
  }

  async readSummaries(): Promise<EditLogSummary[]> {
    const { rows } = await this.pool.query<PgLogRow>(
      `SELECT position, kind, time, edit_id, snapshot_id, details FROM grace_edit_log
       WHERE log = $1 ORDER BY position`,
      [this.logName],
    );
    return rows.map((row) => summaryFromRow({ ...row, position: Number(row.position) }));
  }

  async saveSnapshot(snapshot: StoredSnapshot): Promise<void> {
    await this.pool.query(
      'INSERT INTO grace_snapshots (log, id, time, log_position, codebook) VALUES ($1, $2, $3, $4, $5)',
      [this.logName, snapshot.id, snapshot.time, snapshot.logPosition, Buffer.from(snapshot.codebook)],
    );
  }

  async loadSnapshot(id: string): Promise<StoredSnapshot | undefined> {
    const { rows } = await this.pool.query(
      'SELECT id, time, log_position, codebook FROM grace_snapshots WHERE log = $1 AND id = $2',
      [this.logName, id],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      id: row.id,
      time: row.time,
      logPosition: Number(row.log_position),
      codebook: Uint8Array.from(row.codebook as Buffer),
    };
  }

  async listSnapshots(): Promise<Omit<StoredSnapshot, 'codebook'>[]> {
    const { rows } = await this.pool.query(
      'SELECT id, time, log_position FROM grace_snapshots WHERE log = $1 ORDER BY log_position, time',
      [this.logName],
    );
    return rows.map((row) => ({ id: row.id, time: row.time, logPosition: Number(row.log_position) }));
  }

  /** Any replica may save one: the codebook at a position is the same bytes on every replica. */
  async saveCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    await this.transaction(this.pool, async (client) => {
      await client.query(
        'INSERT INTO grace_checkpoints (log, position, codebook) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [this.logName, checkpoint.position, Buffer.from(checkpoint.codebook)],
      );
      await client.query(
        `DELETE FROM grace_checkpoints WHERE log = $1 AND position NOT IN
           (SELECT position FROM grace_checkpoints WHERE log = $1 ORDER BY position DESC LIMIT $2)`,
        [this.logName, checkpointsKept],
      );
    });
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    const { rows } = await this.pool.query(
      'SELECT position, codebook FROM grace_checkpoints WHERE log = $1 ORDER BY position DESC',
      [this.logName],
    );
    return rows.map((row) => ({ position: Number(row.position), codebook: Uint8Array.from(row.codebook) }));
  }

  async truncateAfter(position: number): Promise<void> {
    await this.transaction(this.pool, async (client) => {
      await client.query('SELECT last_position FROM grace_logs WHERE name = $1 FOR UPDATE', [this.logName]);
      await client.query('DELETE FROM grace_edit_log WHERE log = $1 AND position > $2', [
        this.logName,
        position,
      ]);
      await client.query('DELETE FROM grace_checkpoints WHERE log = $1 AND position > $2', [
        this.logName,
        position,
      ]);
      await client.query('UPDATE grace_logs SET last_position = LEAST(last_position, $2) WHERE name = $1', [
        this.logName,
        position,
      ]);
    });
  }

  async close(): Promise<void> {
    this.writer = undefined;
    await this.pool.end();
  }

  /** Runs `work` in one transaction on `source` (a pool lends a client for it). */
  private async transaction<T>(
    source: pg.Pool | pg.Client,
    work: (client: pg.ClientBase) => Promise<T>,
  ): Promise<T> {
    const client = source instanceof pg.Pool ? await source.connect() : source;
    let failed = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failed = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A pooled client that failed is discarded (its connection may be the broken part).
      if (client !== source) (client as pg.PoolClient).release(failed);
    }
  }
}
