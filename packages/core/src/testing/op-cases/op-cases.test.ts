import { describe, expect, it } from 'vitest';
import type { GraceBackend } from '../../backend.js';
import type { OpGradientArguments, OpKernel } from '../../suffix/op-kernel.js';
import { type SuffixOpType, suffixOpTypes } from '../../suffix/op-types.js';
import type { Shape, Tensor } from '../../tensor.js';
import { ConformanceFailure } from '../assertions.js';
import { resolveConformanceOptions } from '../conformance-case.js';
import type { ReferenceArray } from '../reference-kernels.js';
import { type ReferenceOp, referenceOps } from '../reference-ops.js';
import { finiteDifferenceGradient } from './finite-difference.js';
import { opCases } from './op-cases.js';

/**
 * A stand-in backend for checking the op cases themselves before any real kernel exists: forward is the
 * reference rounded to float32, the gradient is finite differences of the reference. It passes by
 * construction on values, so these tests are about the plumbing (shapes, `needed`, absent inputs, tensor
 * ownership) and, with deliberately broken kernels, about the cases catching what they should.
 */
interface HostTensor extends Tensor {
  readonly data: Float32Array | Int32Array;
}

type AnyKernel = OpKernel<never>;

function hostReference(type: SuffixOpType): ReferenceOp<SuffixOpType> {
  return referenceOps[type] as unknown as ReferenceOp<SuffixOpType>;
}

function asReference(inputs: readonly (Tensor | undefined)[]): (ReferenceArray | undefined)[] {
  return inputs.map((input) => (input === undefined ? undefined : (input as HostTensor)));
}

function referenceKernel(type: SuffixOpType): OpKernel<unknown> {
  const reference = hostReference(type);
  const tensor = (data: Float32Array, shape: Shape): Tensor<'float32'> =>
    ({ data, shape, dtype: 'float32' }) as HostTensor as Tensor<'float32'>;
  return {
    forward(inputs, attributes, outputShape) {
      const output = reference(asReference(inputs), attributes as never, outputShape);
      return tensor(Float32Array.from(output.data), outputShape);
    },
    gradient(args: OpGradientArguments<unknown>) {
      const inputs = asReference(args.inputs);
      const outputGradient = (args.outputGradient as HostTensor).data;
      return args.inputs.map((input, position) => {
        if (input === undefined || !args.needed[position]) return undefined;
        const gradient = finiteDifferenceGradient(
          (perturbed) => reference(perturbed, args.attributes as never, args.output.shape).data,
          inputs,
          position,
          outputGradient,
        );
        return tensor(Float32Array.from(gradient), input.shape);
      });
    },
  };
}

function fakeBackend(
  override: Partial<Record<SuffixOpType, (kernel: OpKernel<unknown>) => OpKernel<unknown>>> = {},
): GraceBackend {
  const ops = Object.fromEntries(
    suffixOpTypes.map((type) => {
      const kernel = referenceKernel(type);
      return [type, override[type]?.(kernel) ?? kernel];
    }),
  ) as Record<SuffixOpType, AnyKernel>;
  const backend = {
    specificationVersion: 'v1',
    name: 'reference stand-in',
    upload: (data: Float32Array | Int32Array, shape: Shape) =>
      ({ data: data.slice(), shape, dtype: data instanceof Int32Array ? 'int32' : 'float32' }) as HostTensor,
    download: async (tensor: Tensor) => (tensor as HostTensor).data.slice(),
    dispose: () => undefined,
    ops,
  };
  return backend as unknown as GraceBackend;
}

/** Runs every op case against `backend`; returns the `suite › name` of each failure. */
async function failures(backend: GraceBackend): Promise<string[]> {
  const failed: string[] = [];
  for (const testCase of opCases(resolveConformanceOptions({ tolerance: 0 }))) {
    try {
      await testCase.run(backend);
    } catch (error) {
      expect(error).toBeInstanceOf(ConformanceFailure);
      failed.push(`${testCase.suite} › ${testCase.name}`);
    }
  }
  return failed;
}

describe('op cases', () => {
  it('make a forward and a gradient suite for every op, with unique names', () => {
    const cases = opCases(resolveConformanceOptions());
    const suites = new Set(cases.map((testCase) => testCase.suite));
    for (const type of suffixOpTypes) {
      expect(suites.has(`op ${type} forward`)).toBe(true);
      expect(suites.has(`op ${type} gradient`)).toBe(true);
    }
    const keys = cases.map((testCase) => `${testCase.suite} › ${testCase.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('pass on a backend that computes the reference', async () => {
    expect(await failures(fakeBackend())).toEqual([]);
  });

  it('catch a forward off by 3e-5, and a forward that hands back its input', async () => {
    const failed = await failures(
      fakeBackend({
        Softmax: (kernel) => ({
          ...kernel,
          forward: (inputs, attributes, shape) => {
            const output = kernel.forward(inputs, attributes, shape) as HostTensor;
            (output.data as Float32Array)[0] += 3e-5;
            return output as Tensor<'float32'>;
          },
        }),
        Identity: (kernel) => ({ ...kernel, forward: (inputs) => inputs[0] as Tensor<'float32'> }),
      }),
    );
    expect(failed.filter((name) => name.startsWith('op Softmax forward')).length).toBe(4);
    expect(failed).toContain('op Identity forward › [2,3]');
  });

  it('catch a broadcast gradient not summed back, an ignored `needed`, and a gradient off by 1e-3', async () => {
    const failed = await failures(
      fakeBackend({
        // Returns the output gradient for both inputs, whatever their shapes.
        Add: (kernel) => ({
          ...kernel,
          gradient: (args) => args.inputs.map(() => args.outputGradient),
        }),
        // Computes every gradient whether needed or not.
        Mul: (kernel) => ({
          ...kernel,
          gradient: (args) => kernel.gradient({ ...args, needed: args.inputs.map(() => true) }),
        }),
        LayerNormalization: (kernel) => ({
          ...kernel,
          gradient: (args) =>
            kernel.gradient(args).map((gradient) => {
              if (gradient !== undefined)
                (gradient as HostTensor as { data: Float32Array }).data[0] *= 1 + 1e-3;
              return gradient;
            }),
        }),
      }),
    );
    // Broadcast inputs get a gradient of the wrong shape; equal shapes get the output gradient itself.
    expect(failed.filter((name) => name.startsWith('op Add gradient')).length).toBe(6);
    expect(failed.filter((name) => name.startsWith('op Mul gradient')).length).toBe(6);
    expect(failed.filter((name) => name.startsWith('op LayerNormalization gradient')).length).toBe(6);
    expect(failed.every((name) => /^op (Add|Mul|LayerNormalization) gradient/.test(name))).toBe(true);
  });
});
