import type { EditOperation } from '@grace/core';
import type { ServedLabel } from './served-model.js';

/** One correction: a model input (already converted from JSON) and the label it should get. */
export interface EditInput {
  readonly input: unknown;
  readonly json: unknown;
  readonly label: ServedLabel;
}

export interface AcceptedEdit {
  readonly id: string;
  readonly operation: EditOperation;
  readonly keyIndex: number;
  readonly loss: readonly number[];
  /** Whether the model now gives the label for this input. */
  readonly fixed: boolean;
  readonly milliseconds: number;
}

/** An edit batch's answer; `replayed` when an `Idempotency-Key` matched an earlier request (nothing redone). */
export interface EditBatchResult {
  readonly edits: AcceptedEdit[];
  readonly replayed: boolean;
}
