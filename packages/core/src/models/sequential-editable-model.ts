import type { GraceBackend } from '../backend.js';
import type { EditableModel, PrefixOutput } from '../editing/editable-model.js';
import { GraceError } from '../errors.js';
import { SuffixExecutor } from '../suffix/suffix-executor.js';
import type { SuffixGraph } from '../suffix/suffix-graph.js';
import type { Tensor } from '../tensor.js';
import type { SequentialLayerReference, SequentialModel } from './sequential-model.js';

/** One input row of a sequential model, `[inputWidth]`. */
export type SequentialInput = Float32Array | readonly number[];

/**
 * A {@link SequentialModel} cut at one dense layer for GRACE: the prefix (every layer up to and including the
 * edited one) runs frozen on the editor's backend, the rest is the suffix graph values are trained through.
 * The key is the edited layer's input, the value replaces its output (before any activation that follows).
 * The layer is given by name (e.g. `dense1`) or index; the model's `layerId` is the layer's name either way.
 *
 * @throws GraceError `INVALID_ARGUMENT` (listing the layers) when `layer` names no dense layer.
 */
export function editableSequentialModel(
  model: SequentialModel,
  layer: SequentialLayerReference,
): EditableModel<SequentialInput> {
  const editLayer = model.denseLayerIndex(layer);
  const edited = model.layers[editLayer] as SequentialModel['layers'][number];
  const prefixGraph = model.graph({ to: editLayer + 1, withLoss: false });
  const layerInputName =
    editLayer === 0 ? 'input' : `${(model.layers[editLayer - 1] as { name: string }).name}.output`;
  const suffix = suffixAfter(model, editLayer);
  const executors = new WeakMap<GraceBackend, SuffixExecutor>();
  const prefixExecutor = (backend: GraceBackend): SuffixExecutor => {
    let executor = executors.get(backend);
    if (executor === undefined) {
      executor = new SuffixExecutor(backend, prefixGraph);
      executors.set(backend, executor);
    }
    return executor;
  };

  return {
    layerId: edited.name,
    keyDimension: edited.inputWidth,
    valueDimension: edited.outputWidth,
    suffix,
    activationInput: 'input',
    targetInput: 'target',
    predictionOutput: 'prediction',
    lossOutput: 'loss',
    async runPrefix(backend, inputs): Promise<PrefixOutput> {
      const rows = new Float32Array(inputs.length * model.inputWidth);
      inputs.forEach((input, row) => {
        if (input.length !== model.inputWidth) {
          throw new GraceError(
            'SHAPE_MISMATCH',
            `input ${row} has ${input.length} features, the model takes ${model.inputWidth}`,
            {
              row,
            },
          );
        }
        rows.set(input, row * model.inputWidth);
      });
      const batch = backend.upload(rows, [inputs.length, model.inputWidth]);
      try {
        const { outputs } = prefixExecutor(backend).run({
          feeds: { input: batch },
          outputs: [layerInputName, 'prediction'],
        });
        return {
          layerInput: outputs.get(layerInputName) as Tensor<'float32'>,
          layerOutput: outputs.get('prediction') as Tensor<'float32'>,
          extras: {},
        };
      } finally {
        backend.dispose(batch);
      }
    },
    encodeTargets(backend, labels) {
      const { data, shape } = model.encodeTargets(labels);
      return backend.upload(data, shape);
    },
    decodePredictions: (prediction, shape) => model.decodePredictions(prediction, shape),
    release(backend) {
      executors.get(backend)?.dispose();
      executors.delete(backend);
    },
  };
}

/** The layers after the edited one with the loss; an Identity when the edited layer is the last. */
function suffixAfter(model: SequentialModel, editLayer: number): SuffixGraph {
  if (editLayer + 1 < model.layers.length) return model.graph({ from: editLayer + 1 });
  const whole = model.graph({ from: editLayer });
  const width = model.outputWidth;
  return {
    name: 'identity-suffix',
    inputs: [
      { name: 'input', dtype: 'float32', shape: ['batch', width] },
      ...whole.inputs.filter((input) => input.name === 'target'),
    ],
    initializers: [],
    nodes: [
      { name: 'identity', opType: 'Identity', inputs: ['input'], outputs: ['prediction'] },
      ...whole.nodes.filter((node) => node.name === 'loss'),
    ],
    outputs: ['prediction', 'loss'],
  };
}
