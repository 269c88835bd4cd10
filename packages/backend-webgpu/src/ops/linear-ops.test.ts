import { SeededRandom, type Tensor } from '@grace/core';
import { afterAll, describe, expect, it } from 'vitest';
import { requestWebGpuDevice } from '../request-device.js';
import { createWebGpuBackend } from '../webgpu-backend.js';

/**
 * The conformance op cases are small (under 16 rows), so they exercise only the one-thread-per-element
 * product; these shapes fill 16 × 16 tiles (with ragged edges) and check the tiled program against host loops,
 * forward and both gradients.
 */
const acquired = await requestWebGpuDevice().catch((error: unknown) => error as Error);

/** `[batch, rows, columns]` product of host arrays, in float64. */
function hostProduct(
  left: ArrayLike<number>,
  right: ArrayLike<number>,
  batch: number,
  rows: number,
  shared: number,
  columns: number,
  transposeLeft = false,
  transposeRight = false,
): Float64Array {
  const result = new Float64Array(batch * rows * columns);
  for (let matrix = 0; matrix < batch; matrix++) {
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) {
        let sum = 0;
        for (let k = 0; k < shared; k++) {
          const l = transposeLeft
            ? left[matrix * rows * shared + k * rows + row]
            : left[matrix * rows * shared + row * shared + k];
          const r = transposeRight
            ? right[matrix * shared * columns + column * shared + k]
            : right[matrix * shared * columns + k * columns + column];
          sum += (l as number) * (r as number);
        }
        result[(matrix * rows + row) * columns + column] = sum;
      }
    }
  }
  return result;
}

function expectClose(actual: Float32Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  expected.forEach((value, index) => {
    worst = Math.max(worst, Math.abs((actual[index] as number) - value) / Math.max(1, Math.abs(value)));
  });
  expect(worst).toBeLessThan(1e-4);
}

if (acquired instanceof Error) {
  console.warn(
    `\n*** @grace/backend-webgpu: NO WEBGPU ADAPTER, the tiled product tests are SKIPPED: ${acquired.message}\n`,
  );
  describe.skip('tiled matrix product (no adapter)', () => {
    it('needs a WebGPU adapter', () => undefined);
  });
} else {
  afterAll(() => acquired.device.destroy());

  describe('tiled matrix product', () => {
    it('MatMul [2,20,37] x [2,37,19]: forward and both gradients', async () => {
      const backend = await createWebGpuBackend({ device: acquired.device });
      const random = new SeededRandom(5);
      const [batch, rows, shared, columns] = [2, 20, 37, 19];
      const left = random.floats(batch * rows * shared);
      const right = random.floats(batch * shared * columns);
      const gradient = random.floats(batch * rows * columns);
      const inputs = [
        backend.upload(left, [batch, rows, shared]),
        backend.upload(right, [batch, shared, columns]),
      ];
      const output = backend.ops.MatMul.forward(inputs, {}, [batch, rows, columns]);
      expectClose(await backend.download(output), hostProduct(left, right, batch, rows, shared, columns));
      const [leftGradient, rightGradient] = backend.ops.MatMul.gradient({
        inputs,
        output,
        outputGradient: backend.upload(gradient, [batch, rows, columns]),
        attributes: {},
        needed: [true, true],
      });
      // dA = G Bᵀ: [rows, columns] x [columns, shared]; dB = Aᵀ G: [shared, rows] x [rows, columns].
      expectClose(
        (await backend.download(leftGradient as Tensor<'float32'>)) as Float32Array,
        hostProduct(gradient, right, batch, rows, columns, shared, false, true),
      );
      expectClose(
        (await backend.download(rightGradient as Tensor<'float32'>)) as Float32Array,
        hostProduct(left, gradient, batch, shared, rows, columns, true, false),
      );
    });

    it('Gemm transA and transB, 33 × 17 output, alpha and a row bias', async () => {
      const backend = await createWebGpuBackend({ device: acquired.device });
      const random = new SeededRandom(6);
      const [rows, shared, columns] = [33, 21, 17];
      const left = random.floats(shared * rows); // A [K, M], transA
      const right = random.floats(columns * shared); // B [N, K], transB
      const bias = random.floats(columns);
      const output = backend.ops.Gemm.forward(
        [
          backend.upload(left, [shared, rows]),
          backend.upload(right, [columns, shared]),
          backend.upload(bias, [columns]),
        ],
        { alpha: 0.5, beta: 2, transA: true, transB: true },
        [rows, columns],
      );
      const expected = hostProduct(left, right, 1, rows, shared, columns, true, true).map(
        (value, index) => 0.5 * value + 2 * (bias[index % columns] as number),
      );
      expectClose(await backend.download(output), expected);
    });
  });
}
