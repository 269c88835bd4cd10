import type { SuffixOpAttributes } from '@grace/core';
import { axisLayout } from './axis-layout.js';
import { floatTensor, type HostOp, type HostTensor, neededGradients, requireInput } from './host-tensor.js';

/**
 * For each line along the axis, its maximum and `Σ exp(x - max)`, in float64: the two numbers from which
 * both softmax and log-softmax follow without overflow (every exponent is <= 0).
 */
function lineStatistics(input: HostTensor, axis: number): { maximum: Float64Array; sum: Float64Array } {
  const { outer, length, inner } = axisLayout(input.shape, axis);
  const data = input.data;
  const maximum = new Float64Array(outer * inner).fill(Number.NEGATIVE_INFINITY);
  const sum = new Float64Array(outer * inner);
  for (let block = 0; block < outer; block++) {
    for (let position = 0; position < length; position++) {
      const offset = (block * length + position) * inner;
      for (let lane = 0; lane < inner; lane++) {
        const value = data[offset + lane] as number;
        const line = block * inner + lane;
        // `!(value <= max)` also lets a NaN in, so a NaN line stays NaN.
        if (!(value <= (maximum[line] as number))) maximum[line] = value;
      }
    }
    for (let position = 0; position < length; position++) {
      const offset = (block * length + position) * inner;
      for (let lane = 0; lane < inner; lane++) {
        const line = block * inner + lane;
        sum[line] += Math.exp((data[offset + lane] as number) - (maximum[line] as number));
      }
    }
  }
  return { maximum, sum };
}

/**
 * Softmax `exp(x - max) / Σ exp(x - max)` (`logarithm: false`) or log-softmax `x - max - log Σ exp(x - max)`
 * (`true`) along `axis`, as float64: the forward rounds it to float32, the gradients use it as is.
 */
export function softmaxFloat64(input: HostTensor, axis: number, logarithm: boolean): Float64Array {
  const { outer, length, inner } = axisLayout(input.shape, axis);
  const { maximum, sum } = lineStatistics(input, axis);
  if (logarithm) {
    for (let line = 0; line < sum.length; line++) sum[line] = Math.log(sum[line] as number);
  }
  const data = input.data;
  const result = new Float64Array(data.length);
  for (let block = 0; block < outer; block++) {
    for (let position = 0; position < length; position++) {
      const offset = (block * length + position) * inner;
      for (let lane = 0; lane < inner; lane++) {
        const line = block * inner + lane;
        const shifted = (data[offset + lane] as number) - (maximum[line] as number);
        result[offset + lane] = logarithm
          ? shifted - (sum[line] as number)
          : Math.exp(shifted) / (sum[line] as number);
      }
    }
  }
  return result;
}

/** Softmax (`logarithm: false`) or LogSoftmax (`true`) along one axis, ONNX opset-13 semantics. */
export function softmax(input: HostTensor, axis: number, logarithm: boolean): HostTensor<Float32Array> {
  return floatTensor(softmaxFloat64(input, axis, logarithm), input.shape);
}

/**
 * VJPs along the axis, with `p` the softmax: Softmax `dx = p ⊙ (dy - Σ dy·p)`; LogSoftmax `dx = dy - p·Σ dy`.
 */
export function softmaxGradient(
  input: HostTensor,
  outputGradient: HostTensor,
  axis: number,
  logarithm: boolean,
): HostTensor<Float32Array> {
  const { outer, length, inner } = axisLayout(input.shape, axis);
  const probabilities = softmaxFloat64(input, axis, false);
  const gradient = outputGradient.data;
  const result = new Float64Array(probabilities.length);
  const lineSums = new Float64Array(inner);
  for (let block = 0; block < outer; block++) {
    lineSums.fill(0);
    for (let position = 0; position < length; position++) {
      const offset = (block * length + position) * inner;
      for (let lane = 0; lane < inner; lane++) {
        const outputGradientValue = gradient[offset + lane] as number;
        lineSums[lane] += logarithm
          ? outputGradientValue
          : outputGradientValue * (probabilities[offset + lane] as number);
      }
    }
    for (let position = 0; position < length; position++) {
      const offset = (block * length + position) * inner;
      for (let lane = 0; lane < inner; lane++) {
        const probability = probabilities[offset + lane] as number;
        const outputGradientValue = gradient[offset + lane] as number;
        const lineSum = lineSums[lane] as number;
        result[offset + lane] = logarithm
          ? outputGradientValue - probability * lineSum
          : probability * (outputGradientValue - lineSum);
      }
    }
  }
  return floatTensor(result, input.shape);
}

/** Softmax or LogSoftmax as a {@link HostOp}. */
export function softmaxHostOp<Type extends 'Softmax' | 'LogSoftmax'>(
  type: Type,
): HostOp<SuffixOpAttributes[Type]> {
  const logarithm = type === 'LogSoftmax';
  return {
    forward: (inputs, attributes) => softmax(requireInput(inputs, 0), attributes.axis, logarithm),
    gradient: ({ inputs, outputGradient, attributes, needed }) =>
      neededGradients(needed, 1, () =>
        softmaxGradient(requireInput(inputs, 0), outputGradient, attributes.axis, logarithm),
      ),
  };
}
