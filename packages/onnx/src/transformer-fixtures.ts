import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GraceBackend, SeededRandom, SuffixExecutor } from '@grace/core';
import type { OnnxEditableModel } from './load-onnx-model.js';

/** The transformer fixtures' folder (written by tools/fixtures/export_transformer_fixtures.py). */
export const transformerFixtureDirectory = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'test-fixtures',
  'transformers',
);

/** One fixture's entry of `reference.json`: a padded batch and PyTorch's output for it. */
export interface TransformerReference {
  readonly file: string;
  readonly inputs: { readonly input_ids: number[][]; readonly attention_mask: number[][] };
  readonly output: string;
  readonly expected: unknown;
}

/** The reference batch of fixture `key` (`bert-classifier`, ...). */
export function transformerReference(key: string): TransformerReference {
  const references = JSON.parse(readFileSync(join(transformerFixtureDirectory, 'reference.json'), 'utf8'));
  return references.models[key] as TransformerReference;
}

/** A `{ input_ids, attention_mask }` example per row of a padded batch. */
export function tokenExamples(reference: TransformerReference['inputs']): Record<string, number[]>[] {
  return reference.input_ids.map((ids, row) => ({
    input_ids: ids,
    attention_mask: reference.attention_mask[row] as number[],
  }));
}

/** `count` right-padded examples of `tokens` positions, lengths in [2, tokens], ids in [1, vocabulary). */
export function randomTokenExamples(
  count: number,
  tokens: number,
  vocabulary: number,
  seed: number,
): Record<string, number[]>[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () => {
    const length = random.integer(2, tokens + 1);
    const ids = Array.from({ length: tokens }, (_, token) =>
      token < length ? random.integer(1, vocabulary) : 0,
    );
    return { input_ids: ids, attention_mask: ids.map((_, token) => (token < length ? 1 : 0)) };
  });
}

/** The unedited model's prediction through the prefix session and the imported suffix IR on `backend`. */
export async function predictThroughImport(
  model: OnnxEditableModel,
  backend: GraceBackend,
  inputs: readonly Record<string, number[]>[],
): Promise<Float32Array> {
  const prefix = await model.runPrefix(backend, inputs);
  const executor = new SuffixExecutor(backend, model.suffix);
  try {
    const { outputs } = executor.run({
      feeds: { ...prefix.extras, [model.activationInput]: prefix.layerOutput },
      outputs: [model.predictionOutput],
    });
    const prediction = outputs.get(model.predictionOutput);
    if (prediction === undefined) throw new Error('no prediction');
    const data = await backend.download(prediction);
    backend.dispose(prediction);
    return data as Float32Array;
  } finally {
    executor.dispose();
    backend.dispose(prefix.layerInput);
    backend.dispose(prefix.layerOutput);
    for (const tensor of Object.values(prefix.extras)) backend.dispose(tensor);
  }
}
