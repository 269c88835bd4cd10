import {
  type AttributeValue,
  type Dimension,
  GraceError,
  type GraphInitializer,
  type GraphInput,
  type GraphNode,
  type SuffixGraph,
  type SymbolicShape,
} from '@grace/core';
import type { OnnxCut } from './cut-onnx-model.js';
import type { OnnxNodeProto } from './onnx-proto-types.js';
import { nodeAttributes, type StaticValue } from './static-value.js';

/** The loss added after the model's prediction so values can be trained: the ops of core's set v1. */
export type OnnxLoss = 'softmax-cross-entropy' | 'sigmoid-cross-entropy' | 'mean-squared-error';

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

/** The target input and loss output names, chosen so they cannot clash with ONNX tensor names in practice. */
export const targetInputName = 'grace:target';
export const lossOutputName = 'grace:loss';

const passThrough = new Set([
  'MatMul',
  'Gemm',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'Relu',
  'Gelu',
  'Tanh',
  'Sigmoid',
  'Sqrt',
  'Identity',
  'LayerNormalization',
  'Transpose',
]);
const reshaping = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);

function ir(
  attributes: ReadonlyMap<string, AttributeValue | StaticValue>,
  drop: readonly string[] = [],
): Record<string, AttributeValue> {
  const result: Record<string, AttributeValue> = {};
  for (const [name, value] of attributes) {
    if (drop.includes(name)) continue;
    if (typeof value === 'object' && !Array.isArray(value)) continue;
    result[name] = value as AttributeValue;
  }
  return result;
}

/**
 * A Reshape target for the probed output shape: a symbolic dimension becomes `0` (copy) where the input has the
 * same symbol at that position, else `-1` (inferred, allowed once); so the IR works at any batch size.
 */
function reshapeTarget(node: OnnxNodeProto, input: SymbolicShape, output: SymbolicShape): number[] {
  let inferred = false;
  return output.map((dimension, position) => {
    if (typeof dimension === 'number') return dimension;
    if (input[position] === dimension) return 0;
    if (inferred) {
      throw new GraceError(
        'UNSUPPORTED_OP',
        `node '${node.name}' (${node.opType}): output shape [${output.join(', ')}] has two run-time dimensions that are not copied`,
        { node: node.name, opType: node.opType },
      );
    }
    inferred = true;
    return -1;
  });
}

/**
 * Translates the nodes after the cut into core's suffix IR. Constant and shape arithmetic is folded away;
 * Reshape, Flatten, Squeeze and Unsqueeze become Reshape with a constant target; constant axes inputs become
 * attributes; Softmax of opsets before 13 is checked to mean the same as after. Any op outside core's set v1
 * is `UNSUPPORTED_OP`, naming the op and the node, before anything runs.
 */
