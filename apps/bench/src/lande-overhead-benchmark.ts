// Decision this benchmark informs: what GRACE costs at inference on lande (a real language identifier, edited at
// dense1, 120-wide keys) with a codebook of 10,000 real keys, per search engine — the plain model and the edited
// one timed alternately in the same run, so the ratio is the overhead.

import { createCpuBackend } from '@grace/backend-cpu';
import { SeededRandom } from '@grace/core';
import { landeEditableModel, loadLandeModel, loadUdhrSnippets, splitSnippetsByArticle } from '@grace/models';
import {
  type EditorOverheadConfig,
  type EngineOverheadRow,
  overheadEngines,
  plainAndEditedEditors,
  timeOverhead,
} from './editor-overhead.js';
import { dense1Inputs, shuffled } from './lande-ball-tree-benchmark.js';

export const defaultLandeOverheadConfig: EditorOverheadConfig = Object.freeze({
  keyCounts: [1_000, 10_000],
  batchSize: 32,
  runs: 20,
  warmups: 2,
  radius: 1,
  seed: 20231210,
});

/** The issue-level target: at 10,000 keys, at most +80% over the plain model. */
export const landeOverheadTarget = 0.8;

/**
 * Keys are dense1 inputs of stream snippets (what a lifelong run adds), with random values and radius eps_init;
 * the batch is snippets of the other articles. Engines: {@link overheadEngines}. Plain and edited are
 * `GraceEditor.predict` with an empty codebook and with the full one (prefix, exact lookup, suffix).
 */
export async function runLandeOverheadBenchmark(
  config: EditorOverheadConfig,
  log: (message: string) => void = () => {},
): Promise<EngineOverheadRow[]> {
  const lande = await loadLandeModel();
  const model = landeEditableModel(lande, 'dense1');
  const random = new SeededRandom(config.seed);
  const largest = Math.max(...config.keyCounts);
  const keyTexts = new Set<string>();
  const otherTexts: string[] = [];
  for (const words of [3, 2, 4]) {
    if (keyTexts.size >= largest) break;
    const split = splitSnippetsByArticle(await loadUdhrSnippets({ words }), config.seed);
    for (const snippet of split.stream) keyTexts.add(snippet.text);
    if (words === 3) otherTexts.push(...split.upstream.map((snippet) => snippet.text));
  }
  const keyPool = shuffled([...keyTexts], random).slice(0, largest);
  const batch = shuffled(otherTexts, random).slice(0, config.batchSize);
  const keyRows = await dense1Inputs(createCpuBackend(), keyPool);
  const engines = overheadEngines();
  const rows: EngineOverheadRow[] = [];
  for (const keyCount of config.keyCounts) {
    const settings = { radius: config.radius, classes: 50, random };
    for (const { name, backend } of engines) {
      log(`lande: ${name}, ${keyCount} keys`);
      const { plain, edited } = plainAndEditedEditors(model, { backend }, keyRows, keyCount, settings);
      const timing = await timeOverhead(
        () => plain.predict(batch),
        () => edited.predict(batch),
        config,
      );
      plain.dispose();
      edited.dispose();
      rows.push({ engine: name, keys: keyCount, ...timing });
    }
  }
  return rows;
}
