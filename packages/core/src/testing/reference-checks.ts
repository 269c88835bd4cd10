import { assertBitsEqual, fail, toleranceBand, withinTolerance } from './assertions.js';
import {
  type ReferenceLookupArguments,
  type ReferenceNearestKey,
  referenceFires,
  referenceNearestKey,
  referenceReplace,
} from './reference-kernels.js';

/**
 * The rules that let a float32 backend disagree with the float64 reference only where float32 cannot
 * decide: two keys at nearly the same distance, or a distance nearly equal to its radius. "Nearly" is
 * strictly inside the tolerance band, so at tolerance 0 nothing is ambiguous and the backend must match the
 * reference exactly, ties to the lowest index included.
 */

function keyDistance(reference: ReferenceNearestKey, keyCount: number, row: number, key: number): number {
  return Math.sqrt(reference.squaredDistances[row * keyCount + key]);
}

/** Whether `key` may be reported as the nearest of `row`: the reference's choice, or within the band of it. */
function acceptableNearest(
  reference: ReferenceNearestKey,
  keyCount: number,
  row: number,
  key: number,
  tolerance: number,
): boolean {
  if (key === reference.index[row]) return true;
  if (!Number.isInteger(key) || key < 0 || key >= keyCount) return false;
  const best = reference.distance[row];
  return keyDistance(reference, keyCount, row, key) - best < toleranceBand(best, tolerance);
}

/** Describes a row's best and runner-up for a failure message. */
function describeRow(reference: ReferenceNearestKey, keyCount: number, row: number): string {
  let second = Number.POSITIVE_INFINITY;
  for (let key = 0; key < keyCount; key++) {
    if (key !== reference.index[row]) second = Math.min(second, keyDistance(reference, keyCount, row, key));
  }
  return `reference: key ${reference.index[row]} at ${reference.distance[row]}, runner-up at ${second}`;
}

/**
 * Checks a `nearestKey` result against the reference: the index must be the reference's unless the best
 * and runner-up distances are within tolerance (then any key within tolerance of the best will do), and the
 * distance must be close to the reference's best distance, rounded to float32 as the output is.
 */
export function assertNearestKeyConforms(
  actual: { readonly index: ArrayLike<number>; readonly distance: ArrayLike<number> },
  reference: ReferenceNearestKey,
  keyCount: number,
  tolerance: number,
  what: string,
): void {
  const batch = reference.index.length;
  if (actual.index.length !== batch || actual.distance.length !== batch) {
    fail(
      `${what}: expected ${batch} indices and distances, got ${actual.index.length} and ${actual.distance.length}`,
    );
  }
  for (let row = 0; row < batch; row++) {
    const key = actual.index[row];
    if (!acceptableNearest(reference, keyCount, row, key, tolerance)) {
      fail(`${what} index[${row}]: got key ${key}; ${describeRow(reference, keyCount, row)}`);
    }
    const expected = Math.fround(reference.distance[row]);
    const distance = actual.distance[row];
    if (!withinTolerance(distance, expected, tolerance)) {
      fail(
        `${what} distance[${row}]: expected ${expected} (± ${toleranceBand(expected, tolerance)}), got ${distance}`,
      );
    }
  }
}

/**
 * Checks a `lookup` result: each row's hit decision must be the reference's, except where a near-tie of keys
 * or of distance and radius allows the other outcome; then the output must equal, bit for bit, the
 * replacement that the backend's own decisions imply (replacement only copies, so nothing is approximate).
 * Returns the reference's hit indices so that a case can check that it exercised both hits and deferrals.
 */
export function assertLookupConforms(
  actual: { readonly output: Float32Array; readonly hitIndex: ArrayLike<number> },
  args: ReferenceLookupArguments,
  tolerance: number,
  what: string,
): number[] {
  const reference = referenceNearestKey(args.queries, args.keys);
  const keyCount = args.keys.shape[0];
  const batch = reference.index.length;
  if (actual.hitIndex.length !== batch)
    fail(`${what}: expected ${batch} hit indices, got ${actual.hitIndex.length}`);
  const referenceHits: number[] = [];
  const fires = (row: number, key: number): boolean =>
    referenceFires(keyDistance(reference, keyCount, row, key), args.radii[key]);
  const nearRadius = (row: number, key: number): boolean => {
    const radius = args.radii[key];
    return (
      Math.abs(Math.fround(keyDistance(reference, keyCount, row, key)) - radius) <
      toleranceBand(radius, tolerance)
    );
  };
  for (let row = 0; row < batch; row++) {
    const nearest = reference.index[row];
    referenceHits.push(nearest >= 0 && fires(row, nearest) ? nearest : -1);
    const hit = actual.hitIndex[row];
    let allowed = false;
    if (hit >= 0) {
      allowed =
        acceptableNearest(reference, keyCount, row, hit, tolerance) &&
        (fires(row, hit) || nearRadius(row, hit));
    } else if (hit === -1) {
      allowed = nearest < 0;
      for (let key = 0; key < keyCount && !allowed; key++) {
        allowed =
          acceptableNearest(reference, keyCount, row, key, tolerance) &&
          (!fires(row, key) || nearRadius(row, key));
      }
    }
    if (!allowed) {
      const radius = nearest >= 0 ? args.radii[nearest] : undefined;
      fail(
        `${what} hitIndex[${row}]: expected ${referenceHits[row]}, got ${hit}; ` +
          `${describeRow(reference, keyCount, row)}, its radius ${radius}`,
      );
    }
  }
  assertBitsEqual(actual.output, referenceReplace(args, actual.hitIndex), `${what} output`);
  return referenceHits;
}
