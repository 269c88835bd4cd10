import type { ResolvedCodebookOptions } from './codebook-options.js';
import { CodebookState } from './codebook-state.js';
import type { DotProductEngine } from './dot-product-engine.js';
import type { EditRecord } from './edit-record.js';
import type { HostKeyIndex } from './host-key-index.js';
import { hostRowStorageProvider, type RowStorageProvider } from './row-storage.js';

/**
 * Replays records into a fresh state whose rows live in `provider`'s memory; each record's plan fields are updated
 * to the replayed decision. Each step decides on the keys made so far, so the key index follows one appended or
 * changed row per step. A failed replay frees the state it was building.
 */
export function replayRecords(
  options: ResolvedCodebookOptions,
  records: readonly EditRecord[],
  dotProducts: DotProductEngine | undefined,
  keyIndex: HostKeyIndex | null,
  provider: RowStorageProvider = hostRowStorageProvider,
): { state: CodebookState; records: EditRecord[] } {
  const state = new CodebookState(options, keyIndex, provider);
  try {
    state.dotProducts = dotProducts;
    const replayed = records.map((record) => {
      const plan = state.plan(record.query, record.label);
      state.applyPlan(plan, record.query, record.label, record.value);
      state.values.write(plan.keyIndex, record.value);
      return Object.freeze({ ...record, ...plan });
    });
    return { state, records: replayed };
  } catch (error) {
    state.dispose();
    throw error;
  }
}
