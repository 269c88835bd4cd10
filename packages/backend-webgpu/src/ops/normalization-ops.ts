import { type OpKernel, type Shape, type SuffixOpAttributes, shapeSize, shapesEqual } from '@grace/core';
import type { WebGpuContext } from '../webgpu-context.js';
import type { WebGpuTensor } from '../webgpu-tensor.js';
import { broadcastTo, mapProgram, runMap, sumToShape } from './op-programs.js';

/** `[outer, length, inner]` around `axis`: lines along the axis are `outer * inner`, `length` long. */
function axisLayout(shape: Shape, axis: number): [number, number, number] {
  const outer = shapeSize(shape.slice(0, axis));
  const inner = shapeSize(shape.slice(axis + 1));
  return [outer, shape[axis] as number, inner];
}

/** WGSL: the offset of position `p` of line `line` (params[1] = length, params[2] = inner). */
const lineOffset = `
fn lineOffset(line: u32, position: u32) -> u32 {
  let length = params[1];
  let inner = params[2];
  return ((line / inner) * length + position) * inner + line % inner;
}
`;

/**
 * params: [lines, length, inner]: one thread per line along the axis, subtracting the line's maximum before
 * exponentiating (every exponent <= 0, no overflow). The loops run over the axis length.
 */
function softmaxForwardProgram(logarithm: boolean) {
  return mapProgram({
    shaderKey: logarithm ? 'op/LogSoftmax/forward' : 'op/Softmax/forward',
    inputs: ['source'],
    declarations: lineOffset,
    body: `
  let length = params[1];
  var maximum = source[lineOffset(index, 0u)];
  for (var position = 1u; position < length; position++) { maximum = max(maximum, source[lineOffset(index, position)]); }
  var sum = 0.0;
  for (var position = 0u; position < length; position++) { sum = sum + exp(source[lineOffset(index, position)] - maximum); }
  let logSum = log(sum);
  for (var position = 0u; position < length; position++) {
    let shifted = source[lineOffset(index, position)] - maximum;
    ${logarithm ? 'result[lineOffset(index, position)] = shifted - logSum;' : 'result[lineOffset(index, position)] = exp(shifted) / sum;'}
  }`,
  });
}

/**
 * Gradients from the forward output: Softmax `dx = p (dy - Σ dy p)`; LogSoftmax (`p = exp(output)`)
 * `dx = dy - p Σ dy`.
 */
function softmaxGradientProgram(logarithm: boolean) {
  return mapProgram({
    shaderKey: logarithm ? 'op/LogSoftmax/gradient' : 'op/Softmax/gradient',
    inputs: ['forwardOutput', 'outputGradient'],
    declarations: lineOffset,
    body: `
  let length = params[1];
  var lineSum = 0.0;
  for (var position = 0u; position < length; position++) {
    let offset = lineOffset(index, position);
    ${logarithm ? 'lineSum = lineSum + outputGradient[offset];' : 'lineSum = lineSum + outputGradient[offset] * forwardOutput[offset];'}
  }
  for (var position = 0u; position < length; position++) {
    let offset = lineOffset(index, position);
    ${
      logarithm
        ? 'result[offset] = outputGradient[offset] - exp(forwardOutput[offset]) * lineSum;'
        : 'result[offset] = forwardOutput[offset] * (outputGradient[offset] - lineSum);'
    }
  }`,
  });
}

