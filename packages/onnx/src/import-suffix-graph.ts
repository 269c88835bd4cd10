import {
  buildSuffixGraph,
  type Dimension,
  type DType,
  GraceError,
  type GraphInput,
  type SuffixGraph,
} from '@grace/core';
import type { OnnxCut } from './cut-onnx-model.js';
import { liftTokenGemms } from './lift-token-gemms.js';
import { probedShapeLookup, translateOnnxNodes } from './translate-onnx-nodes.js';
import { unfoldMergedHeads } from './unfold-merged-heads.js';

/**
 * The loss added after the model's prediction so values can be trained: the ops of core's set v1.
 * `token-softmax-cross-entropy` is softmax cross-entropy at every token of `[B, T, C]` scores (flattened to
 * `[B·T, C]`, as a causal language model's training does), with int32 targets `[B·T]` of which those equal to
 * {@link ignoredTokenTarget} (prompt, padding) count for nothing.
 */
export type OnnxLoss =
  | 'softmax-cross-entropy'
  | 'sigmoid-cross-entropy'
  | 'mean-squared-error'
  | 'token-softmax-cross-entropy';

/** The target of a token that the token loss ignores: PyTorch's `ignore_index` default. */
export const ignoredTokenTarget = -100;

/** How the suffix IR is completed for training. */
export interface SuffixLossOptions {
  /** Default `softmax-cross-entropy`. */
  readonly loss?: OnnxLoss;
  /** The model output read as the prediction; default the first output the suffix computes. */
  readonly predictionOutput?: string;
  /**
   * The tensor the loss reads. Default: the input of the Softmax (or Sigmoid, for the sigmoid loss) that
   * produces the prediction when there is one — the logits — else the prediction itself.
   */
  readonly lossOn?: string;
}

/** The suffix in core's IR plus the names the editable model needs. */
export interface ImportedSuffix {
  readonly graph: SuffixGraph;
  readonly activationInput: string;
  readonly predictionOutput: string;
  readonly targetInput: string;
  readonly lossOutput: string;
  readonly loss: OnnxLoss;
}

/**
 * The IR type a tensor crossing the cut takes, by onnxruntime type: a boolean mask becomes the IR's float 0/1
 * mask (what Where reads), integers (token positions, indices) int32, where the IR takes integers.
 */
export const crossingDtypes: Readonly<Record<string, DType>> = {
  float32: 'float32',
  bool: 'float32',
  int32: 'int32',
  int64: 'int32',
};

/** The target input and loss output names, chosen so they cannot clash with ONNX tensor names in practice. */
export const targetInputName = 'grace:target';
export const lossOutputName = 'grace:loss';
/** The token loss's `[B·T, C]` view of the scores it reads. */
export const tokenScoresName = `${lossOutputName}:token-scores`;

/**
 * Translates the nodes after the cut into core's suffix IR (see `translateOnnxNodes`) and completes it for
 * training: the layer output and the crossing tensors as inputs, the target input and the loss. Constant and
 * shape arithmetic is folded away; Reshape, Flatten, Squeeze and Unsqueeze become Reshape with a constant
 * target; constant axes inputs become attributes; Softmax of opsets before 13 is checked to mean the same as
 * after. Anything the IR cannot honour (an op, an attribute, a mode, an output) is `UNSUPPORTED_OP`, naming
 * the node, before anything runs; the graph is then built once, so a bad shape fails here too.
 */
