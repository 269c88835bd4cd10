import type { Codebook } from '@grace/core';
import type { EditHistoryItem } from './replay-edit-log.js';

/** One page of edits as `GET /v1/edits` answers it. */
export interface EditPage {
  readonly total: number;
  readonly edits: object[];
}

/** Active edits of a codebook, newest first, with the inputs the history kept. */
export function listActiveEdits(
  codebook: Codebook,
  history: ReadonlyMap<string, EditHistoryItem>,
  offset: number,
  limit: number,
): EditPage {
  const records = codebook.records;
  const page = records
    .slice()
    .reverse()
    .slice(offset, offset + limit);
  return {
    total: records.length,
    edits: page.map((record) => ({
      id: record.id,
      sequence: record.sequence,
      time: record.time,
      label: record.label,
      operation: record.operation,
      keyIndex: record.keyIndex,
      distance: record.distance,
      finalLoss: record.loss.at(-1) ?? null,
      input: history.get(record.id)?.input ?? null,
    })),
  };
}

/**
 * Every edit ever accepted, newest first, with its status: `active`, `rolled-back`, or `replaced` (dropped by
 * a snapshot restore).
 */
export function listEditHistory(
  codebook: Codebook,
  history: ReadonlyMap<string, EditHistoryItem>,
  offset: number,
  limit: number,
): EditPage {
  const active = new Set(codebook.records.map((record) => record.id));
  const items = [...history.values()].reverse();
  return {
    total: items.length,
    edits: items.slice(offset, offset + limit).map((item) => ({
      ...item,
      status: active.has(item.id) ? 'active' : item.rolledBackAt !== null ? 'rolled-back' : 'replaced',
    })),
  };
}
