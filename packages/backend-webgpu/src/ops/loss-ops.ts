import {
  type LossReduction,
  type OpKernel,
  type SuffixOpAttributes,
  shapeSize,
  validateClassLabels,
} from '@grace/core';
import { input } from '../gpu-program.js';
import type { WebGpuContext } from '../webgpu-context.js';
import type { WebGpuTensor } from '../webgpu-tensor.js';
import { mapProgram, runMap, sumToShape } from './op-programs.js';

/** 1 for `sum`, `1/count` for `mean`, 0 for a mean over nothing (ONNX's rule, no NaN in training). */
function reductionFactor(reduction: LossReduction, count: number): number {
  if (reduction === 'sum') return 1;
  return count === 0 ? 0 : 1 / count;
}

/**
 * params: [rows, classes, hasIgnore, ignoreIndex, mean]: one thread per row; rows whose label is ignored
 * contribute nothing. Writes `[loss, counted]` per row; a device-made label outside `[0, C)` gives NaN.
 */
const crossEntropyRowProgram = mapProgram({
  shaderKey: 'op/SoftmaxCrossEntropyLoss/rows',
  inputs: ['scores', input('labels', 'i32')],
  body: `
  let classes = params[1];
  let label = labels[index];
  result[2u * index] = 0.0;
  result[2u * index + 1u] = 0.0;
  if (params[2] == 1u && label == bitcast<i32>(params[3])) { return; }
  if (label < 0 || u32(label) >= classes) { result[2u * index] = floatFromBits(0x7fc00000u); return; }
  let base = index * classes;
  var maximum = scores[base];
  for (var column = 1u; column < classes; column++) { maximum = max(maximum, scores[base + column]); }
  var sum = 0.0;
  for (var column = 0u; column < classes; column++) { sum = sum + exp(scores[base + column] - maximum); }
  result[2u * index] = -(scores[base + u32(label)] - maximum - log(sum));
  result[2u * index + 1u] = 1.0;`,
});

/** params: [1, rows, mean]: sums the row losses and counts into the scalar loss (mean over counted rows). */
const crossEntropyTotalProgram = mapProgram({
  shaderKey: 'op/SoftmaxCrossEntropyLoss/total',
  inputs: ['rowLosses'],
  body: `
  var sum = 0.0;
  var count = 0.0;
  for (var row = 0u; row < params[1]; row++) { sum = sum + rowLosses[2u * row]; count = count + rowLosses[2u * row + 1u]; }
  if (params[2] == 1u) { if (count == 0.0) { sum = 0.0; } else { sum = sum / count; } }
  result[0] = sum;`,
});

/** params: [rows, classes, hasIgnore, ignoreIndex, mean]: `(softmax - onehot) · dy · factor` per counted row. */
const crossEntropyGradientProgram = mapProgram({
  shaderKey: 'op/SoftmaxCrossEntropyLoss/gradient',
  inputs: ['scores', input('labels', 'i32'), 'outputGradient', 'rowLosses'],
  body: `
  let classes = params[1];
  let rows = params[0];
  var count = 0.0;
  for (var row = 0u; row < rows; row++) { count = count + rowLosses[2u * row + 1u]; }
  var factor = outputGradient[0];
  if (params[4] == 1u) { if (count == 0.0) { factor = 0.0; } else { factor = factor / count; } }
  let label = labels[index];
  let base = index * classes;
  let counted = rowLosses[2u * index + 1u] == 1.0;
  var maximum = scores[base];
  for (var column = 1u; column < classes; column++) { maximum = max(maximum, scores[base + column]); }
  var sum = 0.0;
  for (var column = 0u; column < classes; column++) { sum = sum + exp(scores[base + column] - maximum); }
  for (var column = 0u; column < classes; column++) {
    var value = 0.0;
    if (counted) { value = (exp(scores[base + column] - maximum) / sum - select(0.0, 1.0, i32(column) == label)) * factor; }
    result[base + column] = value;
  }`,
});

