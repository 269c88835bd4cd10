import { type OpKernel, type Shape, type SuffixOpAttributes, shapeSize, stridesOf } from '@grace/core';
import type { WebGpuContext } from '../webgpu-context.js';
import { WebGpuTensor } from '../webgpu-tensor.js';
import { broadcastTo, stridedRead, sumToShape } from './op-programs.js';

/** A raw-bits copy into a new tensor of `shape` (same element order). */
function copyAs(context: WebGpuContext, source: WebGpuTensor, shape: Shape): WebGpuTensor<'float32'> {
  return stridedRead(context, source.buffer, shape, stridesOf(shape));
}

/** Reshape: a copy with core's resolved shape (kernels return new tensors; handles never alias). */
export function reshapeKernel(context: WebGpuContext): OpKernel<SuffixOpAttributes['Reshape']> {
  return {
    forward(inputs, _attributes, outputShape) {
      return copyAs(context, context.read(inputs[0] as WebGpuTensor, 'Reshape input'), outputShape);
    },
    gradient({ inputs, outputGradient, needed }) {
      const input = inputs[0] as WebGpuTensor;
      return inputs.map((_, position) =>
        position === 0 && needed[0]
          ? copyAs(context, context.read(outputGradient, 'Reshape output gradient'), input.shape)
          : undefined,
      );
    },
  };
}

/** The strides that read `shape` permuted by `perm` (output axis `i` walks input axis `perm[i]`). */
function permutedStrides(shape: Shape, perm: readonly number[]): number[] {
  const strides = stridesOf(shape);
  return perm.map((axis) => strides[axis] as number);
}

/** Transpose; its gradient is the inverse permutation of the output gradient. */
export function transposeKernel(context: WebGpuContext): OpKernel<SuffixOpAttributes['Transpose']> {
  return {
    forward(inputs, attributes, outputShape) {
      const source = context.read(inputs[0] as WebGpuTensor, 'Transpose input');
      return stridedRead(context, source.buffer, outputShape, permutedStrides(source.shape, attributes.perm));
    },
    gradient({ inputs, outputGradient, attributes, needed }) {
      if (!needed[0]) return [undefined];
      const gradient = context.read(outputGradient, 'Transpose output gradient');
      const inverse = new Array<number>(attributes.perm.length);
      attributes.perm.forEach((axis, position) => {
        inverse[axis] = position;
      });
      const input = inputs[0] as WebGpuTensor;
      return [stridedRead(context, gradient.buffer, input.shape, permutedStrides(gradient.shape, inverse))];
    },
  };
}

/** ReduceSum / ReduceMean over sorted axes; keepDims changes only the shape, never the element order. */
export function reduceKernel<Type extends 'ReduceSum' | 'ReduceMean'>(
  context: WebGpuContext,
  type: Type,
): OpKernel<SuffixOpAttributes[Type]> {
  const kept = (shape: Shape, axes: readonly number[]) =>
    shape.map((dimension, axis) => (axes.includes(axis) ? 1 : dimension));
  const scaleOf = (shape: Shape, axes: readonly number[]) =>
    type === 'ReduceMean' ? 1 / shapeSize(axes.map((axis) => shape[axis] as number)) : 1;
  return {
    forward(inputs, attributes, outputShape) {
      const source = context.read(inputs[0] as WebGpuTensor, `${type} input`);
      const keptShape = kept(source.shape, attributes.axes);
      const summed = sumToShape(
        context,
        source.buffer,
        source.shape,
        keptShape,
        scaleOf(source.shape, attributes.axes),
      );
      if (keptShape.length === outputShape.length) return summed;
      // Same elements, shape without the reduced axes: re-wrap rather than copy.
      const buffer = summed.release() as GPUBuffer;
      return new WebGpuTensor(context.owner, 'float32', buffer, outputShape);
    },
    gradient({ inputs, outputGradient, attributes, needed }) {
      if (!needed[0]) return [undefined];
      const source = inputs[0] as WebGpuTensor;
      const gradient = context.read(outputGradient, `${type} output gradient`);
      const keptShape = kept(source.shape, attributes.axes);
      return [
        broadcastTo(
          context,
          gradient.buffer,
          keptShape,
          source.shape,
          scaleOf(source.shape, attributes.axes),
        ),
      ];
    },
  };
}
