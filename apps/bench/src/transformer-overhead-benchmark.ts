// Decision this benchmark informs: what GRACE costs at inference on a transformer edit point — the BERT classifier
// fixture cut at its second block's FFN output (`layer.1/output/dense`), keys at the last real token — with a
// codebook of 10,000 real keys, per search engine: the serving path (prefix session, GRACE lookup, suffix
// session) with an empty codebook and with the full one, timed alternately in the same run.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCpuBackend } from '@grace/backend-cpu';
import { SeededRandom } from '@grace/core';
import { loadOnnxModel, predictWithSuffixSession } from '@grace/onnx';
import {
  type EditorOverheadConfig,
  type EngineOverheadRow,
  keyTokenQueries,
  overheadEngines,
  plainAndEditedEditors,
  timeOverhead,
} from './editor-overhead.js';

export const defaultTransformerOverheadConfig: EditorOverheadConfig = Object.freeze({
  keyCounts: [1_000, 10_000],
  batchSize: 8,
  runs: 20,
  warmups: 2,
  radius: 0.1,
  seed: 20231211,
});

/** The fixture and where it is cut. */
const bertEditPoint = {
  key: 'bert-classifier',
  editAt: '/bert/encoder/layer.1/output/dense/MatMul',
  vocabulary: 96,
} as const;

/** `count` right-padded token examples of `tokens` positions (lengths 2 to `tokens`), seeded. */
function tokenExamples(count: number, tokens: number, random: SeededRandom): Record<string, number[]>[] {
  return Array.from({ length: count }, () => {
    const length = random.integer(2, tokens + 1);
    const ids = Array.from({ length: tokens }, (_, token) =>
      token < length ? random.integer(1, bertEditPoint.vocabulary) : 0,
    );
    return { input_ids: ids, attention_mask: ids.map((_, token) => (token < length ? 1 : 0)) };
  });
}

/**
 * Keys: the key-token inputs of random token sequences (what a lifelong run's edits store), random values,
 * radius eps_init; the timed batch: other random sequences. Engines: {@link overheadEngines};
 * plain and edited are the serving path with an empty codebook and with the full one.
 */
export async function runTransformerOverheadBenchmark(
  config: EditorOverheadConfig,
  log: (message: string) => void = () => {},
): Promise<EngineOverheadRow[]> {
  const onnxEntry = fileURLToPath(import.meta.resolve('@grace/onnx'));
  const fixtures = join(dirname(onnxEntry), '..', 'test-fixtures', 'transformers');
  const reference = JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8')).models[
    bertEditPoint.key
  ] as { file: string; inputs: { input_ids: number[][] } };
  const tokens = reference.inputs.input_ids[0]?.length ?? 0;
  const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  const setupBackend = createCpuBackend();
  const model = await loadOnnxModel(join(fixtures, reference.file), {
    editAt: bertEditPoint.editAt,
    dimensions: { sequence: tokens },
    sessionOptions,
    backend: setupBackend,
  });
  const random = new SeededRandom(config.seed);
  const largest = Math.max(...config.keyCounts);
  const keyRows = await keyTokenQueries(model, setupBackend, tokenExamples(largest, tokens, random));
  const batch = tokenExamples(config.batchSize, tokens, random);
  const engines = overheadEngines();
  const rows: EngineOverheadRow[] = [];
  try {
    for (const keyCount of config.keyCounts) {
      const settings = { radius: config.radius, classes: 3, random };
      for (const { name, backend } of engines) {
        log(`transformer: ${name}, ${keyCount} keys`);
        const { plain, edited } = plainAndEditedEditors(model, { backend }, keyRows, keyCount, settings);
        const served = await predictWithSuffixSession(model, edited, batch);
        const hitRate = Array.from(served.keyIndices).filter((key) => key >= 0).length / batch.length;
        const timing = await timeOverhead(
          () => predictWithSuffixSession(model, plain, batch),
          () => predictWithSuffixSession(model, edited, batch),
          config,
        );
        plain.dispose();
        edited.dispose();
        rows.push({ engine: name, keys: keyCount, ...timing, hitRate });
      }
    }
  } finally {
    await model.release();
  }
  return rows;
}
