import type { GraphNode } from '@grace/core';
import type { OnnxOpTranslator } from './onnx-node-context.js';
import { checkedByCore, passThrough } from './pass-through-translator.js';

/**
 * SoftmaxCrossEntropyLoss. Scores `[N, C, D1, ...]` with constant labels `[N, D1, ...]` become core's `[N, C]`
 * form exactly: the class axis moved last, every position a row (`[N·D, C]`), the labels flattened alike; the
 * sum and the mean over non-ignored positions are unchanged. The optional log-probability output is the IR's
 * LogSoftmax over the class axis, which is how ONNX defines it.
 */
export const softmaxCrossEntropyLossTranslator: OnnxOpTranslator = {
  attributes: checkedByCore,
  translate(context) {
    const [loss] = passThrough.translate(context) as [GraphNode];
    const nodes: GraphNode[] = [loss];
    const scores = context.inputs[0] as string;
    const shape = context.shapeOf(scores);
    const labels = context.staticInput(1);
    const sizes = shape.filter((size): size is number => typeof size === 'number');
    if (shape.length > 2 && labels?.kind === 'integer' && sizes.length === shape.length) {
      const classes = sizes[1] as number;
      const rows = labels.data.length;
      const perm = [0, ...sizes.slice(2).map((_, offset) => offset + 2), 1];
      nodes.unshift(
        {
          name: `${context.name}:classes-last`,
          opType: 'Transpose',
          inputs: [scores],
          outputs: [`${context.name}:classes-last`],
          attributes: { perm },
        },
        {
          name: `${context.name}:rows`,
          opType: 'Reshape',
          inputs: [`${context.name}:classes-last`],
          outputs: [`${context.name}:rows`],
          attributes: { shape: [rows, classes] },
        },
      );
      const flatLabels = context.constant('labels', { ...labels, shape: [rows] });
      nodes[nodes.length - 1] = {
        ...loss,
        inputs: [`${context.name}:rows`, flatLabels, ...loss.inputs.slice(2)],
      };
    }
    const logProbability = context.outputs[1] ?? '';
    if (logProbability !== '')
      nodes.push({
        name: `${context.name}:log_prob`,
        opType: 'LogSoftmax',
        inputs: [scores],
        outputs: [logProbability],
        attributes: { axis: 1 },
      });
    return nodes;
  },
};
