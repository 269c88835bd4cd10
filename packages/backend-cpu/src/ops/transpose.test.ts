import { describe, expect, it } from 'vitest';
import type { HostTensor } from './host-tensor.js';
import { reshapeOp } from './reshape.js';
import { inversePermutation, transpose, transposeOp } from './transpose.js';

describe('Transpose', () => {
  it('moves axis perm[i] of the input to axis i of the output', () => {
    const input: HostTensor = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] };
    expect(transpose(input, [1, 0])).toEqual({ data: Float32Array.from([1, 4, 2, 5, 3, 6]), shape: [3, 2] });
    // [2,3,4] → [4,2,3]: output (k, i, j) = input (i, j, k).
    const cube: HostTensor = {
      data: Float32Array.from({ length: 24 }, (_, index) => index),
      shape: [2, 3, 4],
    };
    const moved = transpose(cube, [2, 0, 1]);
    expect(moved.shape).toEqual([4, 2, 3]);
    expect(moved.data[(3 * 2 + 1) * 3 + 2]).toBe((1 * 3 + 2) * 4 + 3);
  });

  it('is undone by the inverse permutation, which its gradient uses', () => {
    expect(inversePermutation([2, 0, 1])).toEqual([1, 2, 0]);
    const cube: HostTensor = {
      data: Float32Array.from({ length: 24 }, (_, index) => index),
      shape: [2, 3, 4],
    };
    const moved = transposeOp.forward([cube], { perm: [2, 0, 1] }, [4, 2, 3]);
    const [back] = transposeOp.gradient({
      inputs: [cube],
      output: moved,
      outputGradient: moved,
      attributes: { perm: [2, 0, 1] },
      needed: [true],
    });
    expect(back).toEqual({ data: cube.data, shape: [2, 3, 4] });
  });
});

describe('Reshape', () => {
  it('keeps the elements in order under the resolved shape, as a copy, and reshapes the gradient back', () => {
    const input: HostTensor = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] };
    const output = reshapeOp.forward([input, undefined], {}, [3, 1, 2]);
    expect(output).toEqual({ data: input.data, shape: [3, 1, 2] });
    expect(output.data).not.toBe(input.data);
    const [gradient, shapeGradient] = reshapeOp.gradient({
      inputs: [input, { data: Int32Array.from([3, 1, 2]), shape: [3] }],
      output,
      outputGradient: output,
      attributes: {},
      needed: [true, false],
    });
    expect(gradient).toEqual({ data: input.data, shape: [2, 3] });
    expect(shapeGradient).toBeUndefined();
  });
});
