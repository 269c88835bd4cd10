import type { GraceBackend, Tensor } from '@grace/core';
import type { TfjsKernelContext } from './kernel-context.js';
import type { TfTensor } from './tensorflow.js';

/** The kernel context of every backend made by `createTfjsBackend`, so that tfjs tensors can be handed over. */
const contexts = new WeakMap<
  GraceBackend,
  { readonly context: TfjsKernelContext; readonly activate?: () => void }
>();

/** Called by `createTfjsBackend` for each backend it makes. */
export function registerTfjsBackendContext(
  backend: GraceBackend,
  context: TfjsKernelContext,
  activate?: () => void,
): void {
  contexts.set(backend, activate === undefined ? { context } : { context, activate });
}

/** True when `backend` was made by `createTfjsBackend`, so {@link adoptTfjsTensor} hands tensors over. */
export function isTfjsBackend(backend: GraceBackend): boolean {
  return contexts.has(backend);
}

/**
 * Makes a tfjs tensor (say, an inner activation a GraphModel just computed) a float32 tensor of a GRACE tfjs
 * backend WITHOUT a host round trip: a model cut on tfjs then hands its prefix values to GRACE's lookup and
 * suffix where they already are, instead of reading `[B, T, D]` activations back and uploading them again.
 * Takes ownership of `tensor` (the handle disposes it; a non-float32 tensor is cast and the original
 * disposed). Returns `undefined`, touching nothing, when `backend` is not a tfjs backend; the caller then goes
 * through the host. tfjs keeps one engine per process, so the tensor may come from another copy of tfjs-core;
 * on a backend pinned to another tfjs backend, tfjs moves the data on first use.
 */
export function adoptTfjsTensor(backend: GraceBackend, tensor: TfTensor): Tensor<'float32'> | undefined {
  const entry = contexts.get(backend);
  if (entry === undefined) return undefined;
  const { context, activate } = entry;
  activate?.();
  let storage = tensor;
  if (tensor.dtype !== 'float32') {
    storage = context.tf.cast(tensor, 'float32');
    tensor.dispose();
  }
  return context.wrap(storage, 'float32', [...storage.shape]);
}
