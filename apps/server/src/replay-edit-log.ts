import { Codebook, decodeCodebook, type EditRecord, encodeCodebook } from '@grace/core';
import type { EditLogEntry, EditLogStore, LoggedEdit } from './edit-log-store.js';
import type { ServedModel } from './served-model.js';

/** The codebook a log describes, plus what the service keeps beside it. */
export interface ReplayedLog {
  readonly codebook: Codebook;
  readonly lastPosition: number;
  readonly history: Map<string, EditHistoryItem>;
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

/** The history entry of a logged edit. */
export function historyItem(edit: LoggedEdit, time: string): EditHistoryItem {
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
 */
export async function replayEditLog(
  servedModel: ServedModel,
  store: EditLogStore,
  entries: readonly EditLogEntry[],
): Promise<ReplayedLog> {
  const { model } = servedModel;
  let codebook = emptyCodebook(servedModel);
  const history = new Map<string, EditHistoryItem>();
  let lastPosition = 0;
  for (const entry of entries) {
    if (entry.kind === 'edit') {
      applyLoggedEdit(codebook, entry.edit, entry.time);
      history.set(entry.edit.editId, historyItem(entry.edit, entry.time));
    } else if (entry.kind === 'rollback') {
      codebook.rollback(entry.editId);
      const item = history.get(entry.editId);
      if (item !== undefined) item.rolledBackAt = entry.time;
    } else {
      const snapshot = await store.loadSnapshot(entry.snapshotId);
      if (snapshot === undefined) throw new Error(`the log restores a missing snapshot ${entry.snapshotId}`);
      codebook = decodeCodebook(snapshot.codebook, {
        keyDimension: model.keyDimension,
        valueDimension: model.valueDimension,
        layerId: model.layerId,
      });
    }
    lastPosition = entry.position;
  }
  return { codebook, lastPosition, history };
}

/** The codebook a fresh editor of this model would make (same options, so files are byte-identical). */
export function emptyCodebook(servedModel: ServedModel): Codebook {
  const { model, editorOptions } = servedModel;
  return new Codebook({
    ...editorOptions,
    keyDimension: model.keyDimension,
    valueDimension: model.valueDimension,
    layerId: model.layerId,
  });
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
