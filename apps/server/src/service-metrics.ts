import type { EditOperation } from '@grace/core';

/** Counters the service keeps for `/metrics`; the HTTP layer adds its own per route and status. */
export class ServiceMetrics {
  predictions = 0;
  rollbacks = 0;
  restores = 0;
  failedEdits = 0;
  /** Wall seconds spent in edit batches (training, logging, applying). */
  editSeconds = 0;
  readonly edits: Record<EditOperation, number> = { ADD: 0, SPLIT: 0, EXPAND: 0, RETRAIN: 0 };

  countEdit(operation: EditOperation): void {
    this.edits[operation]++;
  }
}
