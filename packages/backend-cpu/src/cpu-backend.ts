import {
  type DType,
  type DTypeOf,
  dtypeOf,
  type GraceBackend,
  type Shape,
  type Tensor,
  type TensorData,
  type TensorDataOf,
  validateUpload,
} from '@grace/core';
import { createCpuRowMirror } from './cpu-row-mirror.js';
import { CpuTensor, readCpuTensor, resolveCpuTensor } from './cpu-tensor.js';
import { adamStep } from './kernels/adam-step.js';
import { compileCpuValueStep } from './kernels/compiled-value-step.js';
import { gatherTokens } from './kernels/gather-tokens.js';
import { createKeySearch, type KeySearchOptions, lookupIndexOptions } from './kernels/key-search.js';
import { lookup } from './kernels/lookup.js';
import { meanTokens } from './kernels/mean-tokens.js';
import { nearestKey } from './kernels/nearest-key.js';
import { createHostOpKernels } from './ops/host-op-kernels.js';
import { WasmMatrixProducts } from './wasm/wasm-matrix-products.js';

/** Options of {@link createCpuBackend}: how `nearestKey` and `lookup` search (answers never depend on it). */
export type CpuBackendOptions = KeySearchOptions;

/**
 * Makes the reference backend: every kernel in plain TypeScript over `Float32Array` / `Int32Array`.
 *
 * It is the oracle the other backends are compared with, the fallback that needs no native code or GPU,
 * and the template for custom backends. Each call returns an independent backend (no global state): its
 * tensors are refused by every other backend instance with `FOREIGN_TENSOR`, as they would be between two
 * GPU devices, so that mixing up backends is caught here first.
 *
 * `options.dotProducts` hands the norm-identity product of the nearest-key search to a fast engine (BLAS speed
 * with `@grace/search-onnxruntime`), and the backend lends it to host-side searches (`backend.dotProducts`);
 * `options.projectionTree` and `options.pivotIndex` (both on by default) let `lookup` skip the keys whose balls
 * cannot hold a query. The chosen
 * keys and distances stay exact and identical to the default's either way.
 */
export function createCpuBackend(options: CpuBackendOptions = {}): GraceBackend {
  const search = createKeySearch(options);
  const indexes = lookupIndexOptions(options);
  const backend: GraceBackend = {
    specificationVersion: 'v1',
    name: 'cpu',
    ...(options.dotProducts === undefined ? {} : { dotProducts: options.dotProducts }),

    upload<Data extends TensorData>(data: Data, shape: Shape): Tensor<DTypeOf<Data>> {
      validateUpload(data, shape);
      // `slice` of a typed array copies bytes, so the caller may reuse `data` and NaN payloads survive.
      const copy = data.slice() as TensorDataOf[DTypeOf<Data>];
      // Only adamStep changes an uploaded array (and withdraws this first): large products may keep a copy.
      if (copy instanceof Float32Array) WasmMatrixProducts.shared?.markStable(copy);
      return new CpuTensor(backend, dtypeOf(data) as DTypeOf<Data>, copy, shape);
    },

    async download<D extends DType>(tensor: Tensor<D>): Promise<TensorDataOf[D]> {
      return readCpuTensor(tensor, backend, 'tensor').slice() as TensorDataOf[D];
    },

    dispose(tensor: Tensor): void {
      resolveCpuTensor(tensor, backend, 'tensor').release();
    },

    createRowMirror: (rowShape) => createCpuRowMirror(backend, rowShape, indexes),
    gatherTokens: (input, positions) => gatherTokens(backend, input, positions),
    meanTokens: (input, lengths) => meanTokens(backend, input, lengths),
    nearestKey: (queries, keys) => nearestKey(backend, search, queries, keys),
    lookup: (args) => lookup(backend, search, args),
    adamStep: (args) => adamStep(backend, args),
    compileValueStep: (program, parameter) => compileCpuValueStep(backend, program, parameter),
    ops: createHostOpKernels({
      read: (tensor, name) => ({ data: readCpuTensor(tensor, backend, name), shape: tensor.shape }),
      make: (data, shape) => new CpuTensor(backend, 'float32', data, shape),
    }),
  };
  return Object.freeze(backend);
}
