import {
  type DType,
  type DTypeOf,
  dtypeOf,
  type GraceBackend,
  GraceError,
  type OpKernel,
  type RowMirror,
  type Shape,
  type SuffixKernels,
  shapeSize,
  type Tensor,
  type TensorData,
  type TensorDataOf,
  validateUpload,
} from '@grace/core';
import { registerTfjsBackendContext } from './adopt-tfjs-tensor.js';
import { createKernelContext } from './kernel-context.js';
import { adamStep } from './kernels/adam-step.js';
import { compileTfjsValueStep } from './kernels/compiled-value-step.js';
import { gatherTokens } from './kernels/gather-tokens.js';
import { lookup } from './kernels/lookup.js';
import { meanTokens } from './kernels/mean-tokens.js';
import { nearestKey } from './kernels/nearest-key.js';
import { createTfjsOpKernels } from './ops/tfjs-op-kernels.js';
import type { TensorFlow } from './tensorflow.js';
import { createTfjsRowMirror } from './tfjs-row-mirror.js';
import { createTfjsRowStorage } from './tfjs-row-storage.js';
import { readTfjsTensor, resolveTfjsTensor, TfjsTensor } from './tfjs-tensor.js';

/**
 * Makes a GRACE backend on the TensorFlow.js namespace the caller passes in: `createTfjsBackend(tf)`.
 *
 * The namespace is taken rather than imported so that the kernels run on the user's tfjs, on whichever tfjs
 * backend is active when they run (wasm, cpu, webgl, webgpu, or `tensorflow` from tfjs-node and
 * tfjs-node-gpu), and so that two copies of tfjs never meet. Each call returns an independent backend whose
 * tensors every other instance refuses with `FOREIGN_TENSOR`. Every kernel runs inside `tf.tidy`, so the only
 * tfjs tensors that outlive a call are the ones behind the handles it returns, freed by `dispose`.
 */
export function createTfjsBackend(tf: TensorFlow, options: TfjsBackendOptions = {}): GraceBackend {
  requireGradients(tf);
  const owner = {};
  const context = createKernelContext(tf, owner);
  const activate = pinnedActivation(tf, options.tfjsBackend);
  const pin = <Arguments extends unknown[], Result>(
    method: (...args: Arguments) => Result,
  ): ((...args: Arguments) => Result) => {
    if (activate === undefined) return method;
    return (...args) => {
      activate();
      return method(...args);
    };
  };
  const backend: GraceBackend = {
    specificationVersion: 'v1',
    /** Says which tfjs backend the kernels run on now, e.g. `tfjs (wasm)`. */
    get name(): string {
      return `tfjs (${options.tfjsBackend ?? tf.getBackend()})`;
    },

    upload: pin(<Data extends TensorData>(data: Data, shape: Shape): Tensor<DTypeOf<Data>> => {
      validateUpload(data, shape);
      const dtype = dtypeOf(data) as DTypeOf<Data>;
      // tfjs may adopt the array it is given (the cpu backend does), so it gets a copy of its own; `slice`
      // copies bytes, so NaN payloads survive.
      const storage = tf.tensor(data.slice(), [...shape], dtype);
      const hostIntegers = data instanceof Int32Array ? data.slice() : undefined;
      return new TfjsTensor(owner, dtype, storage, shape, hostIntegers);
    }),

    download: pin(async <D extends DType>(tensor: Tensor<D>): Promise<TensorDataOf[D]> => {
      const data = await readTfjsTensor(tensor, owner, 'tensor').data();
      // The cpu backend returns its own storage; a copy keeps the caller from writing into the tensor. A row
      // mirror's tensor views the first rows of a larger buffer, which tfjs reads back whole.
      return (data as TensorDataOf[D]).slice(0, shapeSize(tensor.shape)) as TensorDataOf[D];
    }),

    dispose(tensor: Tensor): void {
      resolveTfjsTensor(tensor, owner, 'tensor').release();
    },

    createRowMirror: pin((rowShape) => pinMirror(createTfjsRowMirror(context, rowShape), pin)),
    gatherTokens: pin((input, positions) => gatherTokens(context, input, positions)),
    meanTokens: pin((input, lengths) => meanTokens(context, input, lengths)),
    nearestKey: pin((queries, keys) => nearestKey(context, queries, keys)),
    lookup: pin((args) => lookup(context, args)),
    adamStep: pin((args) => adamStep(context, args)),
    compileValueStep: pin((program, parameter) => {
      const compiled = compileTfjsValueStep(context, program, parameter);
      return compiled === undefined ? undefined : { step: pin((args) => compiled.step(args)) };
    }),
    ops: pinOps(createTfjsOpKernels(context), pin),
  };
  // Row storage only where every call runs on the pinned tfjs backend: tfjs moves a tensor's data to whichever
  // backend a kernel runs on and frees it where it was, which would take a codebook's rows out of its storage.
  if (activate !== undefined) {
    Object.assign(backend, { allocateRowStorage: pin((floats: number) => createTfjsRowStorage(tf, floats)) });
  }
  const frozen = Object.freeze(backend);
  registerTfjsBackendContext(frozen, context, activate);
  return frozen;
}

