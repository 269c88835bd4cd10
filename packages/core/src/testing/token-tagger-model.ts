import type { GraceBackend } from '../backend.js';
import type { EditableModel, PrefixOutput } from '../editing/editable-model.js';

/** A tagger's input: `T` tokens of 2 features each. */
export type TaggerInput = readonly (readonly number[])[];

const width = 2;
const classes = 3;

/**
 * The prefix of a test model whose edited layer is an identity over `[B, T, width]` tokens: the layer's input
 * and output are both the batch's tokens (every row as long as the first).
 */
export function identityTokensPrefix(
  tokenWidth: number,
): (backend: GraceBackend, inputs: readonly TaggerInput[]) => Promise<PrefixOutput> {
  return async (backend, inputs) => {
    const length = inputs[0]?.length ?? 0;
    const data = Float32Array.from(inputs.flatMap((tokens) => tokens.flat()));
    return {
      layerInput: backend.upload(data, [inputs.length, length, tokenWidth]),
      layerOutput: backend.upload(data, [inputs.length, length, tokenWidth]),
      extras: {},
    };
  };
}

/**
 * A per-token tagger: the edited layer is an identity over `[B, T, 2]` tokens, and the suffix classifies each
 * token on its own into 3 classes (`MatMul` by a `[2, 3]` matrix whose columns point 120° apart, so any class
 * is reachable from a free vector; `Reshape` to `[B·T, 3]`; softmax cross-entropy). A label is one class per
 * token, so an edit that must change several tokens' classes differently needs a different vector at each of
 * them: a span of values can do it, one vector (`last`, `all`) cannot.
 */
export function tokenTaggerModel(): EditableModel<TaggerInput> {
  const half = Math.sqrt(3) / 2;
  return {
    layerId: 'tagger-tokens',
    keyDimension: width,
    valueDimension: width,
    activationInput: 'tokens',
    targetInput: 'tags',
    predictionOutput: 'logits',
    lossOutput: 'loss',
    suffix: {
      inputs: [
        { name: 'tokens', dtype: 'float32', shape: ['batch', 'length', width] },
        { name: 'tags', dtype: 'int32', shape: ['rows'] },
      ],
      initializers: [
        { name: 'W', data: new Float32Array([1, -0.5, -0.5, 0, half, -half]), shape: [width, classes] },
      ],
      nodes: [
        { name: 'head', opType: 'MatMul', inputs: ['tokens', 'W'], outputs: ['scores'] },
        {
          name: 'flatten',
          opType: 'Reshape',
          inputs: ['scores'],
          outputs: ['logits'],
          attributes: { shape: [-1, classes] },
        },
        { name: 'loss', opType: 'SoftmaxCrossEntropyLoss', inputs: ['logits', 'tags'], outputs: ['loss'] },
      ],
      outputs: ['logits', 'loss'],
    },
    runPrefix: identityTokensPrefix(width),
    encodeTargets: (backend, labels) => {
      const tags = labels.flatMap((label) => label as readonly number[]);
      return backend.upload(Int32Array.from(tags), [tags.length]);
    },
    decodePredictions: (prediction, shape, inputs) => {
      const tokens = (shape[0] as number) / (inputs?.length ?? 1);
      return Array.from({ length: inputs?.length ?? 1 }, (_, row) =>
        Array.from({ length: tokens }, (_, token) => {
          const start = (row * tokens + token) * classes;
          const scores = Array.from(prediction.subarray(start, start + classes));
          return scores.indexOf(Math.max(...scores));
        }),
      );
    },
  };
}
