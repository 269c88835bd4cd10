import type { GraphNode } from '@grace/core';
import type { OnnxOpTranslator } from './onnx-node-context.js';

/**
 * Split as one Gather per output, each reading a constant range of indices along the axis: the IR's Gather has a
 * gradient on every backend, so values flow through a split (GPT-2's fused query/key/value projection) as through
 * any op. The sizes come from the `split` input (or attribute before opset 13), else from `num_outputs` (or the
 * number of outputs) over the axis's size, the last part the smallest, as ONNX defines it. The axis's size must be
 * fixed.
 */
export const splitTranslator: OnnxOpTranslator = {
  attributes: ['axis', 'num_outputs', 'split'],
  translate(context) {
    const input = context.inputs[0] as string;
    const shape = context.shapeOf(input);
    const declared = Number(context.attributes.get('axis') ?? 0);
    const axis = declared < 0 ? declared + shape.length : declared;
    const size = shape[axis];
    if (typeof size !== 'number')
      throw context.refuse(`axis ${declared} of [${shape.join(', ')}] has a run-time size`);
    let sizes: number[];
    if (context.hasInput(1)) {
      const given = context.staticInput(1);
      if (given === undefined) throw context.refuse(`split input '${context.inputs[1]}' must be a constant`);
      sizes = Array.from(given.data as ArrayLike<number>, Number);
    } else if (Array.isArray(context.attributes.get('split'))) {
      sizes = [...(context.attributes.get('split') as number[])];
    } else {
      const parts = Number(context.attributes.get('num_outputs') ?? context.outputs.length);
      const each = Math.ceil(size / parts);
      sizes = Array.from({ length: parts }, (_, part) => Math.max(0, Math.min(each, size - part * each)));
    }
    if (sizes.length !== context.outputs.length || sizes.reduce((total, part) => total + part, 0) !== size)
      throw context.refuse(`parts [${sizes.join(', ')}] do not split ${size} into ${context.outputs.length}`);
    if (sizes.some((part) => part === 0)) throw context.refuse('an empty part; the IR has no empty tensors');
    const nodes: GraphNode[] = [];
    let start = 0;
    context.outputs.forEach((output, part) => {
      const length = sizes[part] as number;
      if (output !== '') {
        const indices = context.constant(`indices-${part}`, {
          kind: 'integer',
          data: Array.from({ length }, (_, index) => start + index),
          shape: [length],
        });
        nodes.push({
          name: `${context.name}:${part}`,
          opType: 'Gather',
          inputs: [input, indices],
          outputs: [output],
          attributes: { axis },
        });
      }
      start += length;
    });
    return nodes;
  },
};
