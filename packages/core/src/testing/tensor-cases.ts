import { SeededRandom } from '../random.js';
import type { Tensor } from '../tensor.js';
import {
  assertBitsEqual,
  assertEqualInts,
  assertTensorLayout,
  assertThrowsGraceError,
  assertTrue,
} from './assertions.js';
import type { ConformanceCase } from './conformance-case.js';
import { defineScopedCase } from './tensor-scope.js';

const suite = 'tensors';

/** A handle that no backend made: what a caller mixing up backends would pass. */
export function foreignTensor<D extends Tensor['dtype']>(shape: readonly number[], dtype: D): Tensor<D> {
  return { shape, dtype };
}

/** Float32 values whose bits a careless copy (through a float64 or a shader) might change. */
export function specialFloat32Values(): Float32Array {
  const values = new Float32Array([
    -0,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
    3.4028234663852886e38, // largest float32
    1.401298464324817e-45, // smallest float32 subnormal
    -1.1754942106924411e-38, // largest-magnitude negative subnormal
  ]);
  return values;
}

/**
 * Upload, download and dispose: the handle contract every other case relies on, including the copies that
 * keep a caller's arrays and a backend's storage from aliasing each other.
 */
export function tensorCases(): ConformanceCase[] {
  return [
    defineScopedCase(suite, 'float32 round trip keeps shape, dtype and bits', async (scope) => {
      const random = new SeededRandom(101);
      for (const shape of [[5], [2, 3], [2, 3, 4], [1, 1, 1, 7]]) {
        const data = random.floats(shape.reduce((size, dimension) => size * dimension, 1));
        const tensor = scope.float32(data, shape);
        assertTensorLayout(tensor, shape, 'float32', `upload [${shape}]`);
        assertBitsEqual(await scope.backend.download(tensor), data, `download [${shape}]`);
      }
    }),
    defineScopedCase(suite, 'int32 round trip keeps extremes', async (scope) => {
      const data = new Int32Array([0, 1, -1, 2147483647, -2147483648, 123456789]);
      const tensor = scope.int32(data, [2, 3]);
      assertTensorLayout(tensor, [2, 3], 'int32', 'upload');
      const downloaded = await scope.backend.download(tensor);
      assertTrue(downloaded instanceof Int32Array, 'download of an int32 tensor must be an Int32Array');
      assertEqualInts(downloaded, data, 'download');
    }),
    defineScopedCase(suite, 'special float32 values survive a round trip', async (scope) => {
      const data = specialFloat32Values();
      const downloaded = await scope.backend.download(scope.float32(data, [data.length]));
      assertTrue(downloaded instanceof Float32Array, 'download of a float32 tensor must be a Float32Array');
      assertBitsEqual(downloaded, data, 'download');
    }),
    defineScopedCase(suite, 'scalar shape [] holds one element', async (scope) => {
      const floatScalar = scope.float32([2.5], []);
      assertTensorLayout(floatScalar, [], 'float32', 'float32 scalar');
      assertBitsEqual(await scope.backend.download(floatScalar), new Float32Array([2.5]), 'float32 scalar');
      const intScalar = scope.int32([-7], []);
      assertTensorLayout(intScalar, [], 'int32', 'int32 scalar');
      assertEqualInts(await scope.backend.download(intScalar), [-7], 'int32 scalar');
    }),
    defineScopedCase(suite, 'zero-size tensors keep their shape', async (scope) => {
      for (const shape of [[0], [3, 0], [0, 4, 2]]) {
        const floats = scope.float32([], shape);
        assertTensorLayout(floats, shape, 'float32', `float32 [${shape}]`);
        assertTrue((await scope.backend.download(floats)).length === 0, `float32 [${shape}] downloads empty`);
        const ints = scope.int32([], shape);
        assertTensorLayout(ints, shape, 'int32', `int32 [${shape}]`);
        assertTrue((await scope.backend.download(ints)).length === 0, `int32 [${shape}] downloads empty`);
      }
    }),
    defineScopedCase(suite, 'upload copies the data and the shape', async (scope) => {
      const data = new Float32Array([1, 2, 3, 4]);
      const shape = [2, 2];
      const tensor = scope.float32(data, shape);
      data[0] = 99;
      shape[0] = 4;
      shape[1] = 1;
      assertTensorLayout(tensor, [2, 2], 'float32', 'tensor after the caller changed its shape array');
      assertBitsEqual(await scope.backend.download(tensor), new Float32Array([1, 2, 3, 4]), 'download');
    }),
    defineScopedCase(suite, 'download returns a copy', async (scope) => {
      const tensor = scope.float32([1, 2, 3], [3]);
      const first = await scope.backend.download(tensor);
      first[1] = -50;
      assertBitsEqual(await scope.backend.download(tensor), new Float32Array([1, 2, 3]), 'second download');
      const ints = scope.int32([4, 5], [2]);
      const firstInts = await scope.backend.download(ints);
      firstInts[0] = 0;
      assertEqualInts(await scope.backend.download(ints), [4, 5], 'second int32 download');
    }),
    defineScopedCase(suite, 'download after dispose is DISPOSED_TENSOR', async (scope) => {
      const tensor = scope.float32([1, 2], [2]);
      scope.backend.dispose(tensor);
      await assertThrowsGraceError(() => scope.backend.download(tensor), 'DISPOSED_TENSOR', 'download');
    }),
    defineScopedCase(suite, 'disposing twice is harmless', async (scope) => {
      const tensor = scope.int32([1], [1]);
      scope.backend.dispose(tensor);
      scope.backend.dispose(tensor);
    }),
    defineScopedCase(suite, 'data length that does not fit the shape is SHAPE_MISMATCH', async (scope) => {
      const { backend } = scope;
      await assertThrowsGraceError(
        () => backend.upload(new Float32Array(5), [2, 3]),
        'SHAPE_MISMATCH',
        'float32 [2,3] with 5 elements',
      );
      await assertThrowsGraceError(
        () => backend.upload(new Int32Array(0), []),
        'SHAPE_MISMATCH',
        'scalar, 0 elements',
      );
      await assertThrowsGraceError(
        () => backend.upload(new Int32Array(1), [0]),
        'SHAPE_MISMATCH',
        '[0], 1 element',
      );
    }),
    defineScopedCase(suite, 'negative, fractional or NaN dimension is INVALID_ARGUMENT', async (scope) => {
      const { backend } = scope;
      for (const shape of [[-1, -2], [1.5, 2], [Number.NaN]]) {
        await assertThrowsGraceError(
          () => backend.upload(new Float32Array(2), shape),
          'INVALID_ARGUMENT',
          `shape [${shape}]`,
        );
      }
    }),
    defineScopedCase(
      suite,
      'uploading something other than Float32Array or Int32Array is DTYPE_MISMATCH',
      async (scope) => {
        const notFloat32 = new Float64Array(2) as unknown as Float32Array;
        await assertThrowsGraceError(
          () => scope.backend.upload(notFloat32, [2]),
          'DTYPE_MISMATCH',
          'Float64Array',
        );
      },
    ),
    defineScopedCase(suite, 'a handle the backend did not make is FOREIGN_TENSOR', async (scope) => {
      await assertThrowsGraceError(
        () => scope.backend.download(foreignTensor([2], 'float32')),
        'FOREIGN_TENSOR',
        'download',
      );
    }),
    defineScopedCase(suite, 'kernel outputs are new tensors that outlive their inputs', async (scope) => {
      const { backend } = scope;
      const input = scope.float32([1, 2, 3, 4], [1, 2, 2]);
      const positions = scope.int32([1], [1]);
      const gathered = scope.keep(backend.gatherTokens(input, positions));
      const queries = scope.float32([0, 0], [1, 2]);
      const emptyKeys = scope.float32([], [0, 2]);
      const layerOutput = scope.float32([5, 6], [1, 2]);
      const result = backend.lookup({
        queries,
        keys: emptyKeys,
        radii: scope.float32([], [0]),
        values: scope.float32([], [0, 2]),
        layerOutput,
        mode: 'all',
      });
      scope.keep(result.output);
      scope.keep(result.hitIndex);
      assertTrue(gathered !== input, 'gatherTokens returned its input');
      assertTrue(result.output !== layerOutput, 'lookup returned layerOutput itself instead of a new tensor');
      backend.dispose(input);
      backend.dispose(layerOutput);
      assertBitsEqual(
        await backend.download(gathered),
        new Float32Array([3, 4]),
        'gathered after input disposed',
      );
      assertBitsEqual(await backend.download(result.output), new Float32Array([5, 6]), 'lookup output');
    }),
  ];
}
