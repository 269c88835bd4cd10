import { SeededRandom } from '@grace/core';
import { describe, expect, it } from 'vitest';
import type { HostTensor } from './host-tensor.js';
import { matMul, matMulGradient } from './mat-mul.js';

function tensor(values: ArrayLike<number>, shape: number[]): HostTensor {
  return { data: Float32Array.from(values), shape };
}

/** The textbook triple loop on one pair of matrices, float64, k ascending: what the fast loops must equal. */
function plainProduct(
  left: ArrayLike<number>,
  right: ArrayLike<number>,
  rows: number,
  shared: number,
  columns: number,
) {
  const result = new Float64Array(rows * columns);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      let sum = 0;
      for (let inner = 0; inner < shared; inner++) {
        sum += (left[row * shared + inner] as number) * (right[inner * columns + column] as number);
      }
      result[row * columns + column] = sum;
    }
  }
  return Float32Array.from(result);
}

describe('MatMul', () => {
  it('multiplies [2,3] by [3,2] (hand-computed)', () => {
    const left = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const right = tensor([7, 8, 9, 10, 11, 12], [3, 2]);
    // [1·7+2·9+3·11, 1·8+2·10+3·12; 4·7+5·9+6·11, 4·8+5·10+6·12]
    expect(matMul(left, right)).toEqual({ data: Float32Array.from([58, 64, 139, 154]), shape: [2, 2] });
  });

  it('gives dA = dC·Bᵀ and dB = Aᵀ·dC (hand-computed)', () => {
    const left = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const right = tensor([7, 8, 9, 10, 11, 12], [3, 2]);
    const outputGradient = tensor([1, 0, 0, 1], [2, 2]);
    const [dLeft, dRight] = matMulGradient(left, right, outputGradient, [true, true]);
    expect(dLeft).toEqual({ data: Float32Array.from([7, 9, 11, 8, 10, 12]), shape: [2, 3] });
    expect(dRight).toEqual({ data: Float32Array.from([1, 4, 2, 5, 3, 6]), shape: [3, 2] });
  });

  it('equals the plain triple loop bit for bit for every remainder of the unrolled loops', () => {
    const random = new SeededRandom(7);
    for (let shared = 1; shared <= 9; shared++) {
      const [rows, columns] = [3, 5];
      const left = random.floats(rows * shared);
      const right = random.floats(shared * columns);
      expect(matMul(tensor(left, [rows, shared]), tensor(right, [shared, columns])).data).toEqual(
        plainProduct(left, right, rows, shared, columns),
      );
    }
  });

  it('broadcasts leading dimensions: [2,3,4,5]x[5,6] and [3,1,4,5]x[2,5,6]', () => {
    const random = new SeededRandom(11);
    const batched = tensor(random.floats(2 * 3 * 4 * 5), [2, 3, 4, 5]);
    const weight = tensor(random.floats(5 * 6), [5, 6]);
    const product = matMul(batched, weight);
    expect(product.shape).toEqual([2, 3, 4, 6]);
    for (let matrix = 0; matrix < 6; matrix++) {
      expect(product.data.subarray(matrix * 24, (matrix + 1) * 24)).toEqual(
        plainProduct(batched.data.subarray(matrix * 20, (matrix + 1) * 20), weight.data, 4, 5, 6),
      );
    }
    const left = tensor(random.floats(3 * 4 * 5), [3, 1, 4, 5]);
    const right = tensor(random.floats(2 * 5 * 6), [2, 5, 6]);
    const crossed = matMul(left, right);
    expect(crossed.shape).toEqual([3, 2, 4, 6]);
    // Output matrix (i, j) is left[i] · right[j].
    const [i, j] = [2, 1];
    expect(crossed.data.subarray((i * 2 + j) * 24, (i * 2 + j + 1) * 24)).toEqual(
      plainProduct(
        left.data.subarray(i * 20, (i + 1) * 20),
        right.data.subarray(j * 30, (j + 1) * 30),
        4,
        5,
        6,
      ),
    );
  });

  it('sums the gradient of a broadcast operand over the batch', () => {
    // [2,1,2] x [2,1]: the weight is shared by both batch matrices, so its gradient is the sum of both Aᵀ·dC.
    const left = tensor([1, 2, 3, 4], [2, 1, 2]);
    const right = tensor([5, 6], [2, 1]);
    const outputGradient = tensor([1, 10], [2, 1, 1]);
    const [dLeft, dRight] = matMulGradient(left, right, outputGradient, [true, true]);
    expect(dLeft).toEqual({ data: Float32Array.from([5, 6, 50, 60]), shape: [2, 1, 2] });
    expect(dRight).toEqual({ data: Float32Array.from([1 + 30, 2 + 40]), shape: [2, 1] });
  });

  it('computes only the needed gradients', () => {
    const left = tensor([1, 2], [1, 2]);
    const right = tensor([3, 4], [2, 1]);
    const gradients = matMulGradient(left, right, tensor([1], [1, 1]), [true, false]);
    expect(gradients[1]).toBeUndefined();
    expect(gradients[0]?.data).toEqual(Float32Array.from([3, 4]));
  });
});
