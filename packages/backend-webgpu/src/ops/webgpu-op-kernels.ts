import type { SuffixKernels } from '@grace/core';
import type { WebGpuContext } from '../webgpu-context.js';
import { concatKernel } from './concat-op.js';
import { binaryKernel, unaryKernel } from './elementwise-ops.js';
import { gatherKernel } from './gather-ops.js';
import { gemmKernel, matMulKernel } from './linear-ops.js';
import { elementLossKernel, softmaxCrossEntropyKernel } from './loss-ops.js';
import { layerNormalizationKernel, softmaxKernel } from './normalization-ops.js';
import { reduceKernel, reshapeKernel, transposeKernel } from './shape-ops.js';
import { isNaNKernel, whereKernel } from './where-ops.js';

/**
 * Forward and VJP of every op of set v1 as WGSL programs on the backend's device. No kernel reads anything
 * back: attributes and shapes are known on the host, and everything data-dependent (loss counts, label
 * lookups) happens in the shaders, so a whole value-training step is queued without waiting for the GPU.
 */
export function createWebGpuOpKernels(context: WebGpuContext): SuffixKernels {
  return Object.freeze({
    MatMul: matMulKernel(context),
    Gemm: gemmKernel(context),
    Add: binaryKernel(context, 'Add'),
    Sub: binaryKernel(context, 'Sub'),
    Mul: binaryKernel(context, 'Mul'),
    Div: binaryKernel(context, 'Div'),
    Pow: binaryKernel(context, 'Pow'),
    Relu: unaryKernel(context, 'Relu'),
    Gelu: unaryKernel(context, 'Gelu'),
    Tanh: unaryKernel(context, 'Tanh'),
    Sigmoid: unaryKernel(context, 'Sigmoid'),
    Sqrt: unaryKernel(context, 'Sqrt'),
    Erf: unaryKernel(context, 'Erf'),
    Identity: unaryKernel(context, 'Identity'),
    Softmax: softmaxKernel(context, 'Softmax'),
    LogSoftmax: softmaxKernel(context, 'LogSoftmax'),
    LayerNormalization: layerNormalizationKernel(context),
    ReduceMean: reduceKernel(context, 'ReduceMean'),
    ReduceSum: reduceKernel(context, 'ReduceSum'),
    Reshape: reshapeKernel(context),
    Transpose: transposeKernel(context),
    Gather: gatherKernel(context),
    Concat: concatKernel(context),
    Where: whereKernel(context),
    IsNaN: isNaNKernel(context),
    SoftmaxCrossEntropyLoss: softmaxCrossEntropyKernel(context),
    SigmoidCrossEntropyLoss: elementLossKernel(context, 'SigmoidCrossEntropyLoss'),
    MeanSquaredErrorLoss: elementLossKernel(context, 'MeanSquaredErrorLoss'),
  });
}
