import { type Shape, suffixOpTypes, type Tensor } from '@grace/core';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../cpu-backend.js';
import { createHostOpKernels } from './host-op-kernels.js';

describe('createHostOpKernels through the CPU backend', () => {
  it('gives the backend a forward and a gradient for every op of set v1', () => {
    const { ops } = createCpuBackend();
    for (const type of suffixOpTypes) {
      expect(typeof ops[type].forward, type).toBe('function');
      expect(typeof ops[type].gradient, type).toBe('function');
    }
  });

  it('runs MatMul and its gradient on backend tensors, returning new tensors of the input shapes', async () => {
    const backend = createCpuBackend();
    const left = backend.upload(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const right = backend.upload(Float32Array.from([7, 8, 9, 10, 11, 12]), [3, 2]);
    const output = backend.ops.MatMul.forward([left, right], {}, [2, 2]);
    expect(output.shape).toEqual([2, 2]);
    expect(Array.from(await backend.download(output))).toEqual([58, 64, 139, 154]);
    const outputGradient = backend.upload(Float32Array.from([1, 0, 0, 1]), [2, 2]);
    const [dLeft, dRight] = backend.ops.MatMul.gradient({
      inputs: [left, right],
      output,
      outputGradient,
      attributes: {},
      needed: [true, false],
    });
    expect(dRight).toBeUndefined();
    expect(dLeft?.shape).toEqual([2, 3]);
    expect(Array.from(await backend.download(dLeft as Tensor))).toEqual([7, 9, 11, 8, 10, 12]);
  });

  it('never aliases an input: disposing the output of Identity leaves the input readable', async () => {
    const backend = createCpuBackend();
    const input = backend.upload(Float32Array.from([1, 2]), [2]);
    const output = backend.ops.Identity.forward([input], {}, [2]);
    backend.dispose(output);
    expect(Array.from(await backend.download(input))).toEqual([1, 2]);
  });

  it('refuses tensors of another backend and an output shape that disagrees with the computed one', () => {
    const backend = createCpuBackend();
    const foreign = createCpuBackend().upload(Float32Array.from([1]), [1]);
    expect(() => backend.ops.Relu.forward([foreign], {}, [1])).toThrowError(/FOREIGN_TENSOR/);
    const input = backend.upload(Float32Array.from([1, 2]), [2]);
    expect(() => backend.ops.Relu.forward([input], {}, [2, 1])).toThrowError(/SHAPE_MISMATCH/);
  });

  it('serves any host-memory backend through a read/make adapter', () => {
    class PlainTensor implements Tensor<'float32'> {
      readonly dtype = 'float32';
      constructor(
        readonly data: Float32Array,
        readonly shape: Shape,
      ) {}
    }
    const kernels = createHostOpKernels({
      read: (tensor) => tensor as PlainTensor,
      make: (data, shape) => new PlainTensor(data, shape),
    });
    const output = kernels.Softmax.forward(
      [new PlainTensor(Float32Array.from([0, Math.log(3)]), [2])],
      { axis: 0 },
      [2],
    ) as PlainTensor;
    expect(output).toBeInstanceOf(PlainTensor);
    expect(Array.from(output.data)).toEqual([0.25, 0.75]);
  });
});