/** ONNX SoftmaxCrossEntropyLoss on `[N, C]` scores and int32 labels `[N]`. */
export function softmaxCrossEntropyKernel(
  context: WebGpuContext,
): OpKernel<SuffixOpAttributes['SoftmaxCrossEntropyLoss']> {
  const rowLosses = (
    inputs: readonly unknown[],
    attributes: SuffixOpAttributes['SoftmaxCrossEntropyLoss'],
  ) => {
    const scores = context.read(inputs[0] as WebGpuTensor<'float32'>, 'SoftmaxCrossEntropyLoss scores');
    const labels = context.read(inputs[1] as WebGpuTensor<'int32'>, 'SoftmaxCrossEntropyLoss labels');
    const [rows, classes] = scores.shape as [number, number];
    // Labels uploaded from the host are checked here, before any work is queued, as the CPU backend does.
    if (labels.hostIntegers !== undefined)
      validateClassLabels(labels.hostIntegers, classes, attributes.ignoreIndex);
    const flags = [
      attributes.ignoreIndex === null ? 0 : 1,
      attributes.ignoreIndex ?? 0,
      attributes.reduction === 'mean' ? 1 : 0,
    ];
    const losses = context.allocate('float32', [rows, 2]);
    runMap(context, crossEntropyRowProgram, [scores.buffer, labels.buffer, losses.buffer], rows, (params) =>
      params.u32(classes, ...flags),
    );
    return { scores, labels, rows, classes, flags, losses };
  };
  return {
    forward(inputs, attributes) {
      const { rows, flags, losses } = rowLosses(inputs, attributes);
      const result = context.allocate('float32', []);
      runMap(context, crossEntropyTotalProgram, [losses.buffer, result.buffer], 1, (params) =>
        params.u32(rows, flags[2] as number),
      );
      context.recycle(losses.release() as GPUBuffer);
      return result;
    },
    gradient({ inputs, outputGradient, attributes, needed }) {
      if (!needed[0]) return inputs.map(() => undefined);
      const { scores, labels, rows, classes, flags, losses } = rowLosses(inputs, attributes);
      const gradient = context.read(outputGradient, 'SoftmaxCrossEntropyLoss output gradient');
      const result = context.allocate('float32', scores.shape);
      runMap(
        context,
        crossEntropyGradientProgram,
        [scores.buffer, labels.buffer, gradient.buffer, losses.buffer, result.buffer],
        rows,
        (params) => params.u32(classes, ...flags),
      );
      context.recycle(losses.release() as GPUBuffer);
      return inputs.map((_, position) => (position === 0 ? result : undefined));
    },
  };
}

/** Per-element loss terms and gradients of the two element-wise losses (`x` prediction/logit, `t` target). */
const elementLosses = {
  SigmoidCrossEntropyLoss: {
    term: 'max(x, 0.0) - x * t + log(1.0 + exp(-abs(x)))',
    gradients: [
      '(select(exp(x) / (1.0 + exp(x)), 1.0 / (1.0 + exp(-x)), x >= 0.0) - t) * factor',
      '-x * factor',
    ],
    scale: 1,
  },
  MeanSquaredErrorLoss: {
    term: '(x - t) * (x - t)',
    gradients: ['(x - t) * factor', '-(x - t) * factor'],
    scale: 2,
  },
} as const;

/** SigmoidCrossEntropyLoss or MeanSquaredErrorLoss: per-element terms, summed (scaled) to a scalar. */
export function elementLossKernel<Type extends 'SigmoidCrossEntropyLoss' | 'MeanSquaredErrorLoss'>(
  context: WebGpuContext,
  type: Type,
): OpKernel<SuffixOpAttributes[Type]> {
  const loss = elementLosses[type];
  return {
    forward(inputs, attributes) {
      const predictions = context.read(inputs[0] as WebGpuTensor<'float32'>, `${type} input 0`);
      const targets = context.read(inputs[1] as WebGpuTensor<'float32'>, `${type} input 1`);
      const program = mapProgram({
        shaderKey: `op/${type}/terms`,
        inputs: ['predictions', 'targets'],
        body: `  let x = predictions[index];\n  let t = targets[index];\n  result[index] = ${loss.term};`,
      });
      const terms = context.allocate('float32', predictions.shape);
      runMap(context, program, [predictions.buffer, targets.buffer, terms.buffer], terms.size);
      const factor = reductionFactor(attributes.reduction, predictions.size);
      const result = sumToShape(context, terms.buffer, predictions.shape, [], factor);
      context.recycle(terms.release() as GPUBuffer);
      return result;
    },
    gradient({ inputs, outputGradient, attributes, needed }) {
      const predictions = context.read(inputs[0] as WebGpuTensor<'float32'>, `${type} input 0`);
      const targets = context.read(inputs[1] as WebGpuTensor<'float32'>, `${type} input 1`);
      const gradient = context.read(outputGradient, `${type} output gradient`);
      const factor = loss.scale * reductionFactor(attributes.reduction, shapeSize(predictions.shape));
      return [0, 1].map((position) => {
        if (!needed[position]) return undefined;
        const program = mapProgram({
          shaderKey: `op/${type}/gradient${position}`,
          inputs: ['predictions', 'targets', 'outputGradient'],
          body: `  let x = predictions[index];\n  let t = targets[index];
  let factor = outputGradient[0] * bitcast<f32>(params[1]);
  result[index] = ${loss.gradients[position]};`,
        });
        const result = context.allocate('float32', position === 0 ? predictions.shape : targets.shape);
        runMap(
          context,
          program,
          [predictions.buffer, targets.buffer, gradient.buffer, result.buffer],
          result.size,
          (params) => params.f32(factor),
        );
        return result;
      });
    },
  };
}
