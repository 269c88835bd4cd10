import {
  broadcastShapes,
  broadcastStrides,
  type OpKernel,
  type Shape,
  type SuffixOpAttributes,
  shapeSize,
  shapesEqual,
} from '@grace/core';
import { input } from '../gpu-program.js';
import type { WebGpuContext } from '../webgpu-context.js';
import type { WebGpuTensor } from '../webgpu-tensor.js';
import { mapProgram, runMap, sumToShape } from './op-programs.js';

/** params after the count: [rank, shape[rank], conditionStrides[rank], trueStrides[rank], falseStrides[rank]]. */
function whereParams(shapes: readonly Shape[], shape: Shape): number[] {
  return [shape.length, ...shape, ...shapes.flatMap((operand) => broadcastStrides(operand, shape))];
}

const operandReads = `
  let rank = params[1];
  let holds = condition[stridedOffset(index, rank, 2u, 2u + rank)] != 0.0;
  let whenTrue = left[stridedOffset(index, rank, 2u, 2u + 2u * rank)];
  let whenFalse = right[stridedOffset(index, rank, 2u, 2u + 3u * rank)];`;

const forwardProgram = mapProgram({
  shaderKey: 'op/Where/forward',
  inputs: ['condition', 'left', 'right'],
  body: `${operandReads}\n  result[index] = select(whenFalse, whenTrue, holds);`,
});

/** Per output element, the gradient of X (`left`) or Y (`right`) before summing back over broadcast axes. */
const gradientPrograms = [1, 2].map((position) =>
  mapProgram({
    shaderKey: `op/Where/gradient${position}`,
    inputs: ['condition', 'left', 'right', 'outputGradient'],
    body: `${operandReads}\n  let g = outputGradient[index];\n  result[index] = select(0.0, g, ${position === 1 ? 'holds' : '!holds'});`,
  }),
);

/** Zeros shaped like an input: the gradient of a selector (Where's condition, IsNaN's input). */
const zerosProgram = mapProgram({ shaderKey: 'op/zeros', inputs: [], body: '  result[index] = 0.0;' });

function zerosLike(context: WebGpuContext, shape: Shape): WebGpuTensor<'float32'> {
  const result = context.allocate('float32', shape);
  runMap(context, zerosProgram, [result.buffer], result.size);
  return result;
}

/** Where: `condition ? X : Y` (a float condition, true where non-zero), the three broadcast. */
export function whereKernel(context: WebGpuContext): OpKernel<SuffixOpAttributes['Where']> {
  const readAll = (inputs: readonly unknown[]) =>
    [0, 1, 2].map((index) => context.read(inputs[index] as WebGpuTensor<'float32'>, `Where input ${index}`));
  return {
    forward(inputs, _attributes, outputShape) {
      const operands = readAll(inputs);
      const result = context.allocate('float32', outputShape);
      runMap(
        context,
        forwardProgram,
        [...operands.map((operand) => operand.buffer), result.buffer],
        result.size,
        (params) =>
          params.u32(
            ...whereParams(
              operands.map((operand) => operand.shape),
              outputShape,
            ),
          ),
      );
      return result;
    },
    gradient({ inputs, outputGradient, needed }) {
      const operands = readAll(inputs);
      const gradient = context.read(outputGradient, 'Where output gradient');
      const shape = broadcastShapes(...operands.map((operand) => operand.shape));
      return operands.map((operand, position) => {
        if (!needed[position]) return undefined;
        if (position === 0) return zerosLike(context, operand.shape);
        const full = context.allocate('float32', shape);
        runMap(
          context,
          gradientPrograms[position - 1] as (typeof gradientPrograms)[number],
          [...operands.map((entry) => entry.buffer), gradient.buffer, full.buffer],
          shapeSize(shape),
          (params) =>
            params.u32(
              ...whereParams(
                operands.map((entry) => entry.shape),
                shape,
              ),
            ),
        );
        if (shapesEqual(operand.shape, shape)) return full;
        const summed = sumToShape(context, full.buffer, shape, operand.shape);
        context.recycle(full.release() as GPUBuffer);
        return summed;
      });
    },
  };
}

/**
 * IsNaN as a float 0/1 mask, from the bits (exponent all ones, mantissa non-zero): a comparison `x != x` may be
 * folded away by a shader compiler that assumes no NaN. Zero gradient.
 */
const isNaNProgram = mapProgram({
  shaderKey: 'op/IsNaN/forward',
  inputs: [input('source', 'u32')],
  body: '  result[index] = select(0.0, 1.0, (source[index] & 0x7fffffffu) > 0x7f800000u);',
});

/** IsNaN: the mask forward; its gradient is zero. */
export function isNaNKernel(context: WebGpuContext): OpKernel<SuffixOpAttributes['IsNaN']> {
  return {
    forward(inputs, _attributes, outputShape) {
      const source = context.read(inputs[0] as WebGpuTensor<'float32'>, 'IsNaN input');
      const result = context.allocate('float32', outputShape);
      runMap(context, isNaNProgram, [source.buffer, result.buffer], result.size);
      return result;
    },
    gradient({ inputs, needed }) {
      if (!needed[0]) return [undefined];
      return [zerosLike(context, (inputs[0] as WebGpuTensor<'float32'>).shape)];
    },
  };
}
