import {
  GraceError,
  type GraphInitializer,
  type GraphNode,
  SeededRandom,
  type SymbolicShape,
} from '@grace/core';
import type * as tfjs from '@tensorflow/tfjs-core';
import { type HostTensor, lengthsFromMask, readHostTensors } from './host-tensor.js';
import { type ImportableLayer, importLayer } from './import-layer.js';
import { lossOutputName, suffixLoss, type TfjsSuffixLossOptions, targetInputName } from './suffix-loss.js';
import {
  assembleTfjsEditableModel,
  type TfjsEditableModel,
  type TfjsLoadCommonOptions,
  verifyAtLoad,
} from './tfjs-editable-model.js';

/** A symbolic tensor of a tfjs-layers model (structural). */
interface SymbolicTensorLike {
  readonly name: string;
  readonly shape: readonly (number | null)[];
}

/** A layer of a LayersModel as the cut reads it (structural). */
interface LayerLike extends ImportableLayer {
  readonly input: SymbolicTensorLike | readonly SymbolicTensorLike[];
  readonly output: SymbolicTensorLike | readonly SymbolicTensorLike[];
}

/** The parts of a `tf.LayersModel` (or `tf.Sequential`) the loader uses. */
export interface LayersModelLike {
  readonly layers: readonly LayerLike[];
  readonly inputs: readonly SymbolicTensorLike[];
  readonly outputs: readonly SymbolicTensorLike[];
  predict(inputs: tfjs.Tensor | tfjs.Tensor[]): tfjs.Tensor | tfjs.Tensor[];
}

/** The parts of the tfjs namespace the loader uses: `tf.model` to build the prefix, `tf.tensor` for inputs. */
export interface TensorFlowWithLayers {
  model(args: { inputs: never; outputs: never }): LayersModelLike & { dispose?(): unknown };
  tensor(values: Float32Array, shape: number[], dtype?: 'float32'): tfjs.Tensor;
}

/** How to load a LayersModel for editing. */
export interface LoadTfjsLayersModelOptions<Input>
  extends TfjsSuffixLossOptions,
    TfjsLoadCommonOptions<Input> {
  /** The layer GRACE wraps (its name): keys are its input, values replace its output. */
  readonly editAt: string;
  /**
   * The model's input tensors for a batch, in `model.inputs` order. Default: each input is a `Float32Array` (or
   * number array) of one example of the model's single input, whose non-batch dimensions are fixed.
   */
  readonly toTensors?: (inputs: readonly Input[]) => tfjs.Tensor[];
  /** For sequence models: the model input (by name) holding a `[B, T]` mask of real tokens, for row lengths. */
  readonly sequenceMask?: string;
  /**
   * Inputs the import is verified on at load (with `backend`). Default: four seeded random examples, when the
   * model has one input of fixed size.
   */
  readonly examples?: readonly Input[];
}

const outputsOf = (
  value: SymbolicTensorLike | readonly SymbolicTensorLike[],
): readonly SymbolicTensorLike[] =>
  Array.isArray(value) ? (value as readonly SymbolicTensorLike[]) : [value as SymbolicTensorLike];

/** tfjs's `null` dimensions as named ones: the batch, then the sequence, then by axis. */
function symbolicShape(shape: readonly (number | null)[]): SymbolicShape {
  return shape.map((dimension, axis) =>
    dimension !== null ? dimension : axis === 0 ? 'batch' : axis === 1 ? 'sequence' : `axis${axis}`,
  );
}

/**
 * Loads a `tf.LayersModel` cut at the layer `editAt`, for `GraceEditor`: the model up to that layer runs on tfjs
 * (a `tf.model` over the same layers, so it shares the weights), the layers after it are imported into core's
 * suffix IR (Dense, activations, LayerNormalization, merges, Reshape/Flatten/Permute, pooling, dropout), and
 * with `backend` the import is checked against the whole tfjs model at load (`GRAPH_INVALID` over 1e-4).
 * Layers outside that set are `UNSUPPORTED_OP`, naming the layer, before anything runs.
 */
