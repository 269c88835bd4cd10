// Decision this benchmark informs: what GRACE costs at inference on a real transformer edit point — USE-lite
// (2 blocks, hidden 512, the sentence encoder that ships in `@grace/models-use`) cut at the feed-forward sub-layer
// of its last block, 512-wide keys at each e-mail's last token — with 1,000 and 10,000 keys, per search engine:
// `GraceEditor.predict` with an empty codebook and with the full one, timed alternately in the same run.

import { createCpuBackend } from '@grace/backend-cpu';
import { SeededRandom } from '@grace/core';
import {
  loadSpamAssassinEmails,
  loadUseLiteModel,
  loadUseLiteTokenCut,
  spamEmailText,
} from '@grace/models-use';
import {
  type EditorOverheadConfig,
  type EngineOverheadRow,
  keyTokenQueries,
  overheadEngines,
  plainAndEditedEditors,
  timeOverhead,
} from './editor-overhead.js';
import { shuffled } from './lande-ball-tree-benchmark.js';

export const defaultUseLiteOverheadConfig: EditorOverheadConfig = Object.freeze({
  keyCounts: [1_000, 10_000],
  batchSize: 16,
  runs: 8,
  warmups: 1,
  // GRACE's default eps_init: real token states lie 14–37 apart here, so a query of new mail misses every ball.
  radius: 1,
  seed: 20231212,
});

/** Body words of each timed e-mail, and of the e-mails whose edits made the keys (several lengths, distinct texts). */
const batchWords = 32;
const keyWords = [4, 6, 8, 10, 12] as const;

/** The issue-level target: at 10,000 keys, at most +5% over the plain transformer path. */
export const useLiteOverheadTarget = 0.05;

/**
 * Keys: the last-token states of e-mails the timed batch does not hold (4 to 12 body words, distinct texts: what a
 * lifelong run's edits of misread mail would store), random values, radius eps_init; the batch: 16 other e-mails
 * of 32 words (short key e-mails keep 10,000 prefix runs affordable on a shared machine). Both paths run the
 * transformer on tfjs-wasm and the lookup and suffix on the engine's backend.
 */
export async function runUseLiteOverheadBenchmark(
  config: EditorOverheadConfig,
  log: (message: string) => void = () => {},
): Promise<EngineOverheadRow[]> {
  const encoder = await loadUseLiteModel();
  const setupBackend = createCpuBackend();
  log('use-lite: loading and verifying the token-level cut');
  const model = await loadUseLiteTokenCut(encoder, setupBackend);
  const random = new SeededRandom(config.seed);
  const emails = shuffled(loadSpamAssassinEmails(), random);
  const batch = emails.slice(0, config.batchSize).map((email) => spamEmailText(email, batchWords));
  const largest = Math.max(...config.keyCounts);
  const keyTexts = new Set<string>();
  for (const words of keyWords) {
    for (const email of emails.slice(config.batchSize)) {
      if (keyTexts.size >= largest) break;
      keyTexts.add(spamEmailText(email, words));
    }
  }
  log(`use-lite: key states of ${keyTexts.size} e-mails`);
  const editorOptions = { keyToken: 'last', replacement: 'last' } as const;
  const keyRows = await keyTokenQueries(model, setupBackend, [...keyTexts].slice(0, largest), {
    ...editorOptions,
    chunk: 512,
  });
  const rows: EngineOverheadRow[] = [];
  for (const keyCount of config.keyCounts) {
    const settings = { radius: config.radius, classes: 2, random };
    for (const { name, backend } of overheadEngines()) {
      log(`use-lite: ${name}, ${keyCount} keys`);
      const { plain, edited } = plainAndEditedEditors(
        model,
        { ...editorOptions, backend },
        keyRows,
        keyCount,
        settings,
      );
      const served = await edited.predictWithDetails(batch);
      const hitRate = Array.from(served.keyIndices).filter((key) => key >= 0).length / batch.length;
      const timing = await timeOverhead(
        () => plain.predict(batch),
        () => edited.predict(batch),
        config,
      );
      plain.dispose();
      edited.dispose();
      rows.push({ engine: name, keys: keyCount, ...timing, hitRate });
    }
  }
  return rows;
}
