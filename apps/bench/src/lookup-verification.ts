import { type NaiveNearestKeyResult, squaredDistance, squaredNorm } from './naive-nearest-key.js';

/**
 * A backend kernel returned a different answer from the naive loop. A benchmark that times a wrong kernel
 * is worthless, so the lookup benchmark stops with this error instead of printing its numbers.
 */
export class KernelMismatchError extends Error {
  override readonly name = 'KernelMismatchError';
}

/** The host copies of one benchmark cell's inputs, shapes as in `GraceBackend.lookup`. */
export interface LookupCellData {
  readonly batch: number;
  readonly keyCount: number;
  readonly dims: number;
  /** float32 `[B, D]`. */
  readonly queries: Float32Array;
  /** float32 `[N, D]`. */
  readonly keys: Float32Array;
  /** float32 `[N]`. */
  readonly radii: Float32Array;
  /** float32 `[N, D]`: values have the width of the layer output, here equal to the key width. */
  readonly values: Float32Array;
  /** float32 `[B, D]`: a non-sequence layer output. */
  readonly layerOutput: Float32Array;
}

/**
 * Checks `nearestKey`'s answer against the naive loop, row by row.
 *
 * A different index is accepted only for a tie: its true distance must equal the minimum up to float32
 * rounding. The rounding allowance scales with the vectors' squared norms, because a fast backend may
 * compute `‖q‖² + ‖k‖² − 2 q·k`, whose error grows with the norms, not with the distance.
 */
export function verifyNearestKey(
  backendName: string,
  data: LookupCellData,
  naive: NaiveNearestKeyResult,
  index: Int32Array,
  distance: Float32Array,
): void {
  for (let row = 0; row < data.batch; row++) {
    const naiveIndex = naive.index[row];
    const backendIndex = index[row];
    const where = describeRow(backendName, 'nearestKey', data, row);
    const found = `backend index ${backendIndex} (distance ${distance[row]}), naive index ${naiveIndex} (distance ${naive.distance[row]})`;
    if (naiveIndex === -1) {
      if (backendIndex !== -1) throw new KernelMismatchError(`${where}: ${found}; there are no keys`);
      continue;
    }
    if (!isNearest(data, naive, row, backendIndex)) {
      throw new KernelMismatchError(`${where}: ${found}; the backend's key is not a nearest one`);
    }
    const naiveSquared = naive.distance[row] ** 2;
    if (!(Math.abs(distance[row] ** 2 - naiveSquared) <= tolerance(data, row, backendIndex, naiveIndex))) {
      throw new KernelMismatchError(`${where}: ${found}; the distances differ beyond float32 rounding`);
    }
  }
}

/**
 * Checks `lookup`'s answer against the naive loop: the key that fires (the nearest one, if within its
 * radius) and the output, which must be that key's value on a hit and the layer output, bit for bit,
 * otherwise. Returns the number of rows that hit, which the benchmark reports.
 */
export function verifyLookup(
  backendName: string,
  data: LookupCellData,
  naive: NaiveNearestKeyResult,
  output: Float32Array,
  hitIndex: Int32Array,
): number {
  let hits = 0;
  for (let row = 0; row < data.batch; row++) {
    const naiveIndex = naive.index[row];
    const hit = hitIndex[row];
    const where = describeRow(backendName, 'lookup', data, row);
    if (hit === -1) {
      const naiveFires =
        naiveIndex !== -1 &&
        naive.distance[row] ** 2 < data.radii[naiveIndex] ** 2 - tolerance(data, row, naiveIndex, naiveIndex);
      if (naiveFires) {
        throw new KernelMismatchError(
          `${where}: the backend deferred, but key ${naiveIndex} is at distance ${naive.distance[row]} within its radius ${data.radii[naiveIndex]}`,
        );
      }
    } else {
      const hitSquared = isNearest(data, naive, row, hit)
        ? squaredDistance(data.queries, row, data.keys, hit, data.dims)
        : Number.NaN;
      if (!(hitSquared <= data.radii[hit] ** 2 + tolerance(data, row, hit, hit))) {
        throw new KernelMismatchError(
          `${where}: key ${hit} fired, but the nearest key is ${naiveIndex} at distance ${naive.distance[row]} (radius ${data.radii[naiveIndex]})`,
        );
      }
      hits++;
    }
    const source = hit === -1 ? data.layerOutput : data.values;
    const sourceRow = hit === -1 ? row : hit;
    for (let dimension = 0; dimension < data.dims; dimension++) {
      const expected = source[sourceRow * data.dims + dimension];
      const actual = output[row * data.dims + dimension];
      if (actual !== expected) {
        const what = hit === -1 ? 'layer output' : `value of key ${hit}`;
        throw new KernelMismatchError(
          `${where}: output[${row}, ${dimension}] is ${actual}, expected ${expected} (the ${what})`,
        );
      }
    }
  }
  return hits;
}

/** True when `candidate` is a valid key whose distance to the query equals the minimum up to rounding. */
function isNearest(
  data: LookupCellData,
  naive: NaiveNearestKeyResult,
  row: number,
  candidate: number,
): boolean {
  if (!Number.isInteger(candidate) || candidate < 0 || candidate >= data.keyCount) return false;
  const naiveIndex = naive.index[row];
  if (candidate === naiveIndex) return true;
  const candidateSquared = squaredDistance(data.queries, row, data.keys, candidate, data.dims);
  return candidateSquared - naive.distance[row] ** 2 <= tolerance(data, row, candidate, naiveIndex);
}

/** Allowed float32 error of a squared distance between query `row` and keys `first`/`second`. */
function tolerance(data: LookupCellData, row: number, first: number, second: number): number {
  const keyNorm = Math.max(
    squaredNorm(data.keys, first, data.dims),
    squaredNorm(data.keys, second, data.dims),
  );
  return 1e-5 * (squaredNorm(data.queries, row, data.dims) + keyNorm) + 1e-6;
}

function describeRow(backendName: string, kernel: string, data: LookupCellData, row: number): string {
  return `${backendName} ${kernel} disagrees with the naive loop at N=${data.keyCount}, D=${data.dims}, row ${row}`;
}
