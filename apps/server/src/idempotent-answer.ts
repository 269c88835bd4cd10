import type { AcceptedEdit, EditInput } from './accepted-edit.js';
import type { LoggedEditSummary } from './edit-log-store.js';
import { InputError } from './input-error.js';

/**
 * The first answer to an idempotent request, rebuilt from its logged edits; a retry must carry the same edits
 * (same count and labels), or the key was reused for something else.
 */
export function answerFromLog(
  logged: readonly LoggedEditSummary[],
  examples: readonly EditInput[],
): AcceptedEdit[] {
  const same =
    logged.length === examples.length && logged.every((edit, index) => edit.label === examples[index]?.label);
  if (!same) {
    throw new InputError(
      'IDEMPOTENCY_KEY_REUSED',
      '/headers/idempotency-key',
      'this key was used for a different batch of edits',
      422,
    );
  }
  return logged.map((edit) => ({
    id: edit.editId,
    operation: edit.operation,
    keyIndex: edit.keyIndex,
    loss: edit.loss,
    fixed: edit.fixed ?? false,
    milliseconds: 0,
  }));
}