export async function loadTfjsLayersModel<Input = Float32Array | readonly number[]>(
  tf: TensorFlowWithLayers,
  model: LayersModelLike,
  options: LoadTfjsLayersModelOptions<Input>,
): Promise<TfjsEditableModel<Input>> {
  const edited = model.layers.find((layer) => layer.name === options.editAt);
  if (edited === undefined) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `'${options.editAt}' is not a layer of the model (layers: ${model.layers.map((layer) => layer.name).join(', ')})`,
      { editAt: options.editAt },
    );
  }
  const [layerInput] = outputsOf(edited.input);
  const [layerOutput] = outputsOf(edited.output);
  if (outputsOf(edited.input).length !== 1 || layerInput === undefined || layerOutput === undefined) {
    throw new GraceError('INVALID_ARGUMENT', `layer '${edited.name}' does not have exactly one input`, {
      editAt: options.editAt,
    });
  }
  const [modelOutput] = model.outputs;
  if (model.outputs.length !== 1 || modelOutput === undefined) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `the model has ${model.outputs.length} outputs; one is supported`,
      {},
    );
  }

  // Forward closure from the layer output, in the model's (topological) layer order.
  const downstream = new Set([layerOutput.name]);
  const symbolic = new Map<string, SymbolicTensorLike>();
  const nodes: GraphNode[] = [];
  const initializers: GraphInitializer[] = [];
  const shapes = new Map<string, SymbolicShape>();
  const read = new Set<string>();
  for (const layer of model.layers) {
    const inputs = outputsOf(layer.input);
    if (!inputs.some((input) => downstream.has(input.name))) continue;
    for (const input of inputs) {
      symbolic.set(input.name, input);
      shapes.set(input.name, symbolicShape(input.shape));
      read.add(input.name);
    }
    const [output] = outputsOf(layer.output);
    if (output === undefined) continue;
    const imported = importLayer({
      layer,
      inputs: inputs.map((input) => input.name),
      output: output.name,
      inputShapes: inputs.map((input) => symbolicShape(input.shape)),
    });
    nodes.push(...imported.nodes);
    initializers.push(...imported.initializers);
    for (const [name, shape] of imported.innerShapes) shapes.set(name, shape);
    shapes.set(output.name, symbolicShape(output.shape));
    downstream.add(output.name);
  }
  if (!downstream.has(modelOutput.name)) {
    throw new GraceError('INVALID_ARGUMENT', `the model's output does not depend on layer '${edited.name}'`, {
      editAt: options.editAt,
    });
  }
  const crossing = [...read].filter((name) => !downstream.has(name));
  const shapeOf = (name: string): SymbolicShape => shapes.get(name) ?? [];
  const lossPart = suffixLoss(nodes, modelOutput.name, shapeOf, options);
  const suffix = {
    name: `${edited.name}:suffix`,
    inputs: [
      { name: layerOutput.name, dtype: 'float32' as const, shape: symbolicShape(layerOutput.shape) },
      ...crossing.map((name) => ({ name, dtype: 'float32' as const, shape: shapeOf(name) })),
      lossPart.target,
    ],
    initializers,
    nodes: [...nodes, lossPart.node],
    outputs: [modelOutput.name, lossOutputName],
  };

  const prefixModel = tf.model({
    inputs: model.inputs as never,
    outputs: [layerInput, layerOutput, ...crossing.map((name) => symbolic.get(name))] as never,
  });
  const toTensors = options.toTensors ?? defaultToTensors(tf, model);
  const maskIndex =
    options.sequenceMask === undefined
      ? -1
      : model.inputs.findIndex((input) => isNamed(input, options.sequenceMask));
  if (options.sequenceMask !== undefined && maskIndex === -1) {
    throw new GraceError('INVALID_ARGUMENT', `the model has no input named '${options.sequenceMask}'`, {
      sequenceMask: options.sequenceMask,
    });
  }
  const prefixNames = [layerInput.name, layerOutput.name, ...crossing];
  const loaded = assembleTfjsEditableModel<Input>(
    {
      layerId: `tfjs-layers:${edited.name}`,
      editPoint: await probeEditPoint(edited.name, layerInput, layerOutput),
      suffix,
      crossingTensors: crossing,
      predictionOutput: modelOutput.name,
      lossOutput: lossOutputName,
      targetInput: targetInputName,
      loss: lossPart.loss,
      async runPrefix(inputs) {
        const tensors = toTensors(inputs);
        try {
          const outputs = prefixModel.predict(tensors.length === 1 ? (tensors[0] as tfjs.Tensor) : tensors);
          const values = await readHostTensors(Array.isArray(outputs) ? outputs : [outputs]);
          const mask =
            maskIndex === -1
              ? undefined
              : (await readHostTensors([(tensors[maskIndex] as tfjs.Tensor).clone()]))[0];
          return {
            values: new Map(prefixNames.map((name, index) => [name, values[index] as HostTensor])),
            ...(mask === undefined ? {} : { lengths: lengthsFromMask(mask, options.sequenceMask as string) }),
          };
        } finally {
          for (const tensor of tensors) tensor.dispose();
        }
      },
      async runModel(inputs) {
        const tensors = toTensors(inputs);
        try {
          const output = model.predict(tensors.length === 1 ? (tensors[0] as tfjs.Tensor) : tensors);
          const [prediction] = await readHostTensors(Array.isArray(output) ? output : [output]);
          return prediction as HostTensor;
        } finally {
          for (const tensor of tensors) tensor.dispose();
        }
      },
      dispose: () => {
        prefixModel.dispose?.();
      },
    },
    options,
  );
  if (options.backend !== undefined) {
    const examples = options.examples ?? syntheticExamples<Input>(model);
    await verifyAtLoad(loaded, options.backend, examples, options.tolerance ?? 1e-4);
  }
  return loaded;
}

