import { GraceError, type SymbolicShape } from '@grace/core';
import type * as tfjs from '@tensorflow/tfjs-core';
import { cutTfjsGraphModel, type TfjsGraphCut, type TfjsGraphEditAt } from './cut-tfjs-graph-model.js';
import type { GraphModelLike } from './graph-model-topology.js';
import { type HostTensor, lengthsFromMask, readHostTensors } from './host-tensor.js';
import { lossOutputName, suffixLoss, type TfjsSuffixLossOptions, targetInputName } from './suffix-loss.js';
import {
  assembleTfjsEditableModel,
  type TfjsEditableModel,
  type TfjsLoadCommonOptions,
  type TfjsPrefixTensors,
  verifyAtLoad,
} from './tfjs-editable-model.js';

/** How to load a GraphModel for editing. */
export interface LoadTfjsGraphModelOptions<Input>
  extends TfjsSuffixLossOptions,
    TfjsLoadCommonOptions<Input> {
  /** A MatMul node's name, or `{ input, output }` tensors around a layer made of several ops. */
  readonly editAt: TfjsGraphEditAt;
  /** The graph's feeds for a batch of inputs (tfjs tensors; the loader disposes them after each run). */
  readonly toFeeds: (inputs: readonly Input[]) => tfjs.NamedTensorMap;
  /** The node read as the prediction; default the model's first output node. */
  readonly output?: string;
  /**
   * For sequence models: a node (or input) whose value is a `[B, T]` or `[B, T, 1]` mask of real tokens, the
   * model's own attention or pooling mask; it gives each row's length, so key tokens and the `last` and `prompt`
   * replacement modes land on real tokens of a padded batch.
   */
  readonly sequenceMask?: string;
  /**
   * At least three inputs, of different lengths for sequence models: the graph is probed on all of them and on
   * the first alone (to tell run-time dimensions from fixed ones) and, with `backend`, the import is verified on
   * them at load.
   */
  readonly examples: readonly Input[];
}

/** A GraphModel cut for GRACE, with the cut's description. */
export interface TfjsGraphEditableModel<Input> extends TfjsEditableModel<Input> {
  readonly cut: TfjsGraphCut;
}

function disposeFeeds(feeds: tfjs.NamedTensorMap): void {
  for (const tensor of Object.values(feeds)) tensor.dispose();
}

/**
 * Loads a `tf.GraphModel` cut at `editAt`, for `GraceEditor`: the graph runs on tfjs up to the cut (its own
 * `executeAsync`, fetching the layer input, the layer output and whatever else the tail reads), and the tail is
 * imported into core's suffix IR (MatMul/BatchMatMul/_FusedMatMul, BiasAdd, element-wise ops, activations,
 * Mean/Sum, Rsqrt, Maximum, Softmax, Reshape/ExpandDims/Squeeze, Transpose, ConcatV2). With `backend`, the import is
 * checked against the whole graph at load (`GRAPH_INVALID` over 1e-4). An op outside that set is
 * `UNSUPPORTED_OP`, naming its node, before anything is trained.
 */
