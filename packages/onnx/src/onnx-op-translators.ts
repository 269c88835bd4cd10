import type { GraphNode, SymbolicShape } from '@grace/core';
import type { OnnxNodeContext, OnnxOpTranslator } from './onnx-node-context.js';
import { irAttributes, passThrough } from './pass-through-translator.js';
import { layerNormalizationTranslator } from './translate-layer-normalization.js';
import {
  negativeLogLikelihoodLossTranslator,
  softmaxCrossEntropyLossTranslator,
} from './translate-softmax-cross-entropy-loss.js';
import { splitTranslator } from './translate-split.js';

/**
 * A Reshape target for the probed output shape: a symbolic dimension becomes `0` (copy) where the input has the
 * same symbol at that position, else `-1` (inferred, allowed once); so the IR works at any batch size. A
 * dimension of size 0 (an empty tensor) is refused: in the IR's Reshape a 0 means "copy".
 */
function reshapeTarget(context: OnnxNodeContext, input: SymbolicShape, output: SymbolicShape): number[] {
  let inferred = false;
  return output.map((dimension, position) => {
    if (dimension === 0)
      throw context.refuse(`output shape [${output.join(', ')}] is empty; the IR has no empty tensors`);
    if (typeof dimension === 'number') return dimension;
    if (input[position] === dimension) return 0;
    if (inferred) {
      throw context.refuse(
        `output shape [${output.join(', ')}] has two run-time dimensions that are not copied`,
      );
    }
    inferred = true;
    return -1;
  });
}

/** Reshape, Flatten, Squeeze and Unsqueeze: a Reshape to the probed output shape. */
function reshaping(attributes: readonly string[]): OnnxOpTranslator {
  return {
    attributes,
    translate(context) {
      const input = context.inputs[0] as string;
      const output = context.outputs[0] as string;
      if (context.attributes.get('allowzero') === 1) {
        const target = context.staticInput(1);
        if (target === undefined || target.data.some((entry) => entry === 0))
          throw context.refuse(
            'allowzero = 1 with a 0 in shape makes an empty dimension, which the IR lacks',
          );
      }
      if (context.hasInput(1) && context.staticInput(1) === undefined)
        throw context.refuse(`input '${context.inputs[1]}' (shape or axes) must be a constant`);
      const shape = reshapeTarget(context, context.shapeOf(input), context.shapeOf(output));
      return [
        { name: context.name, opType: 'Reshape', inputs: [input], outputs: [output], attributes: { shape } },
      ];
    },
  };
}

const softmax: OnnxOpTranslator = {
  attributes: ['axis'],
  translate(context) {
    const rank = context.shapeOf(context.inputs[0] as string).length;
    const declared = context.attributes.get('axis');
    const axis = typeof declared === 'number' ? declared : context.opset < 13 ? 1 : -1;
    const normalized = axis < 0 ? axis + rank : axis;
    if (context.opset < 13 && normalized !== rank - 1) {
      // Before opset 13 Softmax normalised over all axes from `axis` on; only the last-axis case maps directly.
      throw context.refuse(
        `opset ${context.opset}: axis ${axis} of a rank-${rank} input normalises several axes`,
      );
    }
    return [
      {
        name: context.name,
        opType: context.opType,
        inputs: [context.inputs[0] as string],
        outputs: [context.outputs[0] as string],
        attributes: { axis: normalized },
      },
    ];
  },
};

const identity = (context: OnnxNodeContext): GraphNode[] => [
  {
    name: context.name,
    opType: 'Identity',
    inputs: [context.inputs[0] as string],
    outputs: [context.outputs[0] as string],
  },
];

/** ReduceSum / ReduceMean: a constant `axes` input becomes the attribute; a node that reduces nothing is Identity. */
const reduce: OnnxOpTranslator = {
  attributes: ['axes', 'keepdims', 'noop_with_empty_axes'],
  translate(context) {
    const attributes = irAttributes(context);
    if (context.hasInput(1)) {
      const axes = context.staticInput(1);
      if (axes === undefined) throw context.refuse(`axes input '${context.inputs[1]}' must be a constant`);
      attributes.axes = Array.from(axes.data as ArrayLike<number>, Number);
    }
    const emptyAxes = attributes.axes === undefined || (attributes.axes as number[]).length === 0;
    const rank = context.shapeOf(context.inputs[0] as string).length;
    if ((emptyAxes && attributes.noop_with_empty_axes === 1) || rank === 0) return identity(context);
    return [
      {
        name: context.name,
        opType: context.opType,
        inputs: [context.inputs[0] as string],
        outputs: [context.outputs[0] as string],
        attributes,
      },
    ];
  },
};

