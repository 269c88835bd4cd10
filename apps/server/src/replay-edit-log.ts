import { Codebook, decodeCodebook, type EditRecord, encodeCodebook } from '@grace/core';
import type {
  EditLogEntry,
  EditLogStore,
  EditLogSummary,
  LoggedEdit,
  LoggedEditSummary,
} from './edit-log-store.js';
import { type ServedModel, servedDimensions } from './served-model.js';

/** The codebook a log describes, plus what the service keeps beside it. */
export interface ReplayedLog {
  readonly codebook: Codebook;
  readonly lastPosition: number;
  readonly history: Map<string, EditHistoryItem>;
  /** Logged edits by the `Idempotency-Key` of the request that made them, in log order. */
  readonly idempotency: Map<string, LoggedEditSummary[]>;
  /** Entries applied to the codebook (after the checkpoint, if one was used). */
  readonly replayedEntries: number;
}

/** Every edit the log ever accepted, for `GET /v1/edits?status=all`; rolled-back edits keep their entry. */
export interface EditHistoryItem {
  readonly id: string;
  readonly time: string;
  readonly label: LoggedEdit['label'];
  /** What the edit did when it was made (a later rollback may re-decide it). */
  readonly operation: LoggedEdit['operation'];
  readonly input: unknown;
  rolledBackAt: string | null;
}

/** The log cannot be replayed as it stands: start-up stops with this message (it names the recovery flag). */
export class DamagedLogError extends Error {
  override readonly name = 'DamagedLogError';
  /** The log position of the entry that cannot be replayed. */
  readonly position: number;

  constructor(position: number, message: string) {
    super(message);
    this.position = position;
  }
}

/** The history entry of a logged edit. */
export function historyItem(edit: LoggedEditSummary, time: string): EditHistoryItem {
  return {
    id: edit.editId,
    time,
    label: edit.label,
    operation: edit.operation,
    input: edit.input,
    rolledBackAt: null,
  };
}

/**
 * Rebuilds the codebook from the log, in order, without any training: edits apply their logged deltas,
 * rollbacks re-run the codebook's own exact rollback, restores load the stored snapshot. This is how a
 * restarted server (or, scaled out, a replica following the log) reaches the identical codebook.
 *
 * `tail` holds the entries after `checkpoint` (the codebook after some position), or the whole log without
 * one; `summaries` (the whole log without vectors, read after `tail`) give the history. A restore of a missing or damaged
 * snapshot throws a {@link DamagedLogError} naming its position.
 */
export async function replayEditLog(
  servedModel: ServedModel,
  store: EditLogStore,
  summaries: readonly EditLogSummary[],
  tail: readonly EditLogEntry[],
  checkpoint?: { readonly position: number; readonly codebook: Codebook },
): Promise<ReplayedLog> {
  let codebook = checkpoint?.codebook ?? emptyCodebook(servedModel);
  const startPosition = checkpoint?.position ?? 0;
  const history = new Map<string, EditHistoryItem>();
  const idempotency = new Map<string, LoggedEditSummary[]>();
  // The codebook ends where the tail does; a summary past it (appended by a writer between the two reads)
  // is left to the replica's next catch-up.
  const lastPosition = tail.at(-1)?.position ?? startPosition;
  for (const entry of summaries) {
    if (entry.position <= lastPosition) recordHistory(history, idempotency, entry);
  }
  let replayedEntries = 0;
  for (const entry of tail) {
    if (entry.position <= startPosition) continue;
    replayedEntries++;
    if (entry.kind === 'edit') applyLoggedEdit(codebook, entry.edit, entry.time);
    else if (entry.kind === 'rollback') codebook.rollback(entry.editId);
    else codebook = await loadRestoredSnapshot(servedModel, store, entry);
  }
  return { codebook, lastPosition, history, idempotency, replayedEntries };
}

/**
 * Notes one log entry in the edit history and the idempotency index, as replay does for the whole log and a
 * replica does for each entry it follows.
 */
export function recordHistory(
  history: Map<string, EditHistoryItem>,
  idempotency: Map<string, LoggedEditSummary[]>,
  entry: EditLogSummary,
): void {
  if (entry.kind === 'edit') {
    history.set(entry.edit.editId, historyItem(entry.edit, entry.time));
    const key = entry.edit.idempotencyKey;
    if (key !== undefined) idempotency.set(key, [...(idempotency.get(key) ?? []), entry.edit]);
  } else if (entry.kind === 'rollback') {
    const item = history.get(entry.editId);
    if (item !== undefined) item.rolledBackAt = entry.time;
  }
}

/** The codebook a logged restore loads; a missing or damaged snapshot throws a {@link DamagedLogError}. */
export async function loadRestoredSnapshot(
  servedModel: ServedModel,
  store: EditLogStore,
  entry: Extract<EditLogEntry, { kind: 'restore' }>,
): Promise<Codebook> {
  const snapshot = await store.loadSnapshot(entry.snapshotId);
  const problem =
    snapshot === undefined
      ? 'is missing'
      : (() => {
          try {
            return decodeCodebook(snapshot.codebook, codebookExpectations(servedModel));
          } catch (error) {
            return `is damaged (${error instanceof Error ? error.message : String(error)})`;
          }
        })();
  if (typeof problem !== 'string') return problem;
  throw new DamagedLogError(
    entry.position,
    `the edit log restores snapshot ${entry.snapshotId} at position ${entry.position}, and that snapshot ` +
      `${problem}. Restore the data directory from a backup, or start once with --discard-log-after ` +
      `${entry.position - 1} to drop that entry and every later one (a copy of the log is kept first)`,
  );
}

/** What a codebook file of this model must match (dimensions and layer). */
export function codebookExpectations(servedModel: ServedModel) {
  return servedDimensions(servedModel);
}

/** The codebook a fresh editor of this model would make (same options, so files are byte-identical). */
export function emptyCodebook(servedModel: ServedModel): Codebook {
  return new Codebook({ ...servedModel.editorOptions, ...servedDimensions(servedModel) });
}

/**
 * Applies a logged edit to a codebook without training: the decision is re-made on the stored query and
 * label (so it is the one the edit got, given the same earlier state) and the key takes the logged value.
 * `warmValue` is only there so `warm` codebooks accept the edit; the logged value replaces it at once.
 */
export function applyLoggedEdit(codebook: Codebook, edit: LoggedEdit, time: string): EditRecord {
  const record = codebook.applyEdit(
    {
      query: edit.query,
      label: edit.label,
      id: edit.editId,
      time: new Date(time),
      warmValue: edit.value,
      ...(edit.inputDigest === undefined ? {} : { inputDigest: edit.inputDigest }),
    },
    { value: edit.value, loss: edit.loss },
  );
  if (record.operation !== edit.operation || record.keyIndex !== edit.keyIndex) {
    throw new Error(
      `replaying ${edit.editId} gave ${record.operation} of key ${record.keyIndex}, ` +
        `the log says ${edit.operation} of key ${edit.keyIndex}`,
    );
  }
  return record;
}

/** A deep, independent copy through the file format, so two editors never share mutable state. */
export function copyCodebook(codebook: Codebook): Codebook {
  return decodeCodebook(encodeCodebook(codebook));
}