export async function loadTfjsGraphModel<Input>(
  model: GraphModelLike,
  options: LoadTfjsGraphModelOptions<Input>,
): Promise<TfjsGraphEditableModel<Input>> {
  if (options.examples.length < 3) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `give at least 3 examples to probe and verify the graph, got ${options.examples.length}`,
      {
        examples: options.examples.length,
      },
    );
  }
  const prediction = options.output ?? (model.outputNodes[0] as string);
  const probeFeeds = [
    options.toFeeds(options.examples),
    options.toFeeds(options.examples.slice(0, 1)),
  ] as const;
  let cut: TfjsGraphCut;
  try {
    cut = await cutTfjsGraphModel(model, options.editAt, prediction, probeFeeds);
  } finally {
    probeFeeds.forEach(disposeFeeds);
  }
  const shapeOf = (name: string): SymbolicShape => cut.shapes.get(name) ?? [];
  const lossPart = suffixLoss(cut.nodes, prediction, shapeOf, options);
  const suffix = {
    name: `${cut.editName}:suffix`,
    inputs: [
      { name: cut.output, dtype: 'float32' as const, shape: shapeOf(cut.output) },
      ...cut.crossingTensors.map((name) => ({ name, dtype: 'float32' as const, shape: shapeOf(name) })),
      lossPart.target,
    ],
    initializers: cut.initializers,
    nodes: [...cut.nodes, lossPart.node],
    outputs: [prediction, lossOutputName],
  };
  const prefixNames = [
    cut.input,
    cut.output,
    ...cut.crossingTensors,
    ...(options.sequenceMask === undefined ? [] : [options.sequenceMask]),
  ];
  const run = async (inputs: readonly Input[], names: readonly string[]): Promise<HostTensor[]> => {
    const feeds = options.toFeeds(inputs);
    try {
      const outputs = await model.executeAsync(feeds, [...names]);
      return await readHostTensors(Array.isArray(outputs) ? outputs : [outputs]);
    } finally {
      disposeFeeds(feeds);
    }
  };
  // The same values left on tfjs, for an editor on a tfjs backend; only the (small) mask is read back.
  const tensorNames = [...new Set(prefixNames)];
  const runTensors = async (inputs: readonly Input[]): Promise<TfjsPrefixTensors> => {
    const feeds = options.toFeeds(inputs);
    let tensors: Map<string, tfjs.Tensor>;
    try {
      const result = await model.executeAsync(feeds, tensorNames);
      const outputs = Array.isArray(result) ? result : [result];
      // A fetched feed comes back as the feed itself, a weight as the model's own (kept) tensor, and two names
      // of one node as one tensor: each name gets a tensor of its own, which the feeds' disposal below and the
      // editor's disposal later leave the model's intact.
      const taken = new Set<tfjs.Tensor>(Object.values(feeds));
      tensors = new Map(
        tensorNames.map((name, index) => {
          const tensor = outputs[index] as tfjs.Tensor;
          if (taken.has(tensor) || tensor.kept) return [name, tensor.clone()] as const;
          taken.add(tensor);
          return [name, tensor] as const;
        }),
      );
    } finally {
      disposeFeeds(feeds);
    }
    const maskName = options.sequenceMask;
    if (maskName === undefined) return { tensors };
    const mask = tensors.get(maskName) as tfjs.Tensor;
    try {
      const data = Float32Array.from(await mask.data());
      const lengths = lengthsFromMask({ data, shape: [...mask.shape] }, maskName);
      if (![cut.input, cut.output, ...cut.crossingTensors].includes(maskName)) {
        tensors.delete(maskName);
        mask.dispose();
      }
      return { tensors, lengths };
    } catch (error) {
      for (const tensor of tensors.values()) tensor.dispose();
      throw error;
    }
  };
  const loaded = assembleTfjsEditableModel<Input>(
    {
      layerId: `tfjs-graph:${cut.editName}`,
      editPoint: {
        name: cut.editName,
        input: cut.input,
        output: cut.output,
        inputShape: cut.inputShape,
        outputShape: cut.outputShape,
      },
      suffix,
      crossingTensors: cut.crossingTensors,
      predictionOutput: prediction,
      lossOutput: lossOutputName,
      targetInput: targetInputName,
      loss: lossPart.loss,
      async runPrefix(inputs) {
        const values = await run(inputs, prefixNames);
        const mask = options.sequenceMask === undefined ? undefined : values.at(-1);
        return {
          values: new Map(prefixNames.map((name, index) => [name, values[index] as HostTensor])),
          ...(mask === undefined ? {} : { lengths: lengthsFromMask(mask, options.sequenceMask as string) }),
        };
      },
      runPrefixTensors: runTensors,
      async runModel(inputs) {
        return (await run(inputs, [prediction]))[0] as HostTensor;
      },
      dispose: () => {},
    },
    options,
  );
  const withCut: TfjsGraphEditableModel<Input> = { ...loaded, cut };
  if (options.backend !== undefined)
    await verifyAtLoad(withCut, options.backend, options.examples, options.tolerance ?? 1e-4);
  return withCut;
}
