import { type Codebook, decodeCodebook } from '@grace/core';
import type { EditLogStore } from './edit-log-store.js';
import { codebookExpectations } from './replay-edit-log.js';
import type { ServedModel } from './served-model.js';

/**
 * The newest checkpoint that decodes and lies within the log (`lastPosition`), or undefined: a damaged or
 * stale checkpoint is reported through `warn` and skipped, since the log alone still rebuilds everything.
 */
export async function latestCheckpoint(
  servedModel: ServedModel,
  store: EditLogStore,
  lastPosition: number,
  warn: (message: string) => void,
): Promise<{ position: number; codebook: Codebook } | undefined> {
  for (const checkpoint of await store.checkpoints()) {
    if (checkpoint.position > lastPosition) continue;
    try {
      const codebook = decodeCodebook(checkpoint.codebook, codebookExpectations(servedModel));
      return { position: checkpoint.position, codebook };
    } catch (error) {
      warn(
        `checkpoint at log position ${checkpoint.position} is damaged and skipped: ` +
          `${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return undefined;
}