/** Softmax or LogSoftmax along one axis. */
export function softmaxKernel<Type extends 'Softmax' | 'LogSoftmax'>(
  context: WebGpuContext,
  type: Type,
): OpKernel<SuffixOpAttributes[Type]> {
  const logarithm = type === 'LogSoftmax';
  return {
    forward(inputs, attributes, outputShape) {
      const source = context.read(inputs[0] as WebGpuTensor<'float32'>, `${type} input`);
      const [outer, length, inner] = axisLayout(source.shape, attributes.axis);
      const result = context.allocate('float32', outputShape);
      runMap(
        context,
        softmaxForwardProgram(logarithm),
        [source.buffer, result.buffer],
        length === 0 ? 0 : outer * inner,
        (params) => params.u32(length, inner),
      );
      return result;
    },
    gradient({ output, outputGradient, attributes, needed }) {
      if (!needed[0]) return [undefined];
      const forwardOutput = context.read(output, `${type} output`);
      const gradient = context.read(outputGradient, `${type} output gradient`);
      const [outer, length, inner] = axisLayout(forwardOutput.shape, attributes.axis);
      const result = context.allocate('float32', forwardOutput.shape);
      runMap(
        context,
        softmaxGradientProgram(logarithm),
        [forwardOutput.buffer, gradient.buffer, result.buffer],
        length === 0 ? 0 : outer * inner,
        (params) => params.u32(length, inner),
      );
      return [result];
    },
  };
}

/** params: [rows, width, epsilon]: per row, mean and `1/√(var + ε)` (two passes: no cancellation). */
const rowStatisticsProgram = mapProgram({
  shaderKey: 'op/LayerNormalization/statistics',
  inputs: ['source'],
  body: `
  let width = params[1];
  let epsilon = bitcast<f32>(params[2]);
  var sum = 0.0;
  for (var column = 0u; column < width; column++) { sum = sum + source[index * width + column]; }
  let mean = sum / f32(width);
  var squares = 0.0;
  for (var column = 0u; column < width; column++) {
    let centered = source[index * width + column] - mean;
    squares = squares + centered * centered;
  }
  result[2u * index] = mean;
  result[2u * index + 1u] = 1.0 / sqrt(squares / f32(width) + epsilon);`,
});

/** params: [count, width]: `(x - mean) · inverse · scale (+ bias)` per element (scale, bias `[width]`). */
function normalizeProgram(withBias: boolean) {
  return mapProgram({
    shaderKey: withBias ? 'op/LayerNormalization/forward+bias' : 'op/LayerNormalization/forward',
    inputs: ['source', 'statistics', 'scale', 'bias'],
    body: `
  let width = params[1];
  let row = index / width;
  let column = index % width;
  let normalized = (source[index] - statistics[2u * row]) * statistics[2u * row + 1u];
  result[index] = normalized * scale[column]${withBias ? ' + bias[column]' : ''};`,
  });
}

/** params: [rows, width]: `dX = (g - mean(g) - x̂ mean(g x̂)) · inverse`, `g = dy · scale`, one thread per row. */
const inputGradientProgram = mapProgram({
  shaderKey: 'op/LayerNormalization/inputGradient',
  inputs: ['source', 'statistics', 'scale', 'outputGradient'],
  body: `
  let width = params[1];
  let mean = statistics[2u * index];
  let inverse = statistics[2u * index + 1u];
  var gradientSum = 0.0;
  var projection = 0.0;
  for (var column = 0u; column < width; column++) {
    let offset = index * width + column;
    let scaled = outputGradient[offset] * scale[column];
    gradientSum = gradientSum + scaled;
    projection = projection + scaled * (source[offset] - mean) * inverse;
  }
  let gradientMean = gradientSum / f32(width);
  let projectionMean = projection / f32(width);
  for (var column = 0u; column < width; column++) {
    let offset = index * width + column;
    let scaled = outputGradient[offset] * scale[column];
    result[offset] = (scaled - gradientMean - (source[offset] - mean) * inverse * projectionMean) * inverse;
  }`,
});

/** params: [count, width]: `dy · x̂` per element, summed to Scale's shape afterwards. */
const scaleProductProgram = mapProgram({
  shaderKey: 'op/LayerNormalization/scaleProduct',
  inputs: ['source', 'statistics', 'outputGradient'],
  body: `
  let row = index / params[1];
  result[index] = outputGradient[index] * (source[index] - statistics[2u * row]) * statistics[2u * row + 1u];`,
});

