import type { GraceBackend } from '../backend.js';
import { disposePrefixOutput, type EditableModel } from '../editing/editable-model.js';
import { GraceError } from '../errors.js';
import { type TrainingBatch, trainParameters, withTrainedParameters } from '../models/parameter-trainer.js';
import { SuffixExecutor } from '../suffix/suffix-executor.js';
import type { GraphInitializer, SuffixGraph } from '../suffix/suffix-graph.js';
import type { Tensor, TensorData } from '../tensor.js';
import { decodedPredictions } from './decoded-predictions.js';
import type { EditingMethod, PredictionOutput } from './editing-method.js';

/** The edited layer's own weights, when it is linear: `output = input · weight + bias`. */
export interface LinearLayerWeights {
  /** `[Dk, Dv]` row-major. */
  readonly weight: Float32Array;
  /** `[Dv]`; absent for a layer without one. */
  readonly bias?: Float32Array;
}

/** Names the layer takes in the fine-tuned graph; they must not clash with the suffix's own. */
export const fineTunedLayerNames = {
  input: 'grace:layer-input',
  weight: 'grace:layer-weight',
  bias: 'grace:layer-bias',
  product: 'grace:layer-product',
} as const;

/**
 * The model's suffix with its linear edited layer in front: input {@link fineTunedLayerNames}.input (the layer's
 * input, `[..., Dk]` like the activation input with its last axis Dk), then `MatMul` by the weight and `Add` of the
 * bias, feeding the suffix's activation input. Running it on the prefix's layer input computes what the model
 * computes; training its weight and bias is fine-tuning that layer.
 *
 * @throws GraceError `INVALID_ARGUMENT` when the weights are not `[Dk, Dv]` and `[Dv]`, or the suffix already uses
 * one of the layer's names.
 */
export function fineTunableLayerGraph(
  model: EditableModel<unknown>,
  weights: LinearLayerWeights,
): SuffixGraph {
  const { keyDimension, valueDimension, suffix } = model;
  if (
    weights.weight.length !== keyDimension * valueDimension ||
    (weights.bias !== undefined && weights.bias.length !== valueDimension)
  )
    throw new GraceError(
      'INVALID_ARGUMENT',
      `the layer's weights must be [${keyDimension}, ${valueDimension}] and [${valueDimension}]`,
      { weight: weights.weight.length, bias: weights.bias?.length, keyDimension, valueDimension },
    );
  const activation = suffix.inputs.find((input) => input.name === model.activationInput);
  const used = new Set([
    ...suffix.inputs.map((input) => input.name),
    ...suffix.initializers.map((initializer) => initializer.name),
    ...suffix.nodes.flatMap((node) => node.outputs),
  ]);
  const clash = Object.values(fineTunedLayerNames).find((name) => used.has(name));
  if (activation === undefined || clash !== undefined)
    throw new GraceError(
      'INVALID_ARGUMENT',
      clash === undefined
        ? `the suffix has no activation input '${model.activationInput}'`
        : `the suffix already uses the name '${clash}'`,
      { activationInput: model.activationInput, clash },
    );
  const names = fineTunedLayerNames;
  const layerInitializers: GraphInitializer[] = [
    { name: names.weight, data: Float32Array.from(weights.weight), shape: [keyDimension, valueDimension] },
    ...(weights.bias === undefined
      ? []
      : [{ name: names.bias, data: Float32Array.from(weights.bias), shape: [valueDimension] }]),
  ];
  const product = weights.bias === undefined ? model.activationInput : names.product;
  return {
    ...suffix,
    inputs: [
      { ...activation, name: names.input, shape: [...activation.shape.slice(0, -1), keyDimension] },
      ...suffix.inputs.filter((input) => input !== activation),
    ],
    initializers: [...layerInitializers, ...suffix.initializers],
    nodes: [
      { name: 'grace:layer', opType: 'MatMul', inputs: [names.input, names.weight], outputs: [product] },
      ...(weights.bias === undefined
        ? []
        : [
            {
              name: 'grace:layer-bias-add',
              opType: 'Add',
              inputs: [names.product, names.bias],
              outputs: [model.activationInput],
            },
          ]),
      ...suffix.nodes,
    ],
  };
}

