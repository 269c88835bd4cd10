import type { OpDefinition } from '../op-definition.js';
import { NodeReader } from './node-reader.js';

/**
 * ReduceMean and ReduceSum with `axes` as an attribute (the opset <= 17 form of ReduceMean; importers turn
 * opset 18's constant `axes` input into this attribute). Axes may be negative and come out sorted, unique and
 * non-negative; absent or empty axes mean every axis, as in ONNX with `noop_with_empty_axes = 0`.
 */
function reduceDefinition<Op extends 'ReduceMean' | 'ReduceSum'>(type: Op): OpDefinition<Op> {
  return {
    type,
    minimumInputs: 1,
    maximumInputs: 1,
    integerInputs: [],
    resolve(context) {
      const reader = new NodeReader(context, type);
      reader.allowAttributes(['axes', 'keepdims', 'noop_with_empty_axes']);
      const input = reader.shape(0, 'data');
      const keepDims = reader.flag('keepdims', true);
      const noopWithEmptyAxes = reader.flag('noop_with_empty_axes', false);
      const listed = reader.integers('axes') ?? [];
      if (listed.length === 0 && noopWithEmptyAxes) {
        throw reader.error(
          'UNSUPPORTED_OP',
          'empty axes with noop_with_empty_axes = 1 make the node an identity; the importer should drop it',
        );
      }
      if (input.length === 0) {
        throw reader.error(
          'UNSUPPORTED_OP',
          'reducing a scalar leaves it unchanged; the importer should drop the node',
        );
      }
      const axes =
        listed.length === 0
          ? input.map((_, axis) => axis)
          : listed.map((axis) => reader.axis('axes', axis, input.length)).sort((left, right) => left - right);
      if (axes.some((axis, position) => position > 0 && axes[position - 1] === axis)) {
        throw reader.error('INVALID_ARGUMENT', `axes [${listed.join(',')}] name an axis twice`, {
          attribute: 'axes',
          value: listed,
        });
      }
      const outputShape = keepDims
        ? input.map((dimension, axis) => (axes.includes(axis) ? 1 : dimension))
        : input.filter((_, axis) => !axes.includes(axis));
      return { attributes: { axes, keepDims } as { axes: number[]; keepDims: boolean }, outputShape };
    },
  };
}

/** ONNX ReduceMean: mean pooling over tokens, hand-written normalisations. */
export const reduceMeanDefinition = reduceDefinition('ReduceMean');
/** ONNX ReduceSum: pooling and hand-written softmax denominators. */
export const reduceSumDefinition = reduceDefinition('ReduceSum');
