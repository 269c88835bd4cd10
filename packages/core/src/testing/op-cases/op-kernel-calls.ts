import type { GraceBackend } from '../../backend.js';
import type { OpKernel } from '../../suffix/op-kernel.js';
import type { SuffixOpAttributes, SuffixOpType } from '../../suffix/op-types.js';
import type { Tensor } from '../../tensor.js';
import type { ReferenceArray } from '../reference-kernels.js';
import { type ReferenceOp, referenceOps } from '../reference-ops.js';
import type { TensorScope } from '../tensor-scope.js';
import type { PreparedOpCase } from './prepare-op-case.js';

/** Any op's attributes; the cases handle every op through one code path. */
type AnyAttributes = SuffixOpAttributes[SuffixOpType];

/**
 * The backend's kernel for a case's op, typed for any op. Each case passes the attributes core resolved for
 * that very op, so widening the attribute type here loses nothing.
 */
export function kernelFor(backend: GraceBackend, prepared: PreparedOpCase): OpKernel<AnyAttributes> {
  return backend.ops[prepared.type] as unknown as OpKernel<AnyAttributes>;
}

/** The reference forward of a case's op on `inputs` (the case's own, or perturbed copies), in float64. */
export function evaluateReference(
  prepared: PreparedOpCase,
  inputs: readonly (ReferenceArray | undefined)[],
): Float64Array {
  const reference = referenceOps[prepared.type] as unknown as ReferenceOp<SuffixOpType>;
  return reference(inputs, prepared.attributes as never, prepared.outputShape).data;
}

/** Uploads a case's inputs, keeping `undefined` for the absent ones. */
export function uploadInputs(scope: TensorScope, prepared: PreparedOpCase): (Tensor | undefined)[] {
  return prepared.inputs.map((input) => {
    if (input === undefined) return undefined;
    return input.data instanceof Int32Array
      ? scope.int32(input.data, input.shape)
      : scope.float32(input.data, input.shape);
  });
}
