/**
 * Helpers for storing float64 results in float32 without losing the property they were computed for.
 */

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/**
 * The smallest float32 that is >= `value`. A radius expanded to cover a query at distance `d` is stored as
 * this, so the query stays inside its ball after the radius is rounded to float32 (plain rounding to nearest
 * could land just below `d` and leave the edit unfixed).
 */
export function roundUpToFloat32(value: number): number {
  const rounded = Math.fround(value);
  if (rounded >= value || !Number.isFinite(value)) return rounded;
  scratch[0] = rounded;
  // Step one unit in the last place away from zero for positives, towards zero for negatives.
  if (rounded > 0) scratchBits[0] = (scratchBits[0] as number) + 1;
  else if (rounded < 0) scratchBits[0] = (scratchBits[0] as number) - 1;
  else return 1.401298464324817e-45;
  return scratch[0] as number;
}

/** Index of the first non-finite element, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let index = 0; index < values.length; index++) {
    if (!Number.isFinite(values[index] as number)) return index;
  }
  return -1;
}