/** ONNX LayerNormalization over axes `axis..`; Scale and B are broadcast to the normalised shape first. */
export function layerNormalizationKernel(
  context: WebGpuContext,
): OpKernel<SuffixOpAttributes['LayerNormalization']> {
  const prepare = (
    inputs: readonly (unknown | undefined)[],
    attributes: SuffixOpAttributes['LayerNormalization'],
  ) => {
    const source = context.read(inputs[0] as WebGpuTensor<'float32'>, 'LayerNormalization input');
    const normalizedShape = source.shape.slice(attributes.axis);
    const width = shapeSize(normalizedShape);
    const rows = width === 0 ? 0 : source.size / width;
    const statistics = context.allocate('float32', [rows, 2]);
    runMap(context, rowStatisticsProgram, [source.buffer, statistics.buffer], rows, (params) =>
      params.u32(width).f32(attributes.epsilon),
    );
    /** A parameter as a contiguous `[width]` buffer (and whether it was made here, to recycle). */
    const expanded = (tensor: WebGpuTensor<'float32'>) =>
      shapesEqual(tensor.shape, normalizedShape) || shapeSize(tensor.shape) === width
        ? { buffer: tensor.buffer, made: false }
        : {
            buffer: broadcastTo(context, tensor.buffer, tensor.shape, normalizedShape).release() as GPUBuffer,
            made: true,
          };
    return { source, normalizedShape, width, rows, statistics, expanded };
  };
  return {
    forward(inputs, attributes, outputShape) {
      const { source, width, statistics, expanded } = prepare(inputs, attributes);
      const scale = expanded(context.read(inputs[1] as WebGpuTensor<'float32'>, 'LayerNormalization scale'));
      const biasTensor =
        inputs[2] === undefined
          ? undefined
          : context.read(inputs[2] as WebGpuTensor<'float32'>, 'LayerNormalization bias');
      const bias = biasTensor === undefined ? undefined : expanded(biasTensor);
      const result = context.allocate('float32', outputShape);
      runMap(
        context,
        normalizeProgram(bias !== undefined),
        [source.buffer, statistics.buffer, scale.buffer, (bias ?? scale).buffer, result.buffer],
        source.size,
        (params) => params.u32(width),
      );
      for (const made of [scale, bias]) if (made?.made) context.recycle(made.buffer);
      context.recycle(statistics.release() as GPUBuffer);
      return result;
    },
    gradient({ inputs, outputGradient, attributes, needed }) {
      const { source, width, rows, statistics, expanded } = prepare(inputs, attributes);
      const gradient = context.read(outputGradient, 'LayerNormalization output gradient');
      const scaleTensor = context.read(inputs[1] as WebGpuTensor<'float32'>, 'LayerNormalization scale');
      const results: (WebGpuTensor<'float32'> | undefined)[] = inputs.map(() => undefined);
      if (needed[0]) {
        const scale = expanded(scaleTensor);
        const result = context.allocate('float32', source.shape);
        runMap(
          context,
          inputGradientProgram,
          [source.buffer, statistics.buffer, scale.buffer, gradient.buffer, result.buffer],
          rows,
          (params) => params.u32(width),
        );
        if (scale.made) context.recycle(scale.buffer);
        results[0] = result;
      }
      if (needed[1]) {
        const product = context.allocate('float32', source.shape);
        runMap(
          context,
          scaleProductProgram,
          [source.buffer, statistics.buffer, gradient.buffer, product.buffer],
          source.size,
          (params) => params.u32(width),
        );
        results[1] = sumToShape(context, product.buffer, source.shape, scaleTensor.shape);
        context.recycle(product.release() as GPUBuffer);
      }
      const bias = inputs[2];
      if (needed[2] && bias !== undefined) {
        results[2] = sumToShape(context, gradient.buffer, source.shape, bias.shape);
      }
      context.recycle(statistics.release() as GPUBuffer);
      return results;
    },
  };
}
