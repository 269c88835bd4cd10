import { broadcastIndexMap, type SuffixOpAttributes, shapeSize } from '@grace/core';
import { floatTensor, type HostOp, type HostTensor, neededGradients, requireInput } from './host-tensor.js';
import { sumToShape } from './sum-to-shape.js';

type LayerNormalizationAttributes = SuffixOpAttributes['LayerNormalization'];

/**
 * The input seen as `rows` rows of `width` normalised elements, with each row's mean and `1/√(var + ε)`
 * (population variance, two passes in float64: no cancellation from `E[x²] - E[x]²`).
 */
interface RowStatistics {
  readonly rows: number;
  readonly width: number;
  readonly normalizedShape: number[];
  readonly mean: Float64Array;
  readonly inverseDeviation: Float64Array;
}

function rowStatistics(input: HostTensor, attributes: LayerNormalizationAttributes): RowStatistics {
  const normalizedShape = input.shape.slice(attributes.axis);
  const width = shapeSize(normalizedShape);
  const rows = width === 0 ? 0 : input.data.length / width;
  const data = input.data;
  const mean = new Float64Array(rows);
  const inverseDeviation = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    const offset = row * width;
    let sum = 0;
    for (let column = 0; column < width; column++) sum += data[offset + column] as number;
    const rowMean = sum / width;
    let squares = 0;
    for (let column = 0; column < width; column++) {
      const centered = (data[offset + column] as number) - rowMean;
      squares += centered * centered;
    }
    mean[row] = rowMean;
    inverseDeviation[row] = 1 / Math.sqrt(squares / width + attributes.epsilon);
  }
  return { rows, width, normalizedShape, mean, inverseDeviation };
}

/**
 * ONNX LayerNormalization: `(x - mean) / √(var + ε) · Scale + B` over axes `axis .. rank-1`, Scale and the
 * optional B broadcast over those axes.
 */
export function layerNormalization(
  input: HostTensor,
  scale: HostTensor,
  bias: HostTensor | undefined,
  attributes: LayerNormalizationAttributes,
): HostTensor<Float32Array> {
  const { rows, width, normalizedShape, mean, inverseDeviation } = rowStatistics(input, attributes);
  const scaleIndex = broadcastIndexMap(scale.shape, normalizedShape);
  const biasIndex = bias === undefined ? undefined : broadcastIndexMap(bias.shape, normalizedShape);
  const data = input.data;
  const output = new Float32Array(data.length);
  for (let row = 0; row < rows; row++) {
    const offset = row * width;
    const rowMean = mean[row] as number;
    const rowInverse = inverseDeviation[row] as number;
    for (let column = 0; column < width; column++) {
      const normalized = ((data[offset + column] as number) - rowMean) * rowInverse;
      let value = normalized * (scale.data[scaleIndex[column] as number] as number);
      if (bias !== undefined && biasIndex !== undefined)
        value += bias.data[biasIndex[column] as number] as number;
      output[offset + column] = value;
    }
  }
  return floatTensor(output, input.shape);
}

/**
 * Gradients, with `x̂` the normalised input and `g = dy · Scale`:
 * `dX = (g - mean(g) - x̂ · mean(g · x̂)) / √(var + ε)` per row, `dScale = Σ_rows dy · x̂` and `dB = Σ_rows dy`,
 * the last two summed further to their own (broadcast) shapes.
 */
export function layerNormalizationGradient(
  inputs: readonly (HostTensor | undefined)[],
  outputGradient: HostTensor,
  attributes: LayerNormalizationAttributes,
  needed: readonly boolean[],
): (HostTensor<Float32Array> | undefined)[] {
  const input = requireInput(inputs, 0);
  const scale = requireInput(inputs, 1);
  const { rows, width, normalizedShape, mean, inverseDeviation } = rowStatistics(input, attributes);
  const scaleIndex = broadcastIndexMap(scale.shape, normalizedShape);
  const data = input.data;
  const gradient = outputGradient.data;
  const normalizedAt = (row: number, column: number): number =>
    ((data[row * width + column] as number) - (mean[row] as number)) * (inverseDeviation[row] as number);
  return neededGradients(needed, inputs.length, (index) => {
    if (index === 0) {
      const result = new Float64Array(data.length);
      for (let row = 0; row < rows; row++) {
        const offset = row * width;
        let gradientSum = 0;
        let projection = 0;
        for (let column = 0; column < width; column++) {
          const scaled =
            (gradient[offset + column] as number) * (scale.data[scaleIndex[column] as number] as number);
          gradientSum += scaled;
          projection += scaled * normalizedAt(row, column);
        }
        const gradientMean = gradientSum / width;
        const projectionMean = projection / width;
        const rowInverse = inverseDeviation[row] as number;
        for (let column = 0; column < width; column++) {
          const scaled =
            (gradient[offset + column] as number) * (scale.data[scaleIndex[column] as number] as number);
          result[offset + column] =
            (scaled - gradientMean - normalizedAt(row, column) * projectionMean) * rowInverse;
        }
      }
      return floatTensor(result, input.shape);
    }
    const parameter = requireInput(inputs, index);
    const sums = new Float64Array(width);
    for (let row = 0; row < rows; row++) {
      const offset = row * width;
      for (let column = 0; column < width; column++) {
        const outputGradientValue = gradient[offset + column] as number;
        sums[column] += index === 1 ? outputGradientValue * normalizedAt(row, column) : outputGradientValue;
      }
    }
    return floatTensor(sumToShape(sums, normalizedShape, parameter.shape), parameter.shape);
  });
}

/** LayerNormalization as a {@link HostOp}. */
export const layerNormalizationOp: HostOp<LayerNormalizationAttributes> = {
  forward: (inputs, attributes) =>
    layerNormalization(requireInput(inputs, 0), requireInput(inputs, 1), inputs[2], attributes),
  gradient: ({ inputs, outputGradient, attributes, needed }) =>
    layerNormalizationGradient(inputs, outputGradient, attributes, needed),
};
