import { describe, expect, it } from 'vitest';
import type { HostTensor } from './host-tensor.js';
import { reduce, reduceGradient } from './reduce-ops.js';

const input: HostTensor = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] };

describe('ReduceSum and ReduceMean', () => {
  it('reduces over the given axes, keeping them as size 1 on request', () => {
    expect(reduce('ReduceSum', input, { axes: [0], keepDims: false })).toEqual({
      data: Float32Array.from([5, 7, 9]),
      shape: [3],
    });
    expect(reduce('ReduceSum', input, { axes: [1], keepDims: true })).toEqual({
      data: Float32Array.from([6, 15]),
      shape: [2, 1],
    });
    expect(reduce('ReduceMean', input, { axes: [0, 1], keepDims: false })).toEqual({
      data: Float32Array.from([3.5]),
      shape: [],
    });
    expect(reduce('ReduceMean', input, { axes: [1], keepDims: false }).data).toEqual(
      Float32Array.from([2, 5]),
    );
  });

  it('broadcasts the gradient back over the reduced axes, divided by the count for a mean', () => {
    const sumGradient = reduceGradient(
      'ReduceSum',
      input,
      { data: Float32Array.from([1, 2]), shape: [2] },
      {
        axes: [1],
        keepDims: false,
      },
    );
    expect(sumGradient).toEqual({ data: Float32Array.from([1, 1, 1, 2, 2, 2]), shape: [2, 3] });
    const meanGradient = reduceGradient(
      'ReduceMean',
      input,
      { data: Float32Array.from([4, 8, 12]), shape: [1, 3] },
      {
        axes: [0],
        keepDims: true,
      },
    );
    expect(Array.from(meanGradient.data)).toEqual([2, 4, 6, 2, 4, 6]);
  });
});