export function importSuffixGraph(cut: OnnxCut, options: SuffixLossOptions = {}): ImportedSuffix {
  const { statics, tensors } = cut;
  const shapeOf = (name: string): SymbolicShape => {
    const shape = tensors.get(name)?.shape;
    if (shape === undefined)
      throw new GraceError('GRAPH_INVALID', `no shape known for tensor '${name}'`, { tensor: name });
    return shape;
  };
  const nodes: GraphNode[] = [];
  const usedConstants = new Set<string>();
  for (const node of cut.suffixNodes) {
    const output = node.output?.[0] ?? '';
    if (statics.has(output)) continue;
    const name = node.name || output;
    const opType = node.opType ?? '';
    const inputs = [...(node.input ?? [])];
    const attributes = nodeAttributes(node);
    const staticInput = (position: number): StaticValue | undefined => statics.get(inputs[position] ?? '');
    if (passThrough.has(opType)) {
      nodes.push({
        name,
        opType,
        inputs,
        outputs: [output],
        attributes: ir(attributes),
      });
    } else if (opType === 'Dropout') {
      nodes.push({ name, opType: 'Identity', inputs: [inputs[0] as string], outputs: [output] });
    } else if (reshaping.has(opType)) {
      const shape = reshapeTarget(node, shapeOf(inputs[0] as string), shapeOf(output));
      nodes.push({
        name,
        opType: 'Reshape',
        inputs: [inputs[0] as string],
        outputs: [output],
        attributes: { shape },
      });
    } else if (opType === 'Softmax' || opType === 'LogSoftmax') {
      const rank = shapeOf(inputs[0] as string).length;
      const declared = attributes.get('axis');
      const axis = typeof declared === 'number' ? declared : cut.model.opset < 13 ? 1 : -1;
      const normalized = axis < 0 ? axis + rank : axis;
      if (cut.model.opset < 13 && normalized !== rank - 1) {
        // Before opset 13 Softmax normalised over all axes from `axis` on; only the last-axis case maps directly.
        throw new GraceError(
          'UNSUPPORTED_OP',
          `node '${name}' (${opType}, opset ${cut.model.opset}): axis ${axis} of a rank-${rank} input normalises several axes`,
          { node: name, opType },
        );
      }
      nodes.push({
        name,
        opType,
        inputs: [inputs[0] as string],
        outputs: [output],
        attributes: { axis: normalized },
      });
    } else if (opType === 'ReduceSum' || opType === 'ReduceMean') {
      const axesInput = inputs[1] !== undefined && inputs[1] !== '' ? staticInput(1) : undefined;
      if (inputs[1] !== undefined && inputs[1] !== '' && axesInput === undefined) {
        throw new GraceError('UNSUPPORTED_OP', `node '${name}' (${opType}): axes must be constant`, {
          node: name,
          opType,
        });
      }
      const converted = ir(attributes);
      if (axesInput !== undefined) converted.axes = Array.from(axesInput.data as ArrayLike<number>);
      nodes.push({ name, opType, inputs: [inputs[0] as string], outputs: [output], attributes: converted });
    } else {
      throw new GraceError(
        'UNSUPPORTED_OP',
        `node '${name}': op '${opType}' after the cut has no counterpart in core's suffix op set v1`,
        { node: name, opType },
      );
    }
    for (const input of nodes.at(-1)?.inputs ?? []) if (statics.has(input)) usedConstants.add(input);
  }

  const initializers: GraphInitializer[] = [...usedConstants].map((name) => {
    const value = statics.get(name) as StaticValue;
    if (value.kind !== 'float') {
      throw new GraceError('UNSUPPORTED_OP', `integer tensor '${name}' is read as data after the cut`, {
        tensor: name,
      });
    }
    return { name, data: value.data, shape: [...value.shape] };
  });
  const graphInputs: GraphInput[] = [cut.editPoint.output, ...cut.crossingTensors].map((name) => {
    const probed = tensors.get(name);
    if (probed?.type !== 'float32') {
      throw new GraceError(
        'UNSUPPORTED_OP',
        `tensor '${name}' crosses the cut as ${probed?.type}; only float32 tensors can`,
        { tensor: name },
      );
    }
    return { name, dtype: 'float32', shape: probed.shape };
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
    loss === 'sigmoid-cross-entropy' ? 'Sigmoid' : loss === 'softmax-cross-entropy' ? 'Softmax' : undefined;
  const producer = nodes.find((node) => node.outputs[0] === predictionOutput);
  const lossOn =
    options.lossOn ??
    (producer !== undefined && producer.opType === finalActivation
      ? (producer.inputs[0] as string)
      : predictionOutput);
  const lossShape = shapeOf(lossOn);
  const target: GraphInput =
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
  return {
    graph: {
      name: `${cut.editPoint.name}:suffix`,
      inputs: [...graphInputs, target],
      initializers,
      nodes,
      outputs: [predictionOutput, lossOutputName],
    },
    activationInput: cut.editPoint.output,
    predictionOutput,
    targetInput: targetInputName,
    lossOutput: lossOutputName,
    loss,
  };
}
