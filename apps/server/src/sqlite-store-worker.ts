import { workerData } from 'node:worker_threads';
import { SqliteEditLogFile } from './sqlite-edit-log-file.js';
import { serveWorkerRequests } from './worker-server.js';

/**
 * The worker thread that owns the SQLite edit log: every read and write (and every fsync) happens here, so a
 * slow or frozen disk holds this thread, never the event loop that answers requests.
 */
const file = new SqliteEditLogFile(workerData as string);

serveWorkerRequests({
  pragmas: () => file.pragmas(),
  verifyIdentity: () => file.verifyIdentity(),
  open: (identity: Parameters<SqliteEditLogFile['open']>[0]) => file.open(identity),
  lastPosition: () => file.lastPosition(),
  append: (entries: Parameters<SqliteEditLogFile['append']>[0]) => file.append(entries),
  read: (afterPosition: number) => file.read(afterPosition),
  readSummaries: () => file.readSummaries(),
  saveSnapshot: (snapshot: Parameters<SqliteEditLogFile['saveSnapshot']>[0]) => file.saveSnapshot(snapshot),
  loadSnapshot: (id: string) => file.loadSnapshot(id),
  listSnapshots: () => file.listSnapshots(),
  saveCheckpoint: (checkpoint: Parameters<SqliteEditLogFile['saveCheckpoint']>[0]) =>
    file.saveCheckpoint(checkpoint),
  checkpoints: () => file.checkpoints(),
  truncateAfter: (position: number) => file.truncateAfter(position),
  close: () => file.close(),
});
