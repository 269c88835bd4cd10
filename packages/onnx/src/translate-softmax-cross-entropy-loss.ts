import type { GraphNode } from '@grace/core';
import type { OnnxNodeContext, OnnxOpTranslator } from './onnx-node-context.js';
import { checkedByCore, passThrough } from './pass-through-translator.js';

/** `reduction` of both losses; ONNX's default is `mean`. */
function reduction(context: OnnxNodeContext): string {
  const value = context.attributes.get('reduction') ?? 'mean';
  if (value !== 'mean' && value !== 'sum' && value !== 'none')
    throw context.refuse(`reduction '${String(value)}' is not one of 'mean', 'sum', 'none'`);
  return value;
}

/**
 * The loss over log-probabilities `[N, C, D1, ...]` with constant labels, written with IR ops exactly as ONNX
 * defines NegativeLogLikelihoodLoss, in the input's own layout: the labels become a constant one-hot mask `M`
 * over the class axis (all zero where the label is `ignore_index`); each position's loss is `−Σ_c M·logp`, its
 * weight `Σ_c M·weight` (or `Σ_c M`, without weights); `none` gives the weighted losses `[N, D1, ...]`, `sum`
 * adds them, `mean` divides that by the sum of the weights.
 */
function labelledLoss(
  context: OnnxNodeContext,
  logProbabilities: GraphNode[],
  logInput: string,
): GraphNode[] {
  const { name } = context;
  const labels = context.staticInput(1);
  const shape = context.shapeOf(context.inputs[0] as string);
  const sizes = shape.filter((size): size is number => typeof size === 'number');
  if (labels?.kind !== 'integer' || sizes.length !== shape.length)
    throw context.refuse('labels given at run time, or a run-time shape, with weights or reduction none');
  const classes = sizes[1] as number;
  const inner = sizes.slice(2).reduce((product, size) => product * size, 1);
  const ignoreIndex = context.attributes.get('ignore_index');
  const oneHot = new Float32Array(labels.data.length * classes);
  const counts = new Float32Array(labels.data.length);
  labels.data.forEach((label, position) => {
    if (label === ignoreIndex) return;
    if (typeof label !== 'number' || label < 0 || label >= classes)
      throw context.refuse(`label ${String(label)} is outside [0, ${classes})`);
    // Position p = n·inner + i of the labels is element [n, label, i] of the scores.
    const sample = Math.floor(position / inner);
    oneHot[(sample * classes + label) * inner + (position % inner)] = 1;
    counts[position] = 1;
  });
  const nodes: GraphNode[] = [...logProbabilities];
  const step = (role: string, opType: string, inputs: string[], attributes?: GraphNode['attributes']) => {
    const output = `${name}:${role}`;
    nodes.push({ name: output, opType, inputs, outputs: [output], ...(attributes ? { attributes } : {}) });
    return output;
  };
  const classSum = { axes: [1], keepdims: 0 };
  const mask = context.constant('one-hot', { kind: 'float', data: oneHot, shape: sizes });
  const negativeOne = context.constant('minus-one', { kind: 'float', data: Float32Array.of(-1), shape: [] });
  const picked = step('picked', 'ReduceSum', [step('masked', 'Mul', [logInput, mask])], classSum);
  const losses = step('losses', 'Mul', [picked, negativeOne]);
  let weighted = losses;
  let weights = context.constant('counts', { kind: 'float', data: counts, shape: [...labels.shape] });
  if (context.hasInput(2)) {
    const classAxis = sizes.map((size, axis) => (axis === 1 ? size : 1));
    const column = step('class-weights', 'Reshape', [context.inputs[2] as string], { shape: classAxis });
    weights = step('weights', 'ReduceSum', [step('masked-weights', 'Mul', [mask, column])], classSum);
    weighted = step('weighted', 'Mul', [losses, weights]);
  }
  const output = context.outputs[0] as string;
  const all = { keepdims: 0 };
  const finish = (opType: string, inputs: string[], attributes?: GraphNode['attributes']) =>
    nodes.push({ name, opType, inputs, outputs: [output], ...(attributes ? { attributes } : {}) });
  const mode = reduction(context);
  if (mode === 'none') finish('Identity', [weighted]);
  else if (mode === 'sum') finish('ReduceSum', [weighted], all);
  else
    finish('Div', [
      step('total', 'ReduceSum', [weighted], all),
      step('weight-total', 'ReduceSum', [weights], all),
    ]);
  return nodes;
}

/**
 * SoftmaxCrossEntropyLoss: core's op when it is enough (`[N, C]` scores, no weights, `mean` or `sum`), else, with
 * constant labels, LogSoftmax over the classes and {@link labelledLoss}. The optional log-probability output is
 * that LogSoftmax, which is how ONNX defines it.
 */
export const softmaxCrossEntropyLossTranslator: OnnxOpTranslator = {
  attributes: checkedByCore,
  translate(context) {
    const scores = context.inputs[0] as string;
    const logProbability = context.outputs[1] || `${context.name}:log_prob`;
    const logSoftmax: GraphNode = {
      name: `${context.name}:log_prob`,
      opType: 'LogSoftmax',
      inputs: [scores],
      outputs: [logProbability],
      attributes: { axis: 1 },
    };
    const simple =
      context.shapeOf(scores).length === 2 && !context.hasInput(2) && reduction(context) !== 'none';
    if (simple || context.staticInput(1) === undefined) {
      const [loss] = passThrough.translate(context) as [GraphNode];
      return context.outputs[1] ? [loss, logSoftmax] : [loss];
    }
    return labelledLoss(context, [logSoftmax], logProbability);
  },
};

/** NegativeLogLikelihoodLoss on log-probabilities, with constant labels: {@link labelledLoss}. */
export const negativeLogLikelihoodLossTranslator: OnnxOpTranslator = {
  attributes: ['reduction', 'ignore_index'],
  translate: (context) => labelledLoss(context, [], context.inputs[0] as string),
};
