import type { AttributeValue } from '@grace/core';
import type { OnnxNodeContext, OnnxOpTranslator } from './onnx-node-context.js';

/** The attribute names core's op definition of the same op reads (it refuses the others, naming the node). */
export const checkedByCore: readonly string[] = ['*'];

/**
 * The node's attributes as IR attributes. A tensor- or graph-valued attribute has no IR form, so it is refused
 * rather than dropped.
 */
export function irAttributes(context: OnnxNodeContext): Record<string, AttributeValue> {
  const result: Record<string, AttributeValue> = {};
  for (const [name, value] of context.attributes) {
    if (typeof value === 'object' && !Array.isArray(value))
      throw context.refuse(`attribute '${name}' holds a tensor, which the IR cannot take`, {
        attribute: name,
      });
    result[name] = value as AttributeValue;
  }
  return result;
}

/** The op as it is: core's definition of the same name validates its attributes and shapes. */
export const passThrough: OnnxOpTranslator = {
  attributes: checkedByCore,
  translate: (context) => [
    {
      name: context.name,
      opType: context.opType,
      inputs: [...context.inputs],
      outputs: [context.outputs[0] as string],
      attributes: irAttributes(context),
    },
  ],
};