/**
 * Continual fine-tuning of the edited layer itself, the paper's main baseline, for any {@link EditableModel} whose
 * edited layer is linear (a transformer's MLP projection, a dense layer): each error is fixed by `steps` Adam steps
 * on the layer's weight and bias with that one example's loss (for a causal language model, the teacher-forced
 * loss of its continuation), then the next error starts from those weights. It fixes edits but drifts every input
 * that passes the layer, which is what GRACE avoids. Predictions run the model's prefix, then the layer with the
 * current weights and the suffix: the edited model as a user would run it. The caller's model is never changed.
 *
 * @throws GraceError `INVALID_ARGUMENT` as {@link fineTunableLayerGraph}, or for `steps` not a positive integer.
 */
export function layerFineTuningMethod<Input>(
  backend: GraceBackend,
  model: EditableModel<Input>,
  weights: LinearLayerWeights,
  options: { readonly name?: string; readonly steps: number; readonly learningRate: number },
): EditingMethod<Input> & {
  predictionOutput: NonNullable<EditingMethod<Input>['predictionOutput']>;
  /** The layer's current weights (copies). */
  weights(): LinearLayerWeights;
} {
  if (!Number.isInteger(options.steps) || options.steps < 1)
    throw new GraceError('INVALID_ARGUMENT', `steps must be an integer >= 1, got ${options.steps}`, {
      steps: options.steps,
    });
  let graph = fineTunableLayerGraph(model, weights);
  let executor = new SuffixExecutor(backend, graph);
  const parameters = graph.initializers
    .map((initializer) => initializer.name)
    .filter((name) => name === fineTunedLayerNames.weight || name === fineTunedLayerNames.bias);

  const predictionOutput = async (inputs: readonly Input[]): Promise<PredictionOutput> => {
    const prefix = await model.runPrefix(backend, inputs);
    let prediction: Tensor<'float32'> | undefined;
    try {
      prediction = executor
        .run({
          feeds: { ...prefix.extras, [fineTunedLayerNames.input]: prefix.layerInput },
          outputs: [model.predictionOutput],
        })
        .outputs.get(model.predictionOutput) as Tensor<'float32'>;
      return { data: await backend.download(prediction), shape: prediction.shape };
    } finally {
      if (prediction !== undefined) backend.dispose(prediction);
      disposePrefixOutput(backend, prefix);
    }
  };

  return {
    name: options.name ?? `fine-tuning ${model.layerId}`,
    predictionOutput,
    predict: (inputs) => decodedPredictions(model, predictionOutput, inputs),
    edit: async (example) => {
      // The example's feeds, on the host: trainParameters frees each step's batch, so every step uploads afresh.
      const prefix = await model.runPrefix(backend, [example.input]);
      const host: Record<string, { data: TensorData; shape: readonly number[] }> = {};
      try {
        const targets = model.encodeTargets(backend, [example.label], [example.input]);
        const feeds: Record<string, Tensor> = {
          ...prefix.extras,
          [fineTunedLayerNames.input]: prefix.layerInput,
          [model.targetInput]: targets,
        };
        try {
          for (const [name, tensor] of Object.entries(feeds))
            host[name] = { data: await backend.download(tensor), shape: tensor.shape };
        } finally {
          backend.dispose(targets);
        }
      } finally {
        disposePrefixOutput(backend, prefix);
      }
      const batch = (): TrainingBatch =>
        Object.fromEntries(
          Object.entries(host).map(([name, { data, shape }]) => [name, backend.upload(data, shape)]),
        );
      const result = await trainParameters({
        backend,
        graph,
        lossOutput: model.lossOutput,
        parameters,
        batches: () => [batch()],
        epochs: options.steps,
        learningRate: options.learningRate,
      });
      graph = withTrainedParameters(graph, result.parameters);
      executor.dispose();
      executor = new SuffixExecutor(backend, graph);
    },
    weights: () => {
      const data = (name: string) =>
        graph.initializers.find((initializer) => initializer.name === name)?.data as Float32Array | undefined;
      const bias = data(fineTunedLayerNames.bias);
      return {
        weight: Float32Array.from(data(fineTunedLayerNames.weight) as Float32Array),
        ...(bias === undefined ? {} : { bias: Float32Array.from(bias) }),
      };
    },
    keys: () => null,
    dispose: () => executor.dispose(),
  };
}
