import {
  formatShape,
  GraceError,
  type OpKernel,
  type Shape,
  type SuffixKernels,
  type SuffixOpType,
  shapesEqual,
  type Tensor,
} from '@grace/core';
import { hostOps } from './host-ops.js';
import type { HostOp, HostTensor } from './host-tensor.js';

/**
 * How a backend that keeps tensors in host memory exposes them to the reference op implementations: the
 * only two things they need, so that any such backend (this one, a custom one) gets every op of set v1
 * without writing a kernel.
 */
export interface HostTensorAdapter {
  /**
   * The live array and shape behind one of the backend's own handles, which the kernels only read. It should
   * refuse a foreign or disposed handle, as the backend's other kernels do; `name` says which input it was.
   */
  read(tensor: Tensor, name: string): HostTensor;
  /** Wraps a new array, which the backend takes ownership of, as one of its handles. */
  make(data: Float32Array, shape: Shape): Tensor<'float32'>;
}

function hostKernel<Attributes>(
  type: SuffixOpType,
  op: HostOp<Attributes>,
  adapter: HostTensorAdapter,
): OpKernel<Attributes> {
  const readAll = (tensors: readonly (Tensor | undefined)[]): (HostTensor | undefined)[] =>
    tensors.map((tensor, index) =>
      tensor === undefined ? undefined : adapter.read(tensor, `${type} input ${index}`),
    );
  return {
    forward(inputs, attributes, outputShape) {
      const result = op.forward(readAll(inputs), attributes, outputShape);
      // Core's shape inference and the kernel must agree; a disagreement is a bug in one of them, and
      // reporting it here beats a wrongly shaped tensor surfacing several ops later.
      if (!shapesEqual(result.shape, outputShape)) {
        throw new GraceError(
          'SHAPE_MISMATCH',
          `${type} computed ${formatShape(result.shape)} where core inferred ${formatShape(outputShape)}`,
          { op: type, computed: result.shape, inferred: outputShape },
        );
      }
      return adapter.make(result.data, outputShape);
    },
    gradient(args) {
      const gradients = op.gradient({
        inputs: readAll(args.inputs),
        output: adapter.read(args.output, `${type} output`) as HostTensor<Float32Array>,
        outputGradient: adapter.read(
          args.outputGradient,
          `${type} output gradient`,
        ) as HostTensor<Float32Array>,
        attributes: args.attributes,
        // An absent optional input has nothing to differentiate, whatever its flag says.
        needed: args.needed.map((flag, index) => flag && args.inputs[index] !== undefined),
      });
      return gradients.map((gradient, index) => {
        const input = args.inputs[index];
        if (gradient === undefined || input === undefined) return undefined;
        return adapter.make(gradient.data, input.shape);
      });
    },
  };
}

/**
 * The suffix kernels of a host-memory backend, made from the reference implementations of
 * `@grace/backend-cpu`: `ops: createHostOpKernels({ read, make })`. A custom backend can start from these and
 * replace the ops it accelerates one at a time, keeping the rest.
 */
export function createHostOpKernels(adapter: HostTensorAdapter): SuffixKernels {
  return Object.freeze({
    MatMul: hostKernel('MatMul', hostOps.MatMul, adapter),
    Gemm: hostKernel('Gemm', hostOps.Gemm, adapter),
    Add: hostKernel('Add', hostOps.Add, adapter),
    Sub: hostKernel('Sub', hostOps.Sub, adapter),
    Mul: hostKernel('Mul', hostOps.Mul, adapter),
    Div: hostKernel('Div', hostOps.Div, adapter),
    Pow: hostKernel('Pow', hostOps.Pow, adapter),
    Relu: hostKernel('Relu', hostOps.Relu, adapter),
    Gelu: hostKernel('Gelu', hostOps.Gelu, adapter),
    Tanh: hostKernel('Tanh', hostOps.Tanh, adapter),
    Sigmoid: hostKernel('Sigmoid', hostOps.Sigmoid, adapter),
    Sqrt: hostKernel('Sqrt', hostOps.Sqrt, adapter),
    Erf: hostKernel('Erf', hostOps.Erf, adapter),
    Identity: hostKernel('Identity', hostOps.Identity, adapter),
    Softmax: hostKernel('Softmax', hostOps.Softmax, adapter),
    LogSoftmax: hostKernel('LogSoftmax', hostOps.LogSoftmax, adapter),
    LayerNormalization: hostKernel('LayerNormalization', hostOps.LayerNormalization, adapter),
    ReduceMean: hostKernel('ReduceMean', hostOps.ReduceMean, adapter),
    ReduceSum: hostKernel('ReduceSum', hostOps.ReduceSum, adapter),
    Reshape: hostKernel('Reshape', hostOps.Reshape, adapter),
    Transpose: hostKernel('Transpose', hostOps.Transpose, adapter),
    Gather: hostKernel('Gather', hostOps.Gather, adapter),
    Concat: hostKernel('Concat', hostOps.Concat, adapter),
    Where: hostKernel('Where', hostOps.Where, adapter),
    IsNaN: hostKernel('IsNaN', hostOps.IsNaN, adapter),
    SoftmaxCrossEntropyLoss: hostKernel('SoftmaxCrossEntropyLoss', hostOps.SoftmaxCrossEntropyLoss, adapter),
    SigmoidCrossEntropyLoss: hostKernel('SigmoidCrossEntropyLoss', hostOps.SigmoidCrossEntropyLoss, adapter),
    MeanSquaredErrorLoss: hostKernel('MeanSquaredErrorLoss', hostOps.MeanSquaredErrorLoss, adapter),
  });
}
