import { broadcastIndexMap, broadcastShapes, type Shape, type SuffixOpAttributes } from '@grace/core';
import { floatTensor, type HostOp, type HostTensor, neededGradients, requireInput } from './host-tensor.js';
import { sumToShape } from './sum-to-shape.js';

/** The element-wise ops with two operands and numpy broadcasting. */
export type BinaryOpType = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow';

/** The output shape and, per output element, the element of each operand it reads. */
interface BinaryLayout {
  readonly shape: number[];
  readonly leftIndex: Int32Array;
  readonly rightIndex: Int32Array;
}

function layoutOf(left: HostTensor, right: HostTensor): BinaryLayout {
  const shape = broadcastShapes(left.shape, right.shape);
  return {
    shape,
    leftIndex: broadcastIndexMap(left.shape, shape),
    rightIndex: broadcastIndexMap(right.shape, shape),
  };
}

/**
 * `left ∘ right` element-wise with multidirectional broadcasting, `∘` one of `+ - * / ^`. One loop per op,
 * chosen outside the loop, so the hot loop holds only its arithmetic.
 */
export function binaryOp(type: BinaryOpType, left: HostTensor, right: HostTensor): HostTensor<Float32Array> {
  const { shape, leftIndex, rightIndex } = layoutOf(left, right);
  const leftData = left.data;
  const rightData = right.data;
  const output = new Float32Array(leftIndex.length);
  const size = output.length;
  switch (type) {
    case 'Add':
      for (let element = 0; element < size; element++)
        output[element] =
          (leftData[leftIndex[element] as number] as number) +
          (rightData[rightIndex[element] as number] as number);
      break;
    case 'Sub':
      for (let element = 0; element < size; element++)
        output[element] =
          (leftData[leftIndex[element] as number] as number) -
          (rightData[rightIndex[element] as number] as number);
      break;
    case 'Mul':
      for (let element = 0; element < size; element++)
        output[element] =
          (leftData[leftIndex[element] as number] as number) *
          (rightData[rightIndex[element] as number] as number);
      break;
    case 'Div':
      for (let element = 0; element < size; element++)
        output[element] =
          (leftData[leftIndex[element] as number] as number) /
          (rightData[rightIndex[element] as number] as number);
      break;
    case 'Pow':
      for (let element = 0; element < size; element++)
        output[element] =
          (leftData[leftIndex[element] as number] as number) **
          (rightData[rightIndex[element] as number] as number);
      break;
  }
  return floatTensor(output, shape);
}

/**
 * The gradient of {@link binaryOp} for one operand, per output element, before it is summed back to the
 * operand's shape. Pow follows PyTorch at the points where the formula is 0·∞: the base gradient is 0 where
 * the exponent is 0, and the exponent gradient is 0 where the base is 0 and the exponent non-negative.
 */
function elementGradients(
  type: BinaryOpType,
  operand: 0 | 1,
  layout: BinaryLayout,
  leftData: ArrayLike<number>,
  rightData: ArrayLike<number>,
  gradient: ArrayLike<number>,
): Float64Array {
  const { leftIndex, rightIndex } = layout;
  const size = leftIndex.length;
  const result = new Float64Array(size);
  if (type === 'Add' || (type === 'Sub' && operand === 0)) {
    result.set(gradient);
    return result;
  }
  if (type === 'Sub') {
    for (let element = 0; element < size; element++) result[element] = -(gradient[element] as number);
    return result;
  }
  const other = operand === 0 ? rightData : leftData;
  const otherIndex = operand === 0 ? rightIndex : leftIndex;
  if (type === 'Mul') {
    for (let element = 0; element < size; element++)
      result[element] = (gradient[element] as number) * (other[otherIndex[element] as number] as number);
    return result;
  }
  for (let element = 0; element < size; element++) {
    const leftValue = leftData[leftIndex[element] as number] as number;
    const rightValue = rightData[rightIndex[element] as number] as number;
    const outputGradient = gradient[element] as number;
    if (type === 'Div') {
      // d(l/r)/dl = 1/r, d(l/r)/dr = -(l/r)/r (dividing twice rather than by r² avoids an early overflow).
      result[element] =
        operand === 0
          ? outputGradient / rightValue
          : (-outputGradient * (leftValue / rightValue)) / rightValue;
    } else if (operand === 0) {
      // Pow, base: e·b^(e-1).
      result[element] = rightValue === 0 ? 0 : outputGradient * rightValue * leftValue ** (rightValue - 1);
    } else {
      // Pow, exponent: b^e·ln(b).
      result[element] =
        leftValue === 0 && rightValue >= 0
          ? 0
          : outputGradient * leftValue ** rightValue * Math.log(leftValue);
    }
  }
  return result;
}

/** Gradients of {@link binaryOp}, each summed over the axes its operand was broadcast along. */
export function binaryOpGradient(
  type: BinaryOpType,
  left: HostTensor,
  right: HostTensor,
  outputGradient: HostTensor,
  needed: readonly boolean[],
): (HostTensor<Float32Array> | undefined)[] {
  const layout = layoutOf(left, right);
  return neededGradients(needed, 2, (index) => {
    const operand = index === 0 ? left : right;
    const perElement = elementGradients(
      type,
      index === 0 ? 0 : 1,
      layout,
      left.data,
      right.data,
      outputGradient.data,
    );
    return floatTensor(sumToShape(perElement, layout.shape, operand.shape), operand.shape as Shape);
  });
}

/** A binary op as a {@link HostOp}. */
export function binaryHostOp<Type extends BinaryOpType>(type: Type): HostOp<SuffixOpAttributes[Type]> {
  return {
    forward: (inputs) => binaryOp(type, requireInput(inputs, 0), requireInput(inputs, 1)),
    gradient: ({ inputs, outputGradient, needed }) =>
      binaryOpGradient(type, requireInput(inputs, 0), requireInput(inputs, 1), outputGradient, needed),
  };
}
