import { loadTfjsGraphModel, type TfjsGraphEditableModel } from '@grace/backend-tfjs/models';
import type { GraceBackend } from '@grace/core';
import * as tf from '@tensorflow/tfjs-core';
import type { UseLiteModel } from './load-use-lite-model.js';

const encoder = 'module_apply_default/Encoder_en';
const lastBlock = `${encoder}/KonaTransformer/Encode/TransformerStack/Layer_1/TransformerLayer`;

/** Nodes of USE-lite's GraphModel around the feed-forward sub-layer of its last transformer block. */
export const useLiteTokenNodes = {
  /** `[B, T, 512]`: the block's normalised token states, the feed-forward input (where token keys come from). */
  ffnInput: `${lastBlock}/FFN/layer_prepostprocess/layer_norm/add_1`,
  /** `[B, T, 512]`: the feed-forward output put back in the padded layout, before the residual sum. */
  ffnOutput: `${lastBlock}/FFN/Scatter/ScatterNd`,
  /** `[B, T, 1]`: the pooling mask (1 for real tokens), the model's own. */
  mask: `${encoder}/KonaTransformer/ExpandDims`,
  /** `[B, 512]`: the hidden dense layer's output before its tanh (what the spam filter's suffix starts from). */
  hiddenPreActivation: `${encoder}/hidden_layers/tanh_layer_0/BiasAdd`,
} as const;

/** Sentences of different lengths on which the cut is probed and verified at load. */
const probeTexts = [
  'Limited offer: claim your free prize now!',
  'Meeting moved to Thursday.',
  'Hi all, the build on the main branch is broken again since this morning; please do not merge anything until the fix lands.',
];

/**
 * USE's sparse feed for a batch of texts: `indices` [N, 2] (row, position) and `values` [N] SentencePiece ids,
 * N the batch's real tokens.
 */
export function useLiteFeeds(
  model: Pick<UseLiteModel, 'tokenize'>,
  texts: readonly string[],
): tf.NamedTensorMap {
  const encodings = texts.map((text) => model.tokenize(text));
  const indices = encodings.flatMap((ids, row) => ids.flatMap((_, position) => [row, position]));
  return {
    indices: tf.tensor2d(indices, [indices.length / 2, 2], 'int32'),
    values: tf.tensor1d(encodings.flat(), 'int32'),
  };
}

/**
 * USE-lite cut INSIDE its transformer, at token level: the edited layer is the feed-forward sub-layer of the
 * last block, from its normalised input to its output (both `[B, T, 512]`); the suffix is the rest of the
 * block (the residual sum), the mean pooling and the hidden dense layer up to `hiddenPreActivation`. The
 * residual stream, the pooling mask and the row lengths cross the cut; each row's length comes from the mask.
 * With `backend`, the imported suffix is verified against the GraphModel at load (≤ 1e-4).
 */
export function loadUseLiteTokenCut(
  model: UseLiteModel,
  backend?: GraceBackend,
): Promise<TfjsGraphEditableModel<string>> {
  return loadTfjsGraphModel<string>(model.graphModel, {
    editAt: { input: useLiteTokenNodes.ffnInput, output: useLiteTokenNodes.ffnOutput },
    output: useLiteTokenNodes.hiddenPreActivation,
    loss: 'mean-squared-error',
    sequenceMask: useLiteTokenNodes.mask,
    toFeeds: (texts) => useLiteFeeds(model, texts),
    examples: probeTexts,
    ...(backend === undefined ? {} : { backend }),
  });
}