/** A mirror whose syncs and disposal also run on the pinned tfjs backend. */
function pinMirror(
  mirror: RowMirror,
  pin: <A extends unknown[], R>(method: (...args: A) => R) => (...args: A) => R,
): RowMirror {
  return {
    get rowShape() {
      return mirror.rowShape;
    },
    get width() {
      return mirror.width;
    },
    get rows() {
      return mirror.rows;
    },
    get backendBytes() {
      return mirror.backendBytes;
    },
    sync: pin((host: Float32Array, changedRows: readonly number[] | 'all') => mirror.sync(host, changedRows)),
    tensor: pin(() => mirror.tensor()),
    dispose: pin(() => mirror.dispose()),
  };
}

/** Options of {@link createTfjsBackend}. */
export interface TfjsBackendOptions {
  /**
   * Runs every call on this tfjs backend (`'wasm'`, `'cpu'`, ...) by making it tfjs's active backend first,
   * so that two GRACE backends on different tfjs backends can share one process (a benchmark comparing them).
   * It must be initialised already (`await tf.setBackend(name)` once). Without it, calls run on whichever
   * tfjs backend is active, which is what an application normally wants.
   *
   * Pinned, the backend also offers `allocateRowStorage`: on `'wasm'` an editor's codebook then keeps its rows in
   * the wasm memory, where kernels read them as they are, so the codebook is stored once instead of twice. Only
   * pinned, because tfjs moves a tensor's data to whichever backend a kernel runs on (freeing it where it was),
   * which would take the rows out of their storage if the application switched backends under the editor.
   */
  readonly tfjsBackend?: string;
}

/**
 * `@tensorflow/tfjs-core` registers its gradients only when `register_all_gradients` is imported, which
 * `@tensorflow/tfjs` and `@tensorflow/tfjs-node` do and a bare tfjs-core does not. Value training cannot run
 * without them, so a namespace lacking them is refused at once instead of failing inside the first edit.
 */
function requireGradients(tf: TensorFlow): void {
  if (tf.getGradient('Add') === undefined || tf.getGradient('BatchMatMul') === undefined) {
    throw new GraceError(
      'BACKEND_UNAVAILABLE',
      "this tfjs namespace has no gradients registered; use '@tensorflow/tfjs' (or tfjs-node), or with " +
        "tfjs-core alone in a bundler import '@tensorflow/tfjs-core/dist/register_all_gradients' once",
      {},
    );
  }
}

/** Makes the pinned tfjs backend active; switching to an initialised backend takes effect at once. */
function pinnedActivation(tf: TensorFlow, name: string | undefined): (() => void) | undefined {
  if (name === undefined) return undefined;
  if (tf.findBackend(name) === null) {
    throw new GraceError(
      'INVALID_ARGUMENT',
      `tfjs backend '${name}' is not initialised; await tf.setBackend('${name}') before pinning it`,
      { tfjsBackend: name },
    );
  }
  return () => {
    if (tf.getBackend() !== name) void tf.setBackend(name);
  };
}

function pinOps(
  ops: SuffixKernels,
  pin: <Arguments extends unknown[], Result>(
    method: (...args: Arguments) => Result,
  ) => (...args: Arguments) => Result,
): SuffixKernels {
  const entries = Object.entries(ops).map(([type, kernel]: [string, OpKernel<unknown>]) => [
    type,
    { forward: pin(kernel.forward), gradient: pin(kernel.gradient) },
  ]);
  return Object.freeze(Object.fromEntries(entries)) as unknown as SuffixKernels;
}