function isNamed(input: SymbolicTensorLike, name: string | undefined): boolean {
  return input.name === name || input.name.split('/')[0] === name || input.name === `${name}:0`;
}

/** Shapes of the edit point as tfjs declares them (a `null` read as 1, for the widths that matter). */
async function probeEditPoint(
  name: string,
  input: SymbolicTensorLike,
  output: SymbolicTensorLike,
): Promise<{ name: string; input: string; output: string; inputShape: number[]; outputShape: number[] }> {
  const concrete = (shape: readonly (number | null)[]): number[] => shape.map((dimension) => dimension ?? 1);
  return {
    name,
    input: input.name,
    output: output.name,
    inputShape: concrete(input.shape),
    outputShape: concrete(output.shape),
  };
}

/** A single input of fixed size per example: stacked into `[B, ...]`. */
function defaultToTensors<Input>(
  tf: TensorFlowWithLayers,
  model: LayersModelLike,
): (inputs: readonly Input[]) => tfjs.Tensor[] {
  return (inputs) => {
    const [input] = model.inputs;
    const dimensions = input?.shape.slice(1) ?? [];
    if (model.inputs.length !== 1 || dimensions.some((dimension) => dimension === null)) {
      throw new GraceError(
        'INVALID_ARGUMENT',
        'the model has several inputs or a free dimension: give `toTensors` to batch its inputs',
        {},
      );
    }
    const width = (dimensions as number[]).reduce((product, dimension) => product * dimension, 1);
    const data = new Float32Array(inputs.length * width);
    inputs.forEach((example, row) => {
      const values = example as unknown as ArrayLike<number>;
      if (values.length !== width) {
        throw new GraceError(
          'SHAPE_MISMATCH',
          `input ${row} has ${values.length} values; the model takes ${width}`,
          {
            row,
            expected: width,
          },
        );
      }
      data.set(values, row * width);
    });
    return [tf.tensor(data, [inputs.length, ...(dimensions as number[])], 'float32')];
  };
}

/** Four seeded standard-normal examples for a single fixed-size input. */
function syntheticExamples<Input>(model: LayersModelLike): Input[] {
  const dimensions = model.inputs[0]?.shape.slice(1) ?? [];
  if (model.inputs.length !== 1 || dimensions.some((dimension) => dimension === null)) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      'verifying at load needs `examples` for a model with several inputs or a free dimension',
      {},
    );
  }
  const width = (dimensions as number[]).reduce((product, dimension) => product * dimension, 1);
  const random = new SeededRandom(7);
  return Array.from({ length: 4 }, () => random.normals(width) as unknown as Input);
}
