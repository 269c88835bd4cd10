import { createRequire } from 'node:module';
import { type DotProductEngine, float32UnitRoundoff, GraceError } from '@grace/core';
import { Tensor } from 'onnxruntime-node';
import { dotProductModelBytes } from './dot-product-model.js';

/** Options of {@link createOnnxruntimeDotProducts}. */
export interface OnnxruntimeDotProductsOptions {
  /** Threads of onnxruntime's intra-op pool. Default 1 (the GRACE layer usually runs beside a model's own work). */
  readonly threads?: number;
}

/** The synchronous native session of onnxruntime-node (what its asynchronous `run` defers to). */
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, Tensor>, fetches: Record<string, null>, options: object): Record<string, unknown>;
}

interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

/**
 * A {@link DotProductEngine} on onnxruntime-node: one `Gemm` (MLAS, the same class of kernel as one-thread BLAS)
 * gives `q · k` for every query-key pair. Give it to the CPU backend, `createCpuBackend({ dotProducts })`, and
 * `nearestKey` and `lookup` run at BLAS speed while their answers stay exact (the backend rechecks the
 * candidates the float32 product cannot rule out by direct difference in float64).
 *
 * Why the native session: the backend spec's kernels are synchronous, and onnxruntime-node's public `run` is
 * its native synchronous run deferred to `setImmediate`. This calls that native run directly, through the
 * package's `dist/binding` module; the version is pinned, and the package's tests fail at once if that module
 * changes shape.
 *
 * @throws GraceError `INVALID_ARGUMENT` for a thread count that is not a positive integer.
 */
export function createOnnxruntimeDotProducts(options: OnnxruntimeDotProductsOptions = {}): DotProductEngine {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new GraceError('INVALID_ARGUMENT', `threads must be a positive integer, got ${threads}`, {
      threads,
    });
  }
  const native = createRequire(import.meta.url)('onnxruntime-node/dist/binding') as NativeBinding;
  native.initOrt();
  const session = new native.binding.InferenceSession();
  const bytes = dotProductModelBytes();
  session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  return {
    name: `onnxruntime-node MLAS (${threads} thread${threads === 1 ? '' : 's'})`,
    unitRoundoff: float32UnitRoundoff,
    dotProducts(queries, keys, batch, keyCount, width) {
      const outputs = session.run(
        {
          queries: new Tensor('float32', queries.subarray(0, batch * width), [batch, width]),
          keys: new Tensor('float32', keys.subarray(0, keyCount * width), [keyCount, width]),
        },
        { products: null },
        {},
      );
      const products = (outputs.products as { data: unknown } | undefined)?.data;
      if (!(products instanceof Float32Array) || products.length !== batch * keyCount) {
        throw new GraceError('BACKEND_FAILURE', 'onnxruntime-node returned no [B, N] float32 products', {
          batch,
          keyCount,
        });
      }
      return products;
    },
  };
}
