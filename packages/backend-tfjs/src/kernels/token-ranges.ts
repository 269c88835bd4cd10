import { GraceError } from '@grace/core';

/**
 * Checks every per-row integer against `[low, high]` on the host before a kernel queues any work, so that a
 * bad row fails with `INVALID_ARGUMENT` as on every other backend instead of gathering garbage (tfjs clamps
 * or zero-fills out-of-range gathers, depending on the backend).
 */
export function expectRowsInRange(values: Int32Array, low: number, high: number, name: string): void {
  values.forEach((value, row) => {
    if (value < low || value > high) {
      throw new GraceError('INVALID_ARGUMENT', `${name}[${row}] = ${value} is outside [${low}, ${high}]`, {
        row,
        [name]: value,
        low,
        high,
      });
    }
  });
}
