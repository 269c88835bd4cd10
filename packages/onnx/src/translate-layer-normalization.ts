import type { GraphNode } from '@grace/core';
import type { OnnxNodeContext, OnnxOpTranslator } from './onnx-node-context.js';

/**
 * LayerNormalization: output Y is core's LayerNormalization. The optional Mean and InvStdDev outputs (the
 * statistics over axes `axis ..`, kept as size-1 dimensions) are what ONNX's own function body computes,
 * written with IR ops: `Mean = ReduceMean(X)`, `InvStdDev = 1 / Sqrt(ReduceMean((X − Mean)²) + epsilon)`, so a
 * graph that reads them gets them rather than losing them.
 */
export const layerNormalizationTranslator: OnnxOpTranslator = {
  attributes: ['axis', 'epsilon', 'stash_type'],
  translate(context: OnnxNodeContext): GraphNode[] {
    const { name, inputs, outputs } = context;
    const input = inputs[0] as string;
    const attributes: Record<string, number> = {};
    for (const key of ['axis', 'epsilon', 'stash_type']) {
      const value = context.attributes.get(key);
      if (typeof value === 'number') attributes[key] = value;
    }
    const nodes: GraphNode[] = [];
    if ((outputs[0] ?? '') !== '')
      nodes.push({
        name,
        opType: 'LayerNormalization',
        inputs: [...inputs],
        outputs: [outputs[0] as string],
        attributes,
      });
    const meanOutput = outputs[1] ?? '';
    const inverseOutput = outputs[2] ?? '';
    if (meanOutput === '' && inverseOutput === '') return nodes;

    const rank = context.shapeOf(input).length;
    const axis = attributes.axis ?? -1;
    const first = axis < 0 ? axis + rank : axis;
    const axes = Array.from({ length: rank - first }, (_, offset) => first + offset);
    const part = (role: string): string =>
      role === 'mean' && meanOutput !== '' ? meanOutput : `${name}:${role}`;
    const step = (
      role: string,
      opType: string,
      stepInputs: string[],
      stepAttributes?: Record<string, number | number[]>,
    ) =>
      nodes.push({
        name: `${name}:${role}`,
        opType,
        inputs: stepInputs,
        outputs: [role === 'inverse' && inverseOutput !== '' ? inverseOutput : part(role)],
        ...(stepAttributes === undefined ? {} : { attributes: stepAttributes }),
      });
    step('mean', 'ReduceMean', [input], { axes, keepdims: 1 });
    if (inverseOutput === '') return nodes;
    step('centred', 'Sub', [input, part('mean')]);
    step('squared', 'Mul', [part('centred'), part('centred')]);
    step('variance', 'ReduceMean', [part('squared')], { axes, keepdims: 1 });
    const epsilon = context.constant('epsilon', {
      kind: 'float',
      data: Float32Array.of(attributes.epsilon ?? 1e-5),
      shape: [],
    });
    step('shifted', 'Add', [part('variance'), epsilon]);
    step('deviation', 'Sqrt', [part('shifted')]);
    const one = context.constant('one', { kind: 'float', data: Float32Array.of(1), shape: [] });
    step('inverse', 'Div', [one, part('deviation')]);
    return nodes;
  },
};
