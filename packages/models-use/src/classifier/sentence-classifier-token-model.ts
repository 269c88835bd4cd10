import type { HostTensor, TfjsGraphEditableModel } from '@grace/backend-tfjs/models';
import {
  type EditableModel,
  type GraceBackend,
  GraceError,
  type SuffixGraph,
  type Tensor,
} from '@grace/core';
import { createTokenPrefixCache, type TokenPrefixCache } from '../use/token-prefix-cache.js';
import { loadUseLiteTokenCut, useLiteTokenNodes } from '../use/use-lite-token-cut.js';
import {
  checkClassifierHead,
  classifierLabelCodec,
  type SentenceClassifier,
  sentenceClassifierSuffix,
} from './sentence-classifier.js';

/** The layer GRACE edits at token level, in codebook files. */
export const sentenceClassifierTokenLayerId = 'use-lite.layer_1.ffn';

/** A sentence classifier edited inside USE-lite's transformer, with its token-level prefix cache. */
export interface SentenceClassifierTokenModel extends EditableModel<string> {
  /** The tfjs cut it is built on (the imported block tail, pooling and dense layer). */
  readonly cut: TfjsGraphEditableModel<string>;
  /** Token-level prefix values per text (each text runs through the transformer once). */
  readonly prefixCache: TokenPrefixCache;
}

/**
 * The suffix of the token-level classifier: the tail of USE-lite's last block, the pooling and the hidden dense
 * layer as imported from the GraphModel (up to the dense layer's pre-activation), then the same tanh, L2 norm
 * and head as the pooled cut ({@link sentenceClassifierSuffix}), joined by an Identity onto its `activation`.
 */
function tokenSuffix(cut: TfjsGraphEditableModel<string>, filter: SentenceClassifier): SuffixGraph {
  const pooledSuffix = sentenceClassifierSuffix(filter);
  const imported = cut.suffix;
  return {
    name: 'sentence-classifier-after-last-ffn',
    inputs: [
      ...imported.inputs.filter((input) => input.name !== cut.targetInput),
      ...pooledSuffix.inputs.filter((input) => input.name !== 'activation'),
    ],
    initializers: [...imported.initializers, ...pooledSuffix.initializers],
    nodes: [
      ...imported.nodes.filter((node) => node.outputs[0] !== cut.lossOutput),
      {
        name: 'use.hidden.to_activation',
        opType: 'Identity',
        inputs: [useLiteTokenNodes.hiddenPreActivation],
        outputs: ['activation'],
      },
      ...pooledSuffix.nodes,
    ],
    outputs: ['prediction', 'loss'],
  };
}

/**
 * A sentence classifier as an {@link EditableModel} over raw text, cut INSIDE USE-lite's transformer: keys are
 * the last block's normalised token states `[B, T, 512]`, values replace the block's feed-forward output at the
 * tokens the replacement mode selects, and the rest of the block, the mean pooling, the dense layer, the tanh,
 * the L2 norm and the head form the suffix. The transformer runs frozen on tfjs (once per text, cached); with
 * `backend`, the imported tail is checked against the GraphModel at load.
 */
export async function sentenceClassifierTokenModel<Label extends string>(
  filter: SentenceClassifier<Label>,
  options: { readonly backend?: GraceBackend; readonly batchSize?: number } = {},
): Promise<SentenceClassifierTokenModel> {
  const { encoder } = filter;
  checkClassifierHead(filter);
  const cut = await loadUseLiteTokenCut(encoder, options.backend);
  const prefixCache = createTokenPrefixCache((texts) => cut.runPrefixOnTfjs(texts), {
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
  });
  const upload = (backend: GraceBackend, host: HostTensor): Tensor<'float32'> =>
    backend.upload(host.data, [...host.shape]) as Tensor<'float32'>;
  return {
    cut,
    prefixCache,
    layerId: sentenceClassifierTokenLayerId,
    keyDimension: cut.keyDimension,
    valueDimension: cut.valueDimension,
    suffix: tokenSuffix(cut, filter),
    activationInput: cut.activationInput,
    targetInput: 'target',
    predictionOutput: 'prediction',
    lossOutput: 'loss',
    async runPrefix(backend, texts) {
      if (texts.length === 0) throw new GraceError('EMPTY_BATCH', 'no texts to run', {});
      const { values, lengths } = await prefixCache.values(texts);
      const read = (name: string): HostTensor => values.get(name) as HostTensor;
      const extras: Record<string, Tensor> = {};
      for (const name of cut.crossingTensors) extras[name] = upload(backend, read(name));
      return {
        layerInput: upload(backend, read(cut.editPoint.input)),
        layerOutput: upload(backend, read(cut.editPoint.output)),
        ...(lengths === undefined ? {} : { lengths }),
        extras,
      };
    },
    ...classifierLabelCodec(filter),
  };
}