/**
 * Dropout at inference is the identity. Training mode (`training_mode = true`, or `is_test = 0` before opset 7)
 * draws a random mask, which the IR cannot honour: refused, except with a constant ratio 0, where it keeps every
 * element. The optional mask output is then known at import: every element kept (1, as int32), for a fixed shape.
 */
const dropout: OnnxOpTranslator = {
  attributes: ['ratio', 'seed', 'is_test'],
  translate(context) {
    const ratioInput = context.hasInput(1) ? context.staticInput(1) : undefined;
    const ratio = ratioInput?.data[0] ?? context.attributes.get('ratio') ?? 0.5;
    let training = context.opset < 7 && context.attributes.get('is_test') !== 1;
    if (context.hasInput(2)) {
      const mode = context.staticInput(2);
      if (mode === undefined)
        throw context.refuse(`training_mode input '${context.inputs[2]}' must be a constant`);
      training = mode.data[0] !== 0;
    }
    if (training && context.hasInput(1) && ratioInput === undefined)
      throw context.refuse('training mode with a ratio given at run time; the IR runs inference only');
    if (training && ratio !== 0)
      throw context.refuse(
        `training mode with ratio ${ratio} drops elements at random; the IR runs inference only`,
      );
    const mask = context.outputs[1] ?? '';
    if (mask !== '') {
      const shape = context.shapeOf(context.inputs[0] as string);
      if (!shape.every((size): size is number => typeof size === 'number'))
        throw context.refuse(`mask output '${mask}' of a run-time shape [${shape.join(', ')}]`);
      const count = shape.reduce((product, size) => product * size, 1);
      context.constantOutput(mask, { kind: 'integer', data: new Array<number>(count).fill(1), shape });
    }
    return identity(context);
  },
};

/** ONNX's element type FLOAT: the only type the IR computes in. */
const onnxFloat = 1;

/**
 * Cast to float32 of a float32 tensor is the identity (T5's layer norm casts its input to float32 whatever it
 * was). A cast to any other type would change values (rounding to float16, truncating to integers), which the IR,
 * computing in float32, cannot honour: refused. An integer input reaching it is refused by core's check that
 * Identity reads float32.
 */
const cast: OnnxOpTranslator = {
  attributes: ['to', 'saturate'],
  translate(context) {
    const to = context.attributes.get('to');
    if (to !== onnxFloat)
      throw context.refuse(`cast to ONNX element type ${String(to)}; the IR computes in float32 only`, {
        to,
      });
    return identity(context);
  },
};

/**
 * Every ONNX op the importer turns into the suffix IR, by ONNX op type. To support an op, add its translator
 * here (and, when the IR needs a new op, its definition and kernels in core and the backends); its ONNX node
 * tests then join the allow-list. Nodes whose outputs fold to constants (shape arithmetic) never get here.
 */
export const onnxOpTranslators: Readonly<Record<string, OnnxOpTranslator>> = {
  MatMul: passThrough,
  Gemm: passThrough,
  Add: passThrough,
  Sub: passThrough,
  Mul: passThrough,
  Div: passThrough,
  Pow: passThrough,
  Relu: passThrough,
  Gelu: passThrough,
  Tanh: passThrough,
  Sigmoid: passThrough,
  Sqrt: passThrough,
  Erf: passThrough,
  Identity: passThrough,
  Transpose: passThrough,
  Gather: passThrough,
  Where: passThrough,
  IsNaN: passThrough,
  LayerNormalization: layerNormalizationTranslator,
  Softmax: softmax,
  LogSoftmax: softmax,
  ReduceSum: reduce,
  ReduceMean: reduce,
  Reshape: reshaping(['allowzero', 'shape']),
  Flatten: reshaping(['axis']),
  Squeeze: reshaping(['axes']),
  Unsqueeze: reshaping(['axes']),
  Split: splitTranslator,
  Dropout: dropout,
  Cast: cast,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyLossTranslator,
  NegativeLogLikelihoodLoss: negativeLogLikelihoodLossTranslator,
};
