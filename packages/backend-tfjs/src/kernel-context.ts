import type { DType, Shape, Tensor } from '@grace/core';
import type { TensorFlow, TfTensor } from './tensorflow.js';
import { readTfjsTensor, TfjsTensor } from './tfjs-tensor.js';

/** What every kernel of the tfjs backend needs: the user's tfjs namespace and the backend's handle rules. */
export interface TfjsKernelContext {
  readonly tf: TensorFlow;
  /** The backend instance; handles made by another instance are `FOREIGN_TENSOR`. */
  readonly owner: object;
  /** The tfjs tensor behind one of this backend's handles; `name` says which argument it was. */
  read(tensor: Tensor, name: string): TfTensor;
  /** Wraps a tfjs tensor a kernel made (and no longer disposes) as a new handle. */
  wrap<D extends DType>(storage: TfTensor, dtype: D, shape: Shape): TfjsTensor<D>;
}

/** The context of one backend instance. */
export function createKernelContext(tf: TensorFlow, owner: object): TfjsKernelContext {
  return {
    tf,
    owner,
    read: (tensor, name) => readTfjsTensor(tensor, owner, name),
    wrap: (storage, dtype, shape) => new TfjsTensor(owner, dtype, storage, shape),
  };
}