export function importSuffixGraph(cut: OnnxCut, options: SuffixLossOptions = {}): ImportedSuffix {
  const { tensors } = cut;
  const lifted = liftTokenGemms(cut.suffixNodes, cut.statics, probedShapeLookup(tensors));
  const { statics, shapeOf } = lifted;
  const translated = translateOnnxNodes(unfoldMergedHeads(lifted.nodes, shapeOf), {
    opset: cut.model.opset,
    statics,
    shapeOf,
  });
  const nodes = [...translated.nodes];
  const initializers = [...translated.initializers];
  // Shape arithmetic with run-time sizes (`[batch, sequence, 32]`) crosses the cut for onnxruntime's suffix, but
  // the IR folds it (a Reshape's target copies the sizes): it is no input of the IR.
  const readByIr = cut.crossingTensors.filter((name) => !statics.has(name));
  const graphInputs: GraphInput[] = [cut.editPoint.output, ...readByIr].map((name) => {
    const probed = tensors.get(name);
    const dtype = crossingDtypes[probed?.type ?? ''];
    if (probed === undefined || dtype === undefined) {
      throw new GraceError(
        'UNSUPPORTED_OP',
        `tensor '${name}' crosses the cut as ${probed?.type}; float32, bool, int32 and int64 tensors can`,
        { tensor: name },
      );
    }
    return { name, dtype, shape: probed.shape };
  });

  const loss = options.loss ?? 'softmax-cross-entropy';
  // The option may name the model's output; the suffix may know it by its alias.
  const requested = options.predictionOutput ?? (cut.modelOutputs[0] as string);
  const predictionOutput = cut.outputs[cut.modelOutputs.indexOf(requested)] ?? requested;
  if (!cut.outputs.includes(predictionOutput)) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `'${predictionOutput}' is not an output computed after the cut (${cut.outputs.join(', ')})`,
      { predictionOutput },
    );
  }
  const finalActivation =
    loss === 'sigmoid-cross-entropy'
      ? 'Sigmoid'
      : loss === 'softmax-cross-entropy' || loss === 'token-softmax-cross-entropy'
        ? 'Softmax'
        : undefined;
  const producer = nodes.find((node) => node.outputs[0] === predictionOutput);
  const lossOn =
    options.lossOn ??
    (producer !== undefined && producer.opType === finalActivation
      ? (producer.inputs[0] as string)
      : predictionOutput);
  const lossShape = shapeOf(lossOn);
  let target: GraphInput;
  if (loss === 'token-softmax-cross-entropy') {
    const classes = lossShape.at(-1);
    if (lossShape.length !== 3 || typeof classes !== 'number')
      throw new GraceError(
        'INVALID_ARGUMENT',
        `the token loss reads scores [B, T, C] with a fixed C; '${lossOn}' is [${lossShape.join(', ')}]`,
        { lossOn, shape: lossShape },
      );
    const flat = tokenScoresName;
    nodes.push({
      name: flat,
      opType: 'Reshape',
      inputs: [lossOn],
      outputs: [flat],
      attributes: { shape: [-1, classes] },
    });
    target = { name: targetInputName, dtype: 'int32', shape: [`${lossOutputName}:tokens`] };
    nodes.push({
      name: lossOutputName,
      opType: 'SoftmaxCrossEntropyLoss',
      inputs: [flat, targetInputName],
      outputs: [lossOutputName],
      attributes: { reduction: 'mean', ignore_index: ignoredTokenTarget },
    });
  } else {
    target =
      loss === 'softmax-cross-entropy'
        ? { name: targetInputName, dtype: 'int32', shape: [lossShape[0] as Dimension] }
        : { name: targetInputName, dtype: 'float32', shape: lossShape };
    const lossOp = {
      'softmax-cross-entropy': 'SoftmaxCrossEntropyLoss',
      'sigmoid-cross-entropy': 'SigmoidCrossEntropyLoss',
      'mean-squared-error': 'MeanSquaredErrorLoss',
    }[loss];
    nodes.push({
      name: lossOutputName,
      opType: lossOp,
      inputs: [lossOn, targetInputName],
      outputs: [lossOutputName],
      attributes: { reduction: 'mean' },
    });
  }
  const graph: SuffixGraph = {
    name: `${cut.editPoint.name}:suffix`,
    inputs: [...graphInputs, target],
    initializers,
    nodes,
    outputs: [predictionOutput, lossOutputName],
  };
  buildSuffixGraph(graph);
  return {
    graph,
    activationInput: cut.editPoint.output,
    predictionOutput,
    targetInput: targetInputName,
    lossOutput: lossOutputName,
    loss,
  };
}
