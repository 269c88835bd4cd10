import type { TileShape } from './nearest-key-tile.wgsl.js';

/**
 * The tile of the first release: 8 queries × 32 keys, one product per invocation, keys staged. Kept as the
 * yardstick that the tests compare every other shape with, bit for bit.
 */
export const legacyTileShape: TileShape = Object.freeze({
  queriesPerInvocation: 1,
  keysPerInvocation: 1,
  queryGroups: 8,
  keyGroups: 32,
  stageKeys: true,
  dimensionsPerChunk: 32,
});

const direct = (queriesPerInvocation: number, keysPerInvocation: number, chunk: number): TileShape =>
  Object.freeze({
    queriesPerInvocation,
    keysPerInvocation,
    queryGroups: 1,
    keyGroups: 64,
    stageKeys: false,
    dimensionsPerChunk: chunk,
  });

const staged = (queriesPerInvocation: number, queryGroups: number): TileShape =>
  Object.freeze({
    queriesPerInvocation,
    keysPerInvocation: 4,
    queryGroups,
    keyGroups: 16,
    stageKeys: true,
    dimensionsPerChunk: 16,
  });

/**
 * The tile heights, smallest first: a batch takes the first whose height covers it (the last for larger
 * batches), so a batch of one never computes rows it discards. Up to 4 queries a tile shares nothing worth
 * staging, and each invocation reads its own key rows from the buffer; from 8 on, keys pass through
 * workgroup memory once per tile and each invocation keeps a block of up to 8 × 4 sums in registers.
 */
export const tileShapes: readonly TileShape[] = Object.freeze([
  direct(1, 8, 256),
  direct(2, 8, 128),
  direct(4, 4, 64),
  staged(8, 1),
  staged(8, 2),
  staged(8, 4),
]);

/** The tile-pass shape for a batch of `batch` queries. */
export function tileShapeFor(batch: number): TileShape {
  for (const shape of tileShapes) {
    if (shape.queriesPerInvocation * shape.queryGroups >= batch) return shape;
  }
  return tileShapes[tileShapes.length - 1] as TileShape;
}
