import type { GraceEditor } from '@grace/core';
import type { AcceptedEdit, EditInput } from './accepted-edit.js';
import type { EditLogEntry, LoggedEdit } from './edit-log-store.js';

/**
 * Trains one edit on the working copy as `edit-<position>` and returns the log entry that replays it without
 * training (query, trained value, decision, loss, the client's input and `Idempotency-Key`) with the answer
 * the client gets once that entry is durable.
 */
export async function trainLoggedEdit(
  training: GraceEditor<unknown>,
  example: EditInput,
  position: number,
  idempotencyKey: string | undefined,
): Promise<{ entry: EditLogEntry; accepted: AcceptedEdit }> {
  const id = `edit-${position}`;
  const result = await training.edit({ input: example.input, label: example.label, id });
  const { record } = result;
  const edit: LoggedEdit = {
    editId: id,
    label: example.label,
    query: record.query,
    value: record.value,
    operation: record.operation,
    keyIndex: record.keyIndex,
    loss: record.loss,
    ...(record.inputDigest === undefined ? {} : { inputDigest: record.inputDigest }),
    input: example.json,
    fixed: result.fixed,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
  };
  return {
    entry: { kind: 'edit', position, time: record.time, edit },
    accepted: {
      id,
      operation: record.operation,
      keyIndex: record.keyIndex,
      loss: record.loss,
      fixed: result.fixed,
      milliseconds: result.milliseconds,
    },
  };
}
