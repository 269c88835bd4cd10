import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { fromRow, type LogRow, summaryFromRow, toRow } from './edit-log-rows.js';
import type {
  EditLogEntry,
  EditLogIdentity,
  EditLogSummary,
  StoredCheckpoint,
  StoredSnapshot,
} from './edit-log-store.js';

interface SnapshotRow {
  id: string;
  time: string;
  log_position: number;
  codebook?: Buffer;
}

/** Checkpoints kept: the newest and one before it, in case the newest is damaged. */
const checkpointsKept = 2;

/**
 * The edit log in one SQLite file, used synchronously (by the store's worker thread, never by the event loop).
 * WAL with `synchronous = FULL`, so an append is on disk when `append` returns. `locking_mode = EXCLUSIVE`
 * keeps the WAL index in the process's memory instead of a memory-mapped `-shm` file (a damaged or immutable
 * `-shm` cannot crash the process with SIGBUS) and keeps a second server off the same log.
 *
 * Before every write the file's identity (device and inode) is compared with the one opened: a log deleted
 * or replaced under the running process would otherwise take acknowledged edits with it at the next restart.
 */
export class SqliteEditLogFile {
  readonly path: string;
  private readonly database: Database.Database;
  private readonly identity: string | null;

  constructor(path: string) {
    this.path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.database = new Database(path);
    this.database.pragma('locking_mode = EXCLUSIVE');
    try {
      this.database.pragma('journal_mode = WAL');
    } catch (error) {
      this.database.close();
      const busy = (error as { code?: string }).code === 'SQLITE_BUSY';
      throw new Error(
        busy
          ? `the edit log ${path} is in use by another process (is another server running on it?)`
          : `the edit log ${path} cannot be opened: ${(error as Error).message}`,
      );
    }
    this.database.pragma('synchronous = FULL');
    this.database.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS edit_log (
        position INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('edit', 'rollback', 'restore')),
        time TEXT NOT NULL,
        edit_id TEXT,
        snapshot_id TEXT,
        details TEXT NOT NULL,
        query BLOB,
        value BLOB
      );
      CREATE TABLE IF NOT EXISTS snapshots (
        id TEXT PRIMARY KEY,
        time TEXT NOT NULL,
        log_position INTEGER NOT NULL,
        codebook BLOB NOT NULL
      );
      CREATE TABLE IF NOT EXISTS checkpoints (position INTEGER PRIMARY KEY, codebook BLOB NOT NULL);`);
    this.identity = path === ':memory:' ? null : fileIdentity(path);
  }

  /** The journal mode, synchronous level and locking mode in force, for tests and the start-up banner. */
  pragmas(): { journalMode: string; synchronous: number; lockingMode: string } {
    return {
      journalMode: this.database.pragma('journal_mode', { simple: true }) as string,
      synchronous: this.database.pragma('synchronous', { simple: true }) as number,
      lockingMode: this.database.pragma('locking_mode', { simple: true }) as string,
    };
  }

  /** Throws when the file at `path` is no longer the one this process opened (deleted, moved, replaced). */
  verifyIdentity(): void {
    if (this.identity === null) return;
    let current: string;
    try {
      current = fileIdentity(this.path);
    } catch {
      throw new Error(`the edit log ${this.path} was deleted while the server ran`);
    }
    if (current !== this.identity)
      throw new Error(`the edit log ${this.path} was replaced while the server ran`);
  }

  open(identity: EditLogIdentity): void {
    const text = JSON.stringify(identity);
    const row = this.database.prepare("SELECT value FROM meta WHERE key = 'identity'").get() as
      | { value: string }
      | undefined;
    if (row === undefined) {
      this.database.prepare("INSERT INTO meta (key, value) VALUES ('identity', ?)").run(text);
    } else if (row.value !== text) {
      throw new Error(`the edit log ${this.path} was written for ${row.value}, not ${text}`);
    }
  }

  lastPosition(): number {
    const row = this.database.prepare('SELECT MAX(position) AS last FROM edit_log').get() as {
      last: number | null;
    };
    return row.last ?? 0;
  }

  append(entries: readonly EditLogEntry[]): void {
    this.verifyIdentity();
    const insert = this.database.prepare(
      `INSERT INTO edit_log (position, kind, time, edit_id, snapshot_id, details, query, value)
       VALUES (@position, @kind, @time, @editId, @snapshotId, @details, @query, @value)`,
    );
    this.database.transaction((rows: readonly EditLogEntry[]) => {
      for (const entry of rows) insert.run(toRow(entry));
    })(entries);
  }

  read(afterPosition = 0): EditLogEntry[] {
    const rows = this.database
      .prepare('SELECT * FROM edit_log WHERE position > ? ORDER BY position')
      .all(afterPosition) as LogRow[];
    return rows.map(fromRow);
  }

  readSummaries(): EditLogSummary[] {
    const rows = this.database
      .prepare('SELECT position, kind, time, edit_id, snapshot_id, details FROM edit_log ORDER BY position')
      .all() as LogRow[];
    return rows.map(summaryFromRow);
  }

  saveSnapshot(snapshot: StoredSnapshot): void {
    this.verifyIdentity();
    this.database
      .prepare('INSERT INTO snapshots (id, time, log_position, codebook) VALUES (?, ?, ?, ?)')
      .run(snapshot.id, snapshot.time, snapshot.logPosition, Buffer.from(snapshot.codebook));
  }

  loadSnapshot(id: string): StoredSnapshot | undefined {
    const row = this.database.prepare('SELECT * FROM snapshots WHERE id = ?').get(id) as
      | SnapshotRow
      | undefined;
    if (row === undefined) return undefined;
    return {
      id: row.id,
      time: row.time,
      logPosition: row.log_position,
      codebook: Uint8Array.from(row.codebook as Buffer),
    };
  }

  listSnapshots(): Omit<StoredSnapshot, 'codebook'>[] {
    const rows = this.database
      .prepare('SELECT id, time, log_position FROM snapshots ORDER BY log_position, time')
      .all() as SnapshotRow[];
    return rows.map((row) => ({ id: row.id, time: row.time, logPosition: row.log_position }));
  }

  saveCheckpoint(checkpoint: StoredCheckpoint): void {
    this.verifyIdentity();
    this.database.transaction(() => {
      this.database
        .prepare('INSERT OR REPLACE INTO checkpoints (position, codebook) VALUES (?, ?)')
        .run(checkpoint.position, Buffer.from(checkpoint.codebook));
      this.database
        .prepare(
          'DELETE FROM checkpoints WHERE position NOT IN (SELECT position FROM checkpoints ORDER BY position DESC LIMIT ?)',
        )
        .run(checkpointsKept);
    })();
  }

  checkpoints(): StoredCheckpoint[] {
    const rows = this.database
      .prepare('SELECT position, codebook FROM checkpoints ORDER BY position DESC')
      .all() as { position: number; codebook: Buffer }[];
    return rows.map((row) => ({ position: row.position, codebook: Uint8Array.from(row.codebook) }));
  }

  truncateAfter(position: number): void {
    this.verifyIdentity();
    this.database.transaction(() => {
      this.database.prepare('DELETE FROM edit_log WHERE position > ?').run(position);
      this.database.prepare('DELETE FROM checkpoints WHERE position > ?').run(position);
    })();
  }

  close(): void {
    if (this.database.open) this.database.close();
  }
}

function fileIdentity(path: string): string {
  const stats = statSync(path);
  return `${stats.dev}:${stats.ino}`;
}
