import { SeededRandom } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { WasmMatrixProducts } from './wasm-matrix-products.js';

/** `out[m,n] = Σ_k left[m,k]·right(k,n)` in float64, and the sum of |terms| that bounds float32 rounding. */
function reference(
  left: Float32Array,
  right: Float32Array,
  rows: number,
  shared: number,
  columns: number,
  transposedRight: boolean,
): { exact: Float64Array; magnitude: Float64Array } {
  const exact = new Float64Array(rows * columns);
  const magnitude = new Float64Array(rows * columns);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      for (let inner = 0; inner < shared; inner++) {
        const rightValue = transposedRight ? right[column * shared + inner] : right[inner * columns + column];
        const term = (left[row * shared + inner] as number) * (rightValue as number);
        exact[row * columns + column] += term;
        magnitude[row * columns + column] += Math.abs(term);
      }
    }
  }
  return { exact, magnitude };
}

function products(): WasmMatrixProducts {
  const created = WasmMatrixProducts.create();
  if (created === null) throw new Error('this Node has no WebAssembly SIMD');
  return created;
}

describe('WasmMatrixProducts', () => {
  // Shapes off multiples of 4 and 8 exercise every vector loop's scalar tail; the second matrix of a pair
  // checks the element offsets.
  for (const [rows, shared, columns] of [
    [1, 768, 3072],
    [3, 130, 129],
    [2, 257, 131],
  ] as const) {
    for (const transposedRight of [false, true]) {
      it(`${transposedRight ? 'left·rightᵀ' : 'left·right'} [${rows},${shared}]×[${shared},${columns}] adds within float32 rounding`, () => {
        const random = new SeededRandom(rows * 7 + shared + columns);
        const left = random.floats(2 * rows * shared, -2, 2);
        const right = random.floats(2 * shared * columns, -2, 2);
        const out = new Float64Array(2 * rows * columns).fill(0.5);
        const wasm = products();
        wasm.markStable(right);
        const kernel = transposedRight ? 'productTransposedRight' : 'product';
        wasm.multiply(
          kernel,
          left,
          rows * shared,
          right,
          shared * columns,
          out,
          rows * columns,
          rows,
          shared,
          columns,
        );
        const { exact, magnitude } = reference(
          left.subarray(rows * shared),
          right.subarray(shared * columns),
          rows,
          shared,
          columns,
          transposedRight,
        );
        for (let index = 0; index < rows * columns; index++) {
          expect(out[index]).toBe(0.5);
          const error = Math.abs((out[rows * columns + index] as number) - 0.5 - (exact[index] as number));
          // Float32 summation: each partial sum rounds by at most 2^-24 of the sum of |terms| so far.
          expect(error).toBeLessThanOrEqual(shared * 2 ** -24 * (magnitude[index] as number) + 1e-6);
        }
      });
    }
  }

  it('sees an array change after unmarkStable, and every change of an array never marked', () => {
    const wasm = products();
    const left = new Float32Array(128).fill(1);
    for (const stable of [true, false]) {
      const right = new Float32Array(128 * 128).fill(1);
      if (stable) wasm.markStable(right);
      const first = new Float64Array(128);
      wasm.multiply('product', left, 0, right, 0, first, 0, 1, 128, 128);
      expect(first[0]).toBe(128);
      if (stable) wasm.unmarkStable(right);
      right.fill(2);
      const second = new Float64Array(128);
      wasm.multiply('product', left, 0, right, 0, second, 0, 1, 128, 128);
      expect(second[127]).toBe(256);
    }
  });
});
