import { SeededRandom } from '@grace/core';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferPool } from '../buffer-pool.js';
import { DeviceHealth } from '../device-health.js';
import { GpuRunner } from '../gpu-runner.js';
import { requestWebGpuDevice } from '../request-device.js';
import { WebGpuContext } from '../webgpu-context.js';
import { nearestCandidates } from './nearest-key.js';
import { keysPerTile, queriesPerTile, type TileShape } from './nearest-key-tile.wgsl.js';
import { legacyTileShape, tileShapeFor, tileShapes } from './tile-shapes.js';

/** Workgroup limits every WebGPU device supports (the spec's defaults). */
const maximumWorkgroupStorageBytes = 16_384;
const maximumInvocationsPerWorkgroup = 256;

function workgroupStorageBytes(shape: TileShape): number {
  const queries = queriesPerTile(shape);
  const staged = queries + (shape.stageKeys ? keysPerTile(shape) : 0);
  return 4 * (staged * shape.dimensionsPerChunk + 2 * queries * shape.keyGroups);
}

describe('tileShapeFor', () => {
  it('picks the lowest tile that covers the batch, and the tallest beyond it', () => {
    const heights = [1, 2, 3, 4, 5, 8, 9, 16, 17, 32, 33, 1000].map((batch) =>
      queriesPerTile(tileShapeFor(batch)),
    );
    expect(heights).toEqual([1, 2, 4, 4, 8, 8, 16, 16, 32, 32, 32, 32]);
  });

  it('keeps every shape within the limits every device has', () => {
    for (const shape of [legacyTileShape, ...tileShapes]) {
      expect(workgroupStorageBytes(shape)).toBeLessThanOrEqual(maximumWorkgroupStorageBytes);
      expect(shape.queryGroups * shape.keyGroups).toBeLessThanOrEqual(maximumInvocationsPerWorkgroup);
      // Key chunks start at a multiple of max(64, keys per tile), which must hold whole tiles; the tree
      // reduction over key groups halves them down to one.
      expect(Number.isInteger(Math.log2(keysPerTile(shape)))).toBe(true);
      expect(Number.isInteger(Math.log2(shape.keyGroups))).toBe(true);
    }
  });
});

const acquired = await requestWebGpuDevice().catch((error: unknown) => error as Error);

if (acquired instanceof Error) {
  console.warn(
    `\n*** @grace/backend-webgpu: NO WEBGPU ADAPTER, the tile tests are SKIPPED: ${acquired.message}\n`,
  );
  describe.skip('tile shapes on the device (no adapter)', () => {
    it('needs a WebGPU adapter', () => undefined);
  });
} else {
  const { device } = acquired;
  afterAll(() => device.destroy());
  const pool = new BufferPool(device);
  const health = new DeviceHealth(device);
  const runner = new GpuRunner(device, pool, health, false);
  const context = new WebGpuContext(device, pool, runner, health, {});
  // The search reads only the binding limit from the device; everything else goes through the real one.
  const smallLimits = { limits: { maxStorageBufferBindingSize: 1_024 * 45 * 4 } } as unknown as GPUDevice;
  const chunkedContext = new WebGpuContext(smallLimits, pool, runner, health, {});

  const upload = (data: Float32Array): GPUBuffer => {
    const buffer = context.scratch(data.length);
    device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  };

  /** Raw words of a buffer, through a mappable copy. */
  async function readWords(buffer: GPUBuffer, count: number): Promise<Uint32Array> {
    const staging = device.createBuffer({ size: count * 4, usage: 0x0001 | 0x0008 });
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, count * 4);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(0x0001);
    const words = new Uint32Array(staging.getMappedRange().slice(0));
    staging.destroy();
    return words;
  }

  /** The one `(squared distance bits, index)` candidate per query that the passes leave with `shape`. */
  async function candidates(
    queries: GPUBuffer,
    keys: GPUBuffer,
    batch: number,
    keyCount: number,
    width: number,
    shape: TileShape,
    searchContext: WebGpuContext = context,
  ): Promise<{ distance: Uint32Array; index: Int32Array }> {
    const found = nearestCandidates(searchContext, queries, keys, batch, keyCount, width, shape);
    context.run(found.dispatches);
    const distance = await readWords(found.distance, batch);
    const index = new Int32Array((await readWords(found.index, batch)).buffer);
    context.recycle(...found.scratch);
    health.check();
    return { distance, index };
  }

  describe('tile shapes on the device', () => {
    // Widths that no chunk divides; key counts below one tile, across several tiles with a ragged end, and
    // past a reduce pass (257 tiles of the legacy shape). Keys hold exact duplicates (ties go low), a NaN and
    // an infinite coordinate (never chosen), and half the queries sit next to a key.
    const cells = [
      { keyCount: 5, width: 3 },
      { keyCount: 1_100, width: 45 },
      { keyCount: 8_230, width: 20 },
    ];
    const batches = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 32, 33];

    it.each(cells)(
      'every shape gives the bits of the 8 × 32 tile ($keyCount keys, width $width)',
      async ({ keyCount, width }) => {
        const random = new SeededRandom(keyCount + width);
        const keyData = random.floats(keyCount * width, -2, 2);
        if (keyCount > 4) {
          keyData.copyWithin(4 * width, 1 * width, 2 * width);
          keyData[2 * width] = Number.NaN;
          keyData[3 * width + 1] = Number.POSITIVE_INFINITY;
        }
        const keys = upload(keyData);
        for (const batch of batches) {
          const queryData = random.floats(batch * width, -2, 2);
          for (let row = 0; row < batch; row += 2) {
            const key = row === 0 ? 1 : random.integer(0, keyCount);
            for (let column = 0; column < width; column++) {
              queryData[row * width + column] = keyData[key * width + column] + random.uniform(-0.01, 0.01);
            }
          }
          const queries = upload(queryData);
          const expected = await candidates(queries, keys, batch, keyCount, width, legacyTileShape);
          if (keyCount > 4) expect(expected.index[0]).toBe(1);
          for (const shape of new Set([tileShapeFor(batch), ...tileShapes])) {
            const actual = await candidates(queries, keys, batch, keyCount, width, shape);
            expect({ batch, shape, ...actual }).toEqual({ batch, shape, ...expected });
            // Keys bound in chunks of 1,024 or 2,048 (as on a device with a small binding limit): the same.
            const chunked = await candidates(queries, keys, batch, keyCount, width, shape, chunkedContext);
            expect({ batch, shape, chunked }).toEqual({ batch, shape, chunked: expected });
          }
          context.recycle(queries);
        }
        context.recycle(keys);
      },
    );
  });
}
