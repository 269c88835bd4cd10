import { type RowSyncPlan, squaredNorm } from '@grace/core';

/**
 * The squared norms `‖k‖²` (float64) of a row mirror's rows, for the search's candidate bound, kept current
 * by recomputing only the rows a sync copies: O(width) per edit instead of O(N·width).
 */
export class HostKeyNorms {
  private norms = new Float64Array(0);
  private rows = 0;

  constructor(readonly width: number) {}

  /** Bytes held, spare rows included. */
  get bytes(): number {
    return this.norms.byteLength;
  }

  /** Follows `host` (`[rows * width]`, the sync's argument) as `plan` says; every row when `plan.copyAll`. */
  follow(host: Float32Array, plan: RowSyncPlan): void {
    if (plan.rows > this.norms.length) {
      const grown = new Float64Array(Math.max(plan.rows, Math.ceil(this.norms.length * 1.25)));
      grown.set(this.norms.subarray(0, this.rows));
      this.norms = grown;
    }
    const update = (first: number, end: number): void => {
      for (let row = first; row < end; row++) this.norms[row] = squaredNorm(host, row, this.width);
    };
    if (plan.copyAll) {
      update(0, plan.rows);
    } else {
      for (const row of plan.changedRows) update(row, row + 1);
      update(plan.appendedFrom, plan.rows);
    }
    this.rows = plan.rows;
  }

  /** `[rows]`: a live view, valid until the next `follow`. */
  squaredNorms(): Float64Array {
    return this.norms.subarray(0, this.rows);
  }
}
