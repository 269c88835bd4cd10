import type { EditLogEntry, EditLogSummary, LoggedEdit } from './edit-log-store.js';

/** One row of the edit log table, as both stores keep it (column names as in the SQL). */
export interface LogRow {
  position: number;
  kind: EditLogEntry['kind'];
  time: string;
  edit_id: string | null;
  snapshot_id: string | null;
  details: string;
  query?: Buffer | null;
  value?: Buffer | null;
}

/** The row of a log entry: the edit's vectors as float32 bytes, everything else of it as JSON `details`. */
export function toRow(entry: EditLogEntry): Record<string, unknown> {
  const common = { position: entry.position, kind: entry.kind, time: entry.time };
  if (entry.kind === 'edit') {
    const { query, value, editId, ...details } = entry.edit;
    return {
      ...common,
      editId,
      snapshotId: null,
      details: JSON.stringify(details),
      query: float32Bytes(query),
      value: float32Bytes(value),
    };
  }
  if (entry.kind === 'rollback') {
    return { ...common, editId: entry.editId, snapshotId: null, details: '{}', query: null, value: null };
  }
  return { ...common, editId: null, snapshotId: entry.snapshotId, details: '{}', query: null, value: null };
}

/** The log entry a row holds. */
export function fromRow(row: LogRow): EditLogEntry {
  const common = { position: row.position, time: row.time };
  if (row.kind === 'edit') {
    const details = JSON.parse(row.details) as Omit<LoggedEdit, 'editId' | 'query' | 'value'>;
    const edit: LoggedEdit = {
      ...details,
      editId: row.edit_id as string,
      query: float32Array(row.query as Buffer),
      value: float32Array(row.value as Buffer),
    };
    return { kind: 'edit', ...common, edit };
  }
  if (row.kind === 'rollback') return { kind: 'rollback', ...common, editId: row.edit_id as string };
  return { kind: 'restore', ...common, snapshotId: row.snapshot_id as string };
}

/** Little-endian float32 bytes (every platform Node runs on here is little-endian, as safetensors assumes). */
function float32Bytes(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

function float32Array(bytes: Buffer): Float32Array {
  return new Float32Array(Uint8Array.from(bytes).buffer);
}

/** The log entry a row read without its vectors holds, as a summary. */
export function summaryFromRow(row: LogRow): EditLogSummary {
  if (row.kind !== 'edit') return fromRow(row) as EditLogSummary;
  const details = JSON.parse(row.details) as Omit<LoggedEdit, 'editId' | 'query' | 'value'>;
  return {
    kind: 'edit',
    position: row.position,
    time: row.time,
    edit: { ...details, editId: row.edit_id as string },
  };
}
